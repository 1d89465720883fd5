// The run's summary, the cache tools, the report page and the review page in Chinese, and what
// machines read (the catalog, --metrics-file, --json, exit codes) the same in every language.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FORMAT_MESSAGE_JS, pageMessages } from '../src/i18n/page-messages.js';
import { tIn } from '../src/i18n/index.js';
import { pageHtml } from '../src/review/page-html.js';
import { newPage } from './helpers/chromium.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { api, startReview, stopReview } from './helpers/review.js';

const EN = { LANG: 'en_US.UTF-8' };
const ZH = { LANG: 'zh_CN.UTF-8' };

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

const workspace = scratchFolders('glmv-i18n-');

/**
 * Three photos, an empty .jpg (a failed row), a text file named on the command line (a skip) and
 * a template file: a built-in prompt follows the locale (a Chinese prompt is another job).
 */
async function archive(dir: string): Promise<{ folder: string; notes: string }> {
  await writeFile(path.join(dir, 'describe.md'), '---\nname: plain\n---\nDescribe this image.\n');
  const folder = path.join(dir, 'photos');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < 3; i++) await makeImage(path.join(folder, `p${i}.jpg`), { width: 200 + i, height: 150, seed: 40 + i });
  await writeFile(path.join(folder, 'empty.jpg'), '');
  const notes = path.join(dir, 'notes.txt');
  await writeFile(notes, 'not an image');
  return { folder, notes };
}

// The run's own clock is in these lines; every other byte must be the same.
const untimed = (metrics: string): string =>
  metrics.replace(/^(glm_vision_(?:last_run_(?:start|end)_timestamp_seconds|last_run_duration_seconds|last_success_timestamp_seconds)(?:\{[^}]*\})?) \S+$/gm, '$1 T');

describe('a catalog run in Chinese', () => {
  it('says its summary and skips in Chinese; the catalog, --metrics-file and the exit code are those of English', async () => {
    const dir = await workspace();
    const { folder, notes } = await archive(dir);
    const cache = path.join(dir, 'cache.db');
    const args = (metrics: string): string[] => [
      'catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache,
      '--prompt', path.join(dir, 'describe.md'), '--metrics-file', path.join(dir, metrics), folder, notes,
    ];
    // A first run fills the cache, so that the two compared runs answer alike (cached rows, same latency).
    const first = await runMain(args('first.prom'), { cwd: dir });
    assert.equal(first.code, 1, first.stderr);
    const en = await runMain(args('en.prom'), { cwd: dir, env: EN });
    const zh = await runMain(args('zh.prom'), { cwd: dir, env: ZH });

    assert.match(en.stderr, /^glm-vision: skipping .*notes\.txt: not a recognised image extension$/m);
    assert.match(en.stderr, /^glm-vision: 4\/4 files, 3 ok \(\d+ cached\), 1 failed in \d+\.\d s \([\d.]+ (?:images|files)\/s\)$/m);
    assert.match(zh.stderr, /^glm-vision: 跳过 .*notes\.txt：不是可识别的图片扩展名$/m);
    assert.match(zh.stderr, /^glm-vision: 4\/4 个文件，其中 \d+ 个来自缓存：成功 3，失败 1，用时 \d+\.\d 秒（[\d.]+ (?:张|个文件)\/秒）$/m);
    assert.doesNotMatch(zh.stderr, /files|failed|skipping/);

    assert.equal(zh.code, en.code);
    assert.equal(zh.stdout, en.stdout, 'the catalog is the same in every language');
    // A row's error is data: English in every language.
    const failed = parseJsonl(zh.stdout).find((r) => r.status === 'error');
    assert.equal(failed?.error, 'empty file (0 bytes)');
    const [enMetrics, zhMetrics] = await Promise.all([readFile(path.join(dir, 'en.prom'), 'utf8'), readFile(path.join(dir, 'zh.prom'), 'utf8')]);
    assert.match(zhMetrics, /^# HELP glm_vision_last_run_files_found Files the last run found in its inputs\.$/m);
    assert.equal(untimed(zhMetrics), untimed(enMetrics));
  });
});

describe('the cache tools in Chinese', () => {
  it('cache stats: labels and column headings in Chinese, lined up; --json and a refusal\'s exit code as in English', async () => {
    const dir = await workspace();
    const { folder } = await archive(dir);
    const cache = path.join(dir, 'cache.db');
    const run = await runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', folder], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);

    const zh = await runMain(['cache', 'stats', '--cache', cache], { env: ZH });
    assert.equal(zh.code, 0, zh.stderr);
    const lines = zh.stdout.split('\n');
    assert.match(zh.stdout, /^缓存 {5}.*cache\.db$/m, 'labels padded by their width on a terminal (a Chinese character is two columns)');
    assert.match(zh.stdout, /^失败记录 /m);
    const heading = lines.indexOf('按任务、模型和状态统计的结果');
    assert.ok(heading > 0, zh.stdout);
    const header = lines[heading + 1] as string;
    assert.match(header, /^任务 +提示词 +后端 +模型 +状态 +结果数 +最早 +最新$/);
    // The row's model starts in the heading's column, counted in terminal columns.
    const columnOf = (line: string, text: string): number => [...line.slice(0, line.indexOf(text))].reduce((w, c) => w + (/[\u4e00-\u9fff]/.test(c) ? 2 : 1), 0);
    assert.equal(columnOf(lines[heading + 2] as string, 'test-model'), columnOf(header, '模型'));

    const enJson = await runMain(['cache', 'stats', '--cache', cache, '--json'], { env: EN });
    const zhJson = await runMain(['cache', 'stats', '--cache', cache, '--json'], { env: ZH });
    assert.equal(zhJson.stdout, enJson.stdout);

    const enMissing = await runMain(['cache', 'stats', '--cache', path.join(dir, 'none.db')], { env: EN });
    const zhMissing = await runMain(['cache', 'stats', '--cache', path.join(dir, 'none.db')], { env: ZH });
    assert.equal(enMissing.code, 2);
    assert.equal(zhMissing.code, 2);
    assert.match(enMissing.stderr, /^glm-vision: No cache at .*none\.db \(--cache\); nothing was created\./);
    assert.match(zhMissing.stderr, /^glm-vision: .*none\.db 处没有缓存（--cache），未创建任何文件。/);
  });
});

describe('the report page in Chinese', () => {
  it('every word of the page and of its script in the chosen language; the summary on stderr too', async () => {
    const dir = await workspace();
    const { folder } = await archive(dir);
    const run = await runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', 'cache.db', '-q',
      '-o', 'catalog.jsonl', folder], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);

    const zh = await runMain(['report', 'catalog.jsonl', '-o', 'zh.html', '--lang', 'zh'], { cwd: dir, env: EN });
    assert.equal(zh.code, 0, zh.stderr);
    assert.match(zh.stderr, /^glm-vision: 报告：4 行，3 张缩略图，缺失 0 张图片，1 张图片无法预览；已写入 zh\.html（[\d.]+ KB）$/m);
    const html = await readFile(path.join(dir, 'zh.html'), 'utf8');
    assert.match(html, /<html lang="zh-CN">/);
    assert.match(html, /<title>catalog\.jsonl — glm-vision 编目报告<\/title>/);
    for (const word of ['>全部<', '>成功<', '>出错<', '>图片问题<', '搜索文件名和结果', '>无法预览<', '本页面不从网络加载任何内容']) assert.ok(html.includes(word), word);
    assert.doesNotMatch(html, /image problems|No rows match|Made by glm-vision/);
    // A row's error stays as the catalog has it.
    assert.ok(html.includes('empty file (0 bytes)'));

    const en = await runMain(['report', 'catalog.jsonl', '-o', 'en.html'], { cwd: dir, env: EN });
    assert.equal(en.code, 0, en.stderr);
    assert.match(await readFile(path.join(dir, 'en.html'), 'utf8'), /<html lang="en">[\s\S]*>image problems</);

    // The script's words: the count it writes when a filter is chosen.
    const page = await newPage();
    try {
      await page.goto(`file://${path.join(dir, 'zh.html')}`);
      assert.equal(await page.textContent('#shown'), '4 行');
      await page.click('button[data-filter="error"]');
      await page.locator('#shown', { hasText: /^1 \/ 4 行$/ }).waitFor();
    } finally {
      await page.close();
    }
  });
});

