// Finds templates: built-in names in prompts/<lang>/, or a user's file.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest } from '../config/suggest.js';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { loadTemplate, type Template } from './template.js';
import type { Lang } from './render.js';

export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));
// In config/constants.ts, so that the command line's options need not load the template parser.
export { DEFAULT_PROMPT, langFromEnv } from '../config/constants.js';

export function builtinNames(lang: Lang): string[] {
  const dir = path.join(PROMPTS_DIR, lang);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
}

function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes(path.sep) || spec.endsWith('.md');
}

export function resolveTemplate(spec: string, lang: Lang): Template {
  if (looksLikePath(spec)) {
    if (!existsSync(spec)) throw new UsageError(t('prompt:find.noFile', { file: spec }));
    return loadTemplate(spec);
  }
  const file = path.join(PROMPTS_DIR, lang, `${spec}.md`);
  if (!existsSync(file)) {
    if (existsSync(spec)) return loadTemplate(spec);
    const names = builtinNames(lang);
    const guess = closest(spec, names);
    const values = { name: spec, guess, names: names.join(', ') };
    throw new UsageError(guess === undefined ? t('ask:prompt.unknown', values) : t('ask:prompt.didYouMean', values));
  }
  const template = loadTemplate(file);
  if (template.name !== spec) throw new UsageError(t('prompt:find.wrongName', { file, name: template.name, expected: spec }));
  return template;
}
