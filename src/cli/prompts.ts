// `glm-vision prompts list|show`.
import { readFileSync } from 'node:fs';
import { builtinNames, langFromEnv, resolveTemplate } from '../prompt/library.js';
import type { Lang } from '../prompt/render.js';
import type { CliIO } from './io.js';
import { oneOf } from '../config/validate.js';

function pickLang(flag: string | undefined, io: CliIO): Lang {
  return flag ? oneOf('--lang', flag, ['en', 'zh'] as const) : langFromEnv(io.env);
}

export function promptsList(flags: { lang?: string }, io: CliIO): number {
  const lang = pickLang(flags.lang, io);
  const rows = builtinNames(lang).map((name) => {
    const t = resolveTemplate(name, lang);
    const out = t.output === 'json' ? `json: ${t.fields.join(', ')}` : 'text';
    return [name, out, t.description] as const;
  });
  const w0 = Math.max(...rows.map((r) => r[0].length));
  for (const [name, out, description] of rows) io.stdout.write(`${name.padEnd(w0)}  ${description}  [${out}]\n`);
  return 0;
}

export function promptsShow(name: string, flags: { lang?: string }, io: CliIO): number {
  const template = resolveTemplate(name, pickLang(flags.lang, io));
  io.stdout.write(readFileSync(template.file, 'utf8'));
  return 0;
}
