// The message catalogs: both languages hold the same messages with the same placeholders, and
// no user-facing text is written in the code outside them (beyond the shrinking pending list).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { catalogs } from '../src/i18n/catalogs.js';
import { langForArgs, langFromEnv, t, tIn, withLang } from '../src/i18n/index.js';
import { timeText } from '../src/i18n/units.js';
import { runMain } from './helpers/cli.js';
import { PENDING } from './i18n-pending.js';
import { countByFile, scanSources } from './tools/i18n-scan.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PLURAL = /_(zero|one|two|few|many|other)$/;
const placeholders = (text: string): string[] => [...text.matchAll(/\{\{\s*([\w.]+)/g)].map((m) => m[1] as string).sort();

describe('message catalogs', () => {
  const en = catalogs.en as Record<string, Record<string, string>>;
  const zh = catalogs.zh as Record<string, Record<string, string>>;

  // `npm run build` (which `npm test` runs first) makes dist's catalogs one module of JSON text.
  it('dist/i18n/catalogs.js, the built bundle, holds exactly the sources\' messages, in one module', async () => {
    const built = path.join(ROOT, 'dist', 'i18n', 'catalogs.js');
    const text = await readFile(built, 'utf8');
    assert.doesNotMatch(text, /^import /m, 'the bundle still imports the per-namespace modules');
    const bundled = (await import(pathToFileURL(built).href)) as { catalogs: unknown };
    assert.deepEqual(bundled.catalogs, catalogs);
  });

  it('have the same namespaces in English and Chinese', () => {
    assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  });

  for (const ns of Object.keys(en)) {
    it(`${ns}: every English message has its Chinese one, with the same placeholders`, () => {
      const english = en[ns] as Record<string, string>;
      const chinese = zh[ns] ?? {};
      // Chinese has one plural form: `_other` stands for every English form.
      const expected = new Set(Object.keys(english).map((k) => (PLURAL.test(k) ? k.replace(PLURAL, '_other') : k)));
      const missing = [...expected].filter((k) => !(k in chinese));
      const extra = Object.keys(chinese).filter((k) => !expected.has(k));
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `zh/${ns}.ts`);
      for (const [key, text] of Object.entries(english)) {
        assert.ok(text.trim() !== '', `en/${ns}.ts: ${key} is empty`);
        const other = chinese[PLURAL.test(key) ? key.replace(PLURAL, '_other') : key] as string;
        assert.ok(other.trim() !== '', `zh/${ns}.ts: ${key} is empty`);
        // `count` may be left out of a form ("one file"), never a value the sentence needs.
        // Each placeholder counts once: a message may name the same value twice.
        const need = [...new Set(placeholders(text))].filter((p) => p !== 'count');
        assert.deepEqual([...new Set(placeholders(other))].filter((p) => p !== 'count'), need,
          `${ns}:${key} fills {{${need.join('}}, {{')}}} in English but {{${placeholders(other).join('}}, {{')}}} in Chinese`);
      }
    });
  }
});

describe('t()', () => {
  it('speaks the language of the call, English outside one', async () => {
    assert.match(t('cli:error.stdout', { why: 'EIO' }), /^Cannot write to stdout: EIO$/);
    const inZh = await withLang('zh', async () => {
      await Promise.resolve(); // the language follows async work
      return t('cli:error.stdout', { why: 'EIO' });
    });
    assert.equal(inZh, '无法写入标准输出：EIO');
    assert.equal(tIn('zh', 'cli:help.afterError'), '（使用 --help 查看用法）');
  });

  it('takes the language from --lang, else LC_ALL, LC_MESSAGES, LANG, else English', () => {
    assert.equal(langForArgs(['catalog', '--lang', 'zh', 'x'], { LANG: 'en_US.UTF-8' }), 'zh');
    assert.equal(langForArgs(['catalog', '--lang=en'], { LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(langForArgs(['catalog', '--', '--lang', 'zh'], {}), 'en');
    assert.equal(langFromEnv({ LC_ALL: 'zh_TW.UTF-8', LANG: 'en_US.UTF-8' }), 'zh');
    assert.equal(langFromEnv({ LC_MESSAGES: 'zh_CN', LANG: 'en_US.UTF-8' }), 'zh');
    assert.equal(langFromEnv({ LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(langFromEnv({}), 'en');
  });
});

describe('times and lists in a message', () => {
  it('timeText: ms under a second, seconds above, in the call\'s language', () => {
    assert.deepEqual([350, 5000, 1500, 60_000].map((ms) => timeText(ms, { lang: 'en' })), ['350 ms', '5 s', '1.5 s', '60 s']);
    assert.deepEqual([350, 5000, 1500].map((ms) => timeText(ms, { lang: 'zh' })), ['350 毫秒', '5 秒', '1.5 秒']);
    assert.equal(timeText(1234, { lang: 'en', digits: 2 }), '1.23 s');
    assert.equal(withLang('zh', () => timeText(2000)), '2 秒');
  });

  it('a list of names is joined with ", " in English and "、" in Chinese', () => {
    assert.equal(['a', 'b'].join(tIn('en', 'cli:list.names')), 'a, b');
    assert.equal(['a', 'b'].join(tIn('zh', 'cli:list.names')), 'a、b');
  });

  it('an unreadable --files-from is named, with why in words (no raw ENOENT)', async () => {
    const en = await runMain(['catalog', '--files-from', '/nonexistent/list.txt', '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm'], { env: { LANG: 'en_US.UTF-8' } });
    const zh = await runMain(['catalog', '--files-from', '/nonexistent/list.txt', '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm'], { env: { LANG: 'zh_CN.UTF-8' } });
    assert.deepEqual([en.code, zh.code], [2, 2]);
    assert.equal(en.stderr, 'glm-vision: Cannot read --files-from /nonexistent/list.txt: no such file\n');
    assert.equal(zh.stderr, 'glm-vision: 无法读取 --files-from /nonexistent/list.txt：文件不存在\n');
  });
});

describe('user-facing text lives in the catalogs', () => {
  const counts = countByFile(scanSources(ROOT));

  it('no file writes more English outside the catalogs than test/i18n-pending.ts allows', () => {
    const over = [...counts].filter(([file, n]) => n > (PENDING[file] ?? 0)).map(([file, n]) => `${file}: ${n} (pending list: ${PENDING[file] ?? 0})`);
    assert.deepEqual(over, [], 'move these messages into src/i18n/en and zh (node --import tsx test/tools/i18n-scan.ts --list shows them)');
  });

  it('the pending list is not larger than what is left (it only shrinks)', () => {
    const stale = Object.entries(PENDING).filter(([file, n]) => n > (counts.get(file) ?? 0)).map(([file, n]) => `${file}: listed ${n}, found ${counts.get(file) ?? 0}`);
    assert.deepEqual(stale, [], 'lower these counts in test/i18n-pending.ts (or remove the file)');
  });

  it('the scan finds English handed to an error, a write and a help text', () => {
    // The scan itself, on the kinds of line it must catch: a scan that finds nothing proves nothing.
    const finds = scanSources(path.join(ROOT, 'test', 'fixtures', 'i18n-scan'), '.ts.txt');
    assert.deepEqual(finds.map((f) => f.line).sort((a, b) => a - b), [3, 4, 5, 6, 8]);
  });
});
