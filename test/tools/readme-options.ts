// A command's options table in the README and the option table: readmeOptionsTable() finds the one,
// optionsTableMarkdown() makes the other. Run this file to rewrite the README's table:
//   node --import tsx test/tools/readme-options.ts review
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandName } from '../../src/config/option-spec.js';
import { optionsTableMarkdown } from '../../src/config/options-table.js';
import { README } from './readme-settings.js';

/** The commands whose README section has a generated "### Options" table. */
export const GENERATED: readonly CommandName[] = ['review'];

/** The table: the first run of `|` lines under "### Options" in the command's `## \`glm-vision …\`` section. */
function locate(lines: string[], command: CommandName): { start: number; end: number } {
  const section = lines.indexOf(`## \`glm-vision ${command}\``);
  if (section < 0) throw new Error(`README.md has no "## \`glm-vision ${command}\`" section`);
  const options = lines.findIndex((l, i) => i > section && (l === '### Options' || l.startsWith('## ')));
  if (options < 0 || lines[options] !== '### Options') throw new Error(`README.md's glm-vision ${command} section has no "### Options"`);
  const start = lines.findIndex((l, i) => i > options && l.startsWith('|'));
  let end = start;
  while (end < lines.length && lines[end]?.startsWith('|')) end++;
  return { start, end };
}

export function readmeOptionsTable(readme: string, command: CommandName): string {
  const lines = readme.split('\n');
  const { start, end } = locate(lines, command);
  return lines.slice(start, end).join('\n');
}

export function withOptionsTable(readme: string, command: CommandName, table: string): string {
  const lines = readme.split('\n');
  const { start, end } = locate(lines, command);
  return [...lines.slice(0, start), table, ...lines.slice(end)].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let readme = readFileSync(README, 'utf8');
  for (const command of GENERATED) readme = withOptionsTable(readme, command, optionsTableMarkdown(command));
  writeFileSync(README, readme);
  console.log(`README.md: the options tables of ${GENERATED.join(', ')} are made from the option table`);
}
