// The README's "Every setting" table and the option table: readmeSettingsTable() finds the one,
// settingsTableMarkdown() makes the other. Run this file to rewrite the README's table:
//   node --import tsx test/tools/readme-settings.ts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingsTableMarkdown } from '../../src/config/settings-table.js';

export const README = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');
const HEADING = '### Every setting';

/** Where the table is: the first run of `|` lines between the heading and the next heading. */
function locate(lines: string[]): { start: number; end: number } {
  const heading = lines.indexOf(HEADING);
  if (heading < 0) throw new Error(`README.md has no "${HEADING}" heading`);
  let next = lines.findIndex((l, i) => i > heading && l.startsWith('#'));
  if (next < 0) next = lines.length;
  const start = lines.findIndex((l, i) => i > heading && i < next && l.startsWith('|'));
  if (start < 0) throw new Error(`README.md has no table under "${HEADING}"`);
  let end = start;
  while (end < next && lines[end]?.startsWith('|')) end++;
  return { start, end };
}

export function readmeSettingsTable(readme: string): string {
  const lines = readme.split('\n');
  const { start, end } = locate(lines);
  return lines.slice(start, end).join('\n');
}

export function withSettingsTable(readme: string, table: string): string {
  const lines = readme.split('\n');
  const { start, end } = locate(lines);
  return [...lines.slice(0, start), table, ...lines.slice(end)].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const before = readFileSync(README, 'utf8');
  const after = withSettingsTable(before, settingsTableMarkdown());
  if (after === before) {
    console.log('README.md: the "Every setting" table is up to date');
  } else {
    writeFileSync(README, after);
    console.log('README.md: rewrote the "Every setting" table from src/config/catalog-options.ts');
  }
}