describe('the review page in both languages', () => {
  it('takes its words from the catalogs: the frame, and the messages its script gets', async () => {
    for (const lang of ['en', 'zh'] as const) {
      const html = pageHtml({ lang, title: 'catalog.jsonl', reviewer: 'ana' });
      for (const key of ['review:accept', 'review:reject', 'review:filter.unreviewed', 'review:key.skip'] as const) {
        assert.ok(html.includes(`>${tIn(lang, key)}<`), `${lang} ${key}`);
      }
      assert.ok(html.includes(tIn(lang, 'review:reviewer', { name: 'ana' })));
    }
    assert.match(pageHtml({ lang: 'zh', title: 't', reviewer: 'r' }), />通过<kbd>a<\/kbd>/);
    assert.match(pageHtml({ lang: 'en', title: 't', reviewer: 'r' }), />Accept<kbd>a<\/kbd>/);
  });

  it('the script fills {{values}} and picks the plural form by count, as t() does', () => {
    const formatMessage = new Function(`${FORMAT_MESSAGE_JS}; return formatMessage;`)() as
      (messages: Record<string, string>, locale: string, key: string, values?: Record<string, unknown>) => string;
    const en = pageMessages('en', 'review');
    const zh = pageMessages('zh', 'review');
    assert.equal(formatMessage(en, 'en', 'shown', { count: 1 }), '1 row');
    assert.equal(formatMessage(en, 'en', 'shownOf', { shown: 3, count: 8 }), '3 of 8 rows');
    assert.equal(formatMessage(zh, 'zh-CN', 'shownOf', { shown: 1, count: 1 }), '1 / 1 行');
    assert.equal(formatMessage(zh, 'zh-CN', 'saved', { n: 4, decision: '通过' }), '已保存 #4：通过。');
    assert.equal(formatMessage(en, 'en', 'badJson', { name: '<b>' }), tIn('en', 'review:badJson', { name: '<b>' }));
  });

  it('serves them in the chosen language, and the page shows them', async () => {
    const dir = await workspace();
    const { folder } = await archive(dir);
    const run = await runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', 'cache.db', '-q',
      '-o', 'catalog.jsonl', folder], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    const review = await startReview(['catalog.jsonl', '--cache', 'cache.db', '--reviewer', 'ana'], dir, ZH);
    const page = await newPage();
    try {
      const meta = (await api(review, '/api/meta')).json;
      assert.deepEqual(meta.strings, pageMessages('zh', 'review'));
      await page.goto(review.url);
      await page.locator('#shown', { hasText: /^4 行$/ }).waitFor();
      assert.equal(await page.textContent('#progress'), '已审核 0 / 3');
    } finally {
      await page.close();
      await stopReview(review);
    }
  });
});
