// The command line in English and Chinese: the same command under LANG=zh_CN.UTF-8, under
// LANG=en_US.UTF-8 and with --lang zh says its errors, warnings and commander's own words in that
// language, and exits with the same code and the same stdout data in all three.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders, type CliResult } from './helpers/cli.js';
import { OPTIONS } from '../src/config/options.js';
import type { OptionSpec } from '../src/config/option-spec.js';

const workspace = scratchFolders('glmv-i18n-');
const ZH = { LANG: 'zh_CN.UTF-8' };
const EN = { LANG: 'en_US.UTF-8' };

interface Three {
  zh: CliResult;
  en: CliResult;
  /** --lang zh in an English locale. */
  flag: CliResult;
}

/** The command in a Chinese locale, an English one, and with --lang zh after `langAfter` words (the command's name). */
async function inThree(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; langAfter?: number } = {}): Promise<Three> {
  const at = options.langAfter ?? 1;
  const flagged = [...args.slice(0, at), '--lang', 'zh', ...args.slice(at)];
  return {
    zh: await runMain(args, { cwd: options.cwd, env: { ...options.env, ...ZH } }),
    en: await runMain(args, { cwd: options.cwd, env: { ...options.env, ...EN } }),
    flag: await runMain(flagged, { cwd: options.cwd, env: { ...options.env, ...EN } }),
  };
}

/**
 * Same exit code and stdout in every language; `zh` on the Chinese runs' stderr, `en` on the English
 * one's. catalog's (and config's) --lang also picks the prompts, so a different job: `promptsToo`.
 */
function check(r: Three, code: number, zh: RegExp, en: RegExp, promptsToo = false): void {
  for (const [name, run] of Object.entries(r)) assert.equal(run.code, code, `${name}: ${run.stderr}`);
  assert.equal(r.zh.stdout, r.en.stdout);
  if (!promptsToo) assert.equal(r.flag.stdout, r.en.stdout);
  assert.match(r.zh.stderr, zh);
  assert.match(r.flag.stderr, zh);
  assert.match(r.en.stderr, en);
  assert.doesNotMatch(r.en.stderr, /[\u4e00-\u9fff]/, 'no Chinese in English');
}

