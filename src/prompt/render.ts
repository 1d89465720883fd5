// Fills a template's {{variables}} for one file and, for json templates,
// lists the fields in the prompt because some servers ignore response_format.
import path from 'node:path';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { BUILTIN_VARIABLES, placeholders, type Template } from './template.js';

export type Lang = 'en' | 'zh';

/** Checks once, before any file is read, that every placeholder will have a value. */
export function checkVariables(template: Template, provided: Record<string, string>): void {
  for (const [name, fallback] of Object.entries(template.variables)) {
    if (fallback === null && provided[name] === undefined) {
      const values = { name: template.name, file: template.file, variable: name };
      throw new UsageError(name === 'question' ? t('prompt:variables.needsQuestion', values) : t('prompt:variables.needsValue', values));
    }
  }
  for (const name of placeholders(template.body)) {
    if ((BUILTIN_VARIABLES as readonly string[]).includes(name)) continue;
    if (name in template.variables || provided[name] !== undefined) continue;
    throw new UsageError(t('prompt:variables.unknown', { placeholder: `{{${name}}}`, variable: name, file: template.file }));
  }
}

/**
 * A value the template never reads would still change the job fingerprint and so re-ask every
 * image: refuse it. `origin` names where each value came from (a flag, the config file).
 */
export function checkUnusedVariables(
  template: Template, provided: Record<string, string>, origin: (name: string) => string,
): void {
  const used = new Set(placeholders(template.body));
  const unused = Object.keys(provided).filter((name) => !used.has(name));
  if (unused.length === 0) return;
  const own = [...used].filter((name) => !(BUILTIN_VARIABLES as readonly string[]).includes(name));
  const braced = (names: string[]): string => names.map((n) => `{{${n}}}`).join(', ');
  const values = { given: unused.map(origin).join(', '), name: template.name, file: template.file, unused: braced(unused), used: braced(own) };
  throw new UsageError(own.length ? t('prompt:variables.unused', values) : t('prompt:variables.unusedNoOwn', values));
}

export function renderPrompt(
  template: Template,
  file: { relativePath: string },
  lang: Lang,
  provided: Record<string, string>,
  /** A PDF page's own text layer, for {{page_text}} ('' for images). */
  page: { page_text: string } = { page_text: '' },
): string {
  const rel = file.relativePath.split(path.sep).join('/');
  const values: Record<string, string> = {
    file_name: path.posix.basename(rel),
    relative_path: rel,
    folder: path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel),
    lang,
    page_text: page.page_text,
  };
  for (const [k, v] of Object.entries(template.variables)) if (v !== null) values[k] = v;
  Object.assign(values, provided);
  const body = template.body.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => values[name] ?? '');
  return template.schema ? `${body}\n\n${fieldList(template, lang)}` : body;
}

function fieldList(template: Template, lang: Lang): string {
  const props = (template.schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const lines = Object.entries(props).map(([name, spec]) => {
    const type = describeType(spec);
    const note = typeof spec.description === 'string' ? `: ${spec.description}` : '';
    return `- ${name} (${type})${note}`;
  });
  const head = lang === 'zh'
    ? '只输出一个 JSON 对象，不要输出其他内容。字段如下：'
    : 'Reply with only a JSON object, nothing else, with these fields:';
  return `${head}\n${lines.join('\n')}`;
}

function describeType(spec: Record<string, unknown>): string {
  if (Array.isArray(spec.enum)) return `one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (spec.type === 'array') {
    const items = (spec.items ?? {}) as Record<string, unknown>;
    return `array of ${Array.isArray(items.enum) ? describeType(items) : String(items.type ?? 'values')}`;
  }
  return String(spec.type ?? 'value');
}
