// --help as a person reads it: catalog's options in groups, examples at the end, nothing that says
// nothing, every line within 80 columns (a terminal's width when there is one), in English or
// Chinese as --lang or the locale says, with every help text in both languages' catalogs.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../src/cli/main.js';
import { OPTIONS } from '../src/config/options.js';
import type { OptionSpec } from '../src/config/option-spec.js';
import enCommands from '../src/i18n/en/commands.js';
import enOptions from '../src/i18n/en/options.js';
import zhCommands from '../src/i18n/zh/commands.js';
import zhOptions from '../src/i18n/zh/options.js';
import { runMain } from './helpers/cli.js';

const COMMANDS = [
  [], ['catalog'], ['config'], ['report'], ['xmp'], ['prompts'], ['prompts', 'list'], ['prompts', 'show'],
  ['models'], ['models', 'list'], ['models', 'pull'], ['models', 'info'], ['models', 'rm'],
  ['cache'], ['cache', 'stats'], ['cache', 'export'], ['cache', 'prune'], ['cache', 'vacuum'], ['cache', 'merge'],
  ['review'], ['review', 'import'], ['review', 'export'],
  ['batch'], ['batch', 'export'], ['batch', 'import'], ['batch', 'submit'], ['batch', 'status'], ['batch', 'fetch'],
  ['doctor'],
];

const EN = { LANG: 'en_US.UTF-8' };
const ZH = { LANG: 'zh_CN.UTF-8' };

/** Terminal columns, counted independently of the help's own layout: CJK and fullwidth forms are two. */
const columns = (line: string): number =>
  [...line].reduce((n, ch) => n + (/[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(ch) ? 2 : 1), 0);

async function help(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runMain([...args, '--help'], { env });
  assert.equal(r.code, 0, `${args.join(' ')} --help: ${r.stderr}`);
  return r.stdout;
}

describe('--help', () => {
  it("catalog's options come in groups, in order, each option in its own group, then examples and exit codes", async () => {
    const text = await help(['catalog'], EN);
    const headings = ['Inputs:', 'Model and server:', 'Prompt:', 'Images:', 'Documents (PDFs, multi-page TIFFs):', 'Output:', 'Cache:', 'Run control:', 'Examples:', 'Exit codes:'];
    const at = headings.map((h) => text.split('\n').indexOf(h));
    assert.ok(at.every((i) => i >= 0), `missing headings: ${headings.filter((_, i) => (at[i] ?? -1) < 0).join(', ')}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, 'groups out of order');
    assert.doesNotMatch(text, /^Options:$/m, 'an option outside the groups');
    const lines = text.split('\n');
    const groupOf = (flag: string): string | undefined => {
      const line = lines.findIndex((l) => new RegExp(`^ {2}(-\\w, )?${flag}[ ,]`).test(l) || l.trim() === flag || new RegExp(`^ {2}(-\\w, )?${flag}$`).test(l));
      return lines.slice(0, line).reverse().find((l) => /^\S.*:$/.test(l));
    };
    assert.equal(groupOf('--endpoint'), 'Model and server:');
    assert.equal(groupOf('--dtype'), 'Model and server:');
    assert.equal(groupOf('--set'), 'Prompt:');
    assert.equal(groupOf('--pages'), 'Documents (PDFs, multi-page TIFFs):');
    assert.equal(groupOf('--no-bom'), 'Output:');
    assert.equal(groupOf('--refresh'), 'Cache:');
    assert.equal(groupOf('--help'), 'Run control:');
    // The examples are commands a person can paste: 4 or 5 of them, each a catalog run.
    const examples = text.slice(text.indexOf('Examples:'), text.indexOf('Exit codes:'));
    const runs = examples.split('\n').filter((l) => /glm-vision catalog /.test(l));
    assert.ok(runs.length >= 4 && runs.length <= 5, examples);
  });

  it('prints no default that says nothing, and every line fits 80 columns, in English and Chinese', async () => {
    for (const env of [EN, ZH]) {
      for (const args of COMMANDS) {
        const text = await help(args, env);
        assert.doesNotMatch(text, /\((default|默认)[:：] ?(\[\]|""|false)\)|（默认：(\[\]|""|false)）/, `${args.join(' ')} (${env.LANG})`);
        const wide = text.split('\n').filter((l) => columns(l) > 80);
        assert.deepEqual(wide, [], `${args.join(' ')} --help (${env.LANG}) has lines over 80 columns`);
      }
    }
  });

  it('keeps the defaults that say something', async () => {
    const text = (await help(['catalog'], EN)).replace(/\s+/g, ' ');
    for (const shown of ['(default: "describe")', '(default: "auto")', '(default: "wait")']) assert.ok(text.includes(shown), shown);
  });

  it('is in Chinese under a Chinese locale and with --lang zh, in English with --lang en', async () => {
    const byLocale = await help(['catalog'], ZH);
    for (const text of ['用法：', '输入：', '模型与服务端：', '运行控制：', '示例：', '退出码：', '只处理匹配 GLOB 的文件']) {
      assert.ok(byLocale.includes(text), `zh help lacks ${text}`);
    }
    assert.doesNotMatch(byLocale, /only files matching GLOB/);
    assert.equal(await help(['catalog', '--lang', 'zh'], EN), byLocale);
    assert.equal(await help(['catalog', '--lang=en'], ZH), await help(['catalog'], EN));
    // Every command's description, in Chinese.
    const top = await help([], { LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' });
    assert.ok(top.includes(zhCommands['doctor.description'].slice(0, 12)), top);
    assert.ok(top.includes('命令：'));
  });

  it('wraps to the terminal it writes to', async () => {
    let text = '';
    const tty = Object.assign(new Writable({ write: (chunk: Buffer, _e, done) => { text += chunk.toString(); done(); } }), { isTTY: true, columns: 120 });
    const code = await main(['xmp', '--help'], { stdin: process.stdin, stdout: tty, stderr: tty, env: EN, cwd: process.cwd() });
    assert.equal(code, 0);
    const lines = text.split('\n');
    assert.ok(lines.every((l) => columns(l) <= 120), text);
    assert.ok(lines.some((l) => columns(l) > 80), 'not wider than 80 on a 120-column terminal');
    // At 80 columns (no terminal) the same help wraps: the long --output help takes several lines.
    const piped = await help(['xmp'], EN);
    assert.ok(piped.split('\n').length > lines.length);
  });
});

describe('help catalogs', () => {
  const en = enOptions as Record<string, string>;
  const zh = zhOptions as Record<string, string>;

  it('give every option of every command a help in each language, and nothing else', () => {
    const wanted = new Set<string>();
    for (const o of OPTIONS as readonly OptionSpec[]) {
      const command = o.helpOf ?? o.commands[0] ?? '';
      wanted.add(`${command}.${o.key}`);
      if (o.negate !== undefined) wanted.add(`${command}.no-${o.key}`);
    }
    for (const tree of [en, zh]) assert.deepEqual(Object.keys(tree).sort(), [...wanted].sort());
    assert.deepEqual(Object.keys(zhCommands).sort(), Object.keys(enCommands).sort());
  });

  it('keep the flags, variables and numbers of the English in the Chinese', () => {
    const tokens = (s: string): string[] => [...new Set(s.match(/--[a-z][a-z-]*|\$[A-Z_]+|\b\d{2,}\b|\{\{\w+\}\}/g) ?? [])].sort();
    for (const [key, text] of Object.entries(en)) assert.deepEqual(tokens(zh[key] ?? ''), tokens(text), `options:${key}`);
  });
});
