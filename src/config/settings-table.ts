// The README's "Every setting" table, made from the option table (test/option-table.test.ts keeps
// the README in step; test/tools/readme-settings.ts rewrites it).
import type { Check, OptionSpec } from './option-spec.js';
import { SETTINGS } from './settings.js';

const code = (s: string): string => `\`${s}\``;

function flagCell(o: OptionSpec): string {
  const value = o.doc?.value ? ` ${o.doc.value}` : '';
  const main = code(`${o.short ? `${o.short}, ` : ''}--${o.key}${value}`);
  if (o.negate !== undefined) return `${main} / ${code(`--no-${o.key}`)}`;
  return o.repeatable ? `${main} (repeatable)` : main;
}

function defaultCell(o: OptionSpec): string {
  if (o.doc?.default) return o.doc.default;
  if (o.kind === 'boolean') return code('false');
  return typeof o.default === 'string' ? code(o.default) : 'none';
}

function checkCell(check: Check | undefined): string | undefined {
  switch (check?.type) {
    case 'int':
      return check.max === undefined ? `integer ≥ ${check.min}` : `integer ${check.min}–${check.max}`;
    case 'intOrAuto':
      return `${code('"auto"')} or integer ≥ ${check.min}`;
    case 'maxPixels':
      return 'integer ≥ 784';
    case 'number':
      return check.minOpen ? `> ${check.min} and ≤ ${check.max}` : `${check.min} to ${check.max}`;
    case 'choice':
      return check.of.map(code).join(', ');
    default:
      return undefined;
  }
}

function fileCell(o: OptionSpec): string {
  if (o.doc?.file) return o.doc.file;
  if (o.kind === 'boolean') return `${code('true')}/${code('false')}`;
  return checkCell(o.check) ?? 'string';
}

/** The table under "### Every setting", one row per setting, in `glm-vision config`'s order. */
export function settingsTableMarkdown(): string {
  const rows = SETTINGS.map(({ key, env, option: o }) => {
    const how = o.doc?.env ? ` (${o.doc.env})` : o.splitEnv ? ' (commas/spaces)' : '';
    return `| ${code(key)} | ${flagCell(o)} | ${env.map(code).join(', ')}${how} | ${defaultCell(o)} | ${fileCell(o)} |`;
  });
  return ['| key | flag | environment variable | default | in the file |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
