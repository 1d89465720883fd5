// The option table (src/config/options.ts) is the one place options are declared: the README's
// "Every setting" table, the settings and the command line's options are made from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { settingsTableMarkdown } from '../src/config/settings-table.js';
import { SETTINGS } from '../src/config/settings.js';
import { OPTIONS, optionsFor } from '../src/config/options.js';
import { parseFlags } from '../src/config/parse-flags.js';
import { README, readmeSettingsTable } from './tools/readme-settings.js';

/** The rows that differ, each as README (-) and table (+). */
function rowDiff(readme: string, generated: string): string {
  const ours = readme.split('\n');
  const theirs = generated.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    if (ours[i] === theirs[i]) continue;
    if (ours[i] !== undefined) out.push(`- ${ours[i]}`);
    if (theirs[i] !== undefined) out.push(`+ ${theirs[i]}`);
  }
  return out.join('\n');
}

describe('option table', () => {
  it("README's \"Every setting\" table is the one the option table makes", () => {
    const readme = readmeSettingsTable(readFileSync(README, 'utf8'));
    const generated = settingsTableMarkdown();
    assert.ok(readme === generated,
      `README.md's "Every setting" table and src/config/catalog-options.ts differ ` +
      `(- README, + option table); run: node --import tsx test/tools/readme-settings.ts\n${rowDiff(readme, generated)}`);
  });

  it('declares each flag of a command once', () => {
    const commands = new Set(OPTIONS.flatMap((o) => o.commands));
    for (const command of commands) {
      const keys = optionsFor(command).map((o) => o.key);
      assert.deepEqual(keys.filter((k, i) => keys.indexOf(k) !== i), [], command);
    }
  });

  it('every setting is a catalog option, with a distinct place in the listing', () => {
    assert.equal(SETTINGS.length, new Set(SETTINGS.map((s) => s.option.setting)).size);
    for (const s of SETTINGS) assert.ok(s.option.commands.includes('catalog'), s.key);
  });

  it('parses flags with the checks and bounds of the table, naming the flag', () => {
    const flags = parseFlags('doctor', { endpoint: ['http://h:1/v1/'], timeout: '2.5' });
    assert.deepEqual(flags.endpoint, ['http://h:1/v1']);
    assert.equal(flags.timeout, 2.5);
    assert.throws(() => parseFlags('report', { thumbSize: '8', concurrency: '1', maxInputPixels: '9', thumbnails: true, only: [], thumbnailsIn: 'auto' }),
      /Expected integer from 32 to 1024 for --thumb-size but received "8"/);
  });
});
