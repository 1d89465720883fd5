// `glm-vision prompts list|show`.
import { readFileSync } from 'node:fs';
import { builtinNames, langFromEnv, resolveTemplate } from '../prompt/library.js';
import type { Lang } from '../prompt/render.js';
import type { CliIO } from './io.js';
import type { PromptsFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';

function pickLang(flags: PromptsFlags, io: CliIO): Lang {
  return parseFlags('prompts list', flags).lang ?? langFromEnv(io.env);
}

export function promptsList(flags: PromptsFlags, io: CliIO): number {
  const lang = pickLang(flags, io);
  const rows = builtinNames(lang).map((name) => {
    const t = resolveTemplate(name, lang);
    const out = t.output === 'json' ? `json: ${t.fields.join(', ')}` : 'text';
    return [name, out, t.description] as const;
  });
  const w0 = Math.max(...rows.map((r) => r[0].length));
  for (const [name, out, description] of rows) io.stdout.write(`${name.padEnd(w0)}  ${description}  [${out}]\n`);
  return 0;
}

export function promptsShow(name: string, flags: PromptsFlags, io: CliIO): number {
  const template = resolveTemplate(name, pickLang(flags, io));
  io.stdout.write(readFileSync(template.file, 'utf8'));
  return 0;
}