describe('messages in the language of the command line', () => {
  let server: FakeOpenAI;
  before(async () => {
    server = await startFakeOpenAI();
  });
  after(() => server.close());

  it('a bad flag value (exit 2)', async () => {
    const r = await inThree(['catalog', '--endpoint', server.url, '--model', 'm', '-j', '-3', '.']);
    check(r, 2, /^glm-vision: --concurrency 应为 auto 或正整数，但收到的是 "-3"\n$/,
      /^glm-vision: Expected auto or a positive integer for --concurrency but received "-3"\n$/);
  });

  it('a usage error of a command (exit 2)', async () => {
    const r = await inThree(['xmp', 'catalog.jsonl']);
    check(r, 2, /请指定输出方式：--sidecars/, /^glm-vision: Say what to write: --sidecars \(XMP files beside the images\) or --csv \(for exiftool -csv=\)\n$/);
  });

  it('a bad config file, with a suggestion; a number shown as written', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'glm-vision.config.json');
    await writeFile(file, JSON.stringify({ maxPixels: 500000 }));
    const unknown = await inThree(['config'], { cwd: dir });
    check(unknown, 2, /^glm-vision: 配置文件 \S+ 中有未知设置 "maxPixels"（是不是想写 "max-pixels"？）\n$/,
      /^glm-vision: Unknown setting "maxPixels" in config file \S+ \(did you mean "max-pixels"\?\)\n$/);
    assert.equal(unknown.zh.stdout, '');

    await writeFile(file, JSON.stringify({ concurrency: -3 }));
    const value = await inThree(['config'], { cwd: dir });
    check(value, 2, /^glm-vision: \S+ 中的 "concurrency" 应为 auto 或正整数，但收到的是 -3\n$/,
      /^glm-vision: Expected auto or a positive integer for "concurrency" in \S+ but received -3\n$/);

    await writeFile(file, '{\n  "model": "m",\n  "dpi": 300,\n}\n');
    const json = await inThree(['config'], { cwd: dir });
    check(json, 2, /配置文件 \S+ 第 4 行第 1 列的 JSON 有误：/, /Invalid JSON in config file \S+ at line 4, column 1: /);
  });

  it('a prompt template error', async () => {
    const dir = await workspace();
    const template = path.join(dir, 'bad.md');
    await writeFile(template, '---\nname: bad\noutput: yaml\n---\nDescribe it.\n');
    await makeImage(path.join(dir, 'a.jpg'), { width: 64, height: 48, seed: 1 });
    const r = await inThree(['catalog', '--endpoint', server.url, '--model', 'm', '--cache', path.join(dir, 'c.db'), '--prompt', template, dir]);
    check(r, 2, /^glm-vision: 提示词模板 \S+bad\.md 有误：“output”只能是 text 或 json，实际为“yaml”\n$/,
      /^glm-vision: Invalid prompt template \S+bad\.md: "output" must be text or json, got "yaml"\n$/);
  });

  it("commander's errors: an unknown option with its suggestion, a missing argument, too many, an invalid choice, an unknown command", async () => {
    const unknown = await inThree(['catalog', '--concurency', '3']);
    check(unknown, 2, /^错误：未知选项“--concurency”\n（是不是想用 --concurrency？）\n（使用 --help 查看用法）\n$/,
      /^error: unknown option '--concurency'\n\(Did you mean --concurrency\?\)\n\(run with --help for usage\)\n$/);
    const missing = await inThree(['report']);
    check(missing, 2, /^错误：缺少必需的参数“catalog”\n/, /^error: missing required argument 'catalog'\n\(run with --help for usage\)\n$/);
    const many = await inThree(['report', 'a.jsonl', 'b.jsonl']);
    check(many, 2, /^错误：命令“report”的参数过多：应为 1 个，实际给了 2 个。\n/,
      /^error: too many arguments for 'report'\. Expected 1 argument but got 2\.\n/);
    const choice = await inThree(['catalog', '--backend', 'gpu']);
    check(choice, 2, /^错误：选项“--backend <name>”的值“gpu”无效。可选值：openai、onnx。\n/,
      /^error: option '--backend <name>' argument 'gpu' is invalid\. Allowed choices are openai, onnx\.\n/);
    const noValue = await inThree(['cache', 'stats', '--cache'], { langAfter: 2 });
    check(noValue, 2, /^错误：选项“--cache <file>”缺少参数值\n/, /^error: option '--cache <file>' argument missing\n/);
    // No command to carry --lang: only the locale says.
    const command = { zh: await runMain(['catalgo'], { env: ZH }), en: await runMain(['catalgo'], { env: EN }) };
    assert.deepEqual([command.zh.code, command.en.code], [2, 2]);
    assert.match(command.zh.stderr, /^错误：未知命令“catalgo”\n（是不是想用 catalog？）\n/);
    assert.match(command.en.stderr, /^error: unknown command 'catalgo'\n\(Did you mean catalog\?\)\n/);
  });

  it("--help: commander's headings and words", async () => {
    const r = await inThree(['cache', 'stats', '--help'], { langAfter: 2 });
    for (const run of Object.values(r)) assert.equal(run.code, 0);
    assert.match(r.zh.stdout, /^用法：glm-vision cache stats \[options\]\n/);
    assert.match(r.zh.stdout, /\n选项：\n/);
    assert.match(r.zh.stdout, /--runs <n> .*（默认："5"）/);
    assert.match(r.zh.stdout, /-h, --help +显示命令的帮助\n/);
    assert.equal(r.flag.stdout, r.zh.stdout);
    assert.match(r.en.stdout, /^Usage: glm-vision cache stats \[options\]\n/);
    assert.match(r.en.stdout, /--runs <n> .*\(default: "5"\)/);
    assert.match(r.en.stdout, /-h, --help +display help for command\n/);
  });

  it('--lang is taken by every command, and only en or zh', async () => {
    const commands = [...new Set((OPTIONS as readonly OptionSpec[]).flatMap((o) => o.commands))];
    for (const command of commands) {
      const takes = (OPTIONS as readonly OptionSpec[]).some((o) => o.key === 'lang' && o.commands.includes(command));
      assert.ok(takes, `${command} has no --lang`);
    }
    for (const command of ['models list', 'models info', 'models rm', 'doctor', 'review import', 'batch status']) {
      const r = await runMain([...command.split(' '), '--lang', 'zh', '--help'], { env: EN });
      assert.equal(r.code, 0, `${command}: ${r.stderr}`);
      assert.match(r.stdout, /^用法：/, command);
    }
    const bad = await runMain(['cache', 'stats', '--lang', 'fr'], { env: ZH });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^错误：选项“--lang <en\|zh>”的值“fr”无效。可选值：en、zh。\n/);
  });

  it('glm-vision config: the listing in the language, --json the same in both', async () => {
    const dir = await workspace();
    const json = await inThree(['config', '--json', '--no-config'], { cwd: dir, env: { GLM_VISION_LANG: 'en' } });
    check(json, 0, /^$/, /^$/, true);
    assert.equal(JSON.parse(json.flag.stdout).settings.lang.value, 'zh');
    const parsed = JSON.parse(json.zh.stdout) as { settings: Record<string, { note?: string }> };
    assert.equal(parsed.settings.threads?.note, 'all cores');

    const zh = await runMain(['config', '--no-config'], { cwd: dir, env: ZH });
    const en = await runMain(['config', '--no-config'], { cwd: dir, env: EN });
    assert.equal(zh.code, 0);
    const [first, , header, ...rows] = zh.stdout.split('\n');
    assert.equal(first, '配置文件：无（--no-config）');
    assert.match(header as string, /^设置 +值 +来源$/);
    assert.ok(rows.some((l) => /^threads +\d+ +默认值（全部 CPU 核心）$/.test(l)));
    assert.ok(rows.some((l) => /^lang +zh +默认值（取自 LC_ALL、LC_MESSAGES 或 LANG）$/.test(l)));
    // Columns line up on a terminal: 设置 takes four columns, so the values start two characters later than the heading's 值.
    const valueColumn = ((header as string).match(/^设置 +/)?.[0].length ?? 0) + 2;
    assert.ok(rows.filter((l) => l).every((l) => l[valueColumn - 1] === ' ' && l[valueColumn] !== ' '), zh.stdout);
    assert.match(en.stdout, /^config file: none \(--no-config\)\n\nSETTING +VALUE +SOURCE\n/);
    assert.match(en.stdout, /\nthreads +\d+ +default \(all cores\)\n/);
  });

  it('a catalog run: the same rows and exit code in both languages, the error column in English', async () => {
    const dir = await workspace();
    const photos = path.join(dir, 'photos');
    await mkdir(photos);
    await makeImage(path.join(photos, 'a.jpg'), { width: 64, height: 48, seed: 1 });
    await makeImage(path.join(photos, 'b.png'), { width: 48, height: 64, seed: 2, format: 'png' });
    await writeFile(path.join(photos, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    // The prompts' language pinned: messages follow LANG, the job (and so each row's job) does not.
    // --shard auto: a warning of the command line's own (the part a scheduler gave), and the same part in every run.
    const args = ['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', path.join(dir, 'c.db'), '--shard', 'auto', photos];
    const env = { GLM_VISION_LANG: 'en', JOB_COMPLETION_INDEX: '0', GLM_VISION_SHARDS: '1' };
    await runMain(args, { env: { ...env, ...EN } });
    const r = await inThree(args, { env });
    check(r, 1, /^glm-vision: --shard auto：处理第 1\/1 个分片（/m, /^glm-vision: --shard auto: part 1\/1 \(/m, true);
    const rows = parseJsonl(r.zh.stdout);
    assert.equal(rows.length, 3);
    const broken = rows.find((row) => String(row.SourceFile).endsWith('broken.jpg'));
    assert.equal(broken?.status, 'error');
    assert.doesNotMatch(String(broken?.error), /[\u4e00-\u9fff]/);
  });
});

describe("a developer's Chinese locale does not reach the tests", () => {
  it('runMain gives the CLI its own environment, not the process one', async () => {
    const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG };
    process.env.LC_ALL = 'zh_CN.UTF-8';
    process.env.LANG = 'zh_CN.UTF-8';
    try {
      const r = await runMain(['catalog', '--bogus']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: unknown option '--bogus'\n/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
