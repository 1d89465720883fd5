// `glm-vision report`: real catalogs (the CLI against the loopback server) become
// an HTML page, which headless Chromium opens, filters, searches and photographs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { newPage } from './helpers/chromium.js';
import sharp from 'sharp';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type Handler } from './helpers/fake-openai.js';
import { makeImage, pngBomb } from './helpers/images.js';
import { fileAppears, parseJsonl, runMain, scratchFolders, startCli, type CliResult } from './helpers/cli.js';

const XSS = 'Nice view.\nSecond line </script><script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const ODD_NAME = 'd <b>&"\'照片 שלום.jpg';

let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI();
});
after(async () => {
  await server.close();
});

const workspace = scratchFolders('glmv-report-');

async function openReport(file: string): Promise<{ page: Page; requests: string[]; refused: string[] }> {
  const page = await newPage();
  const requests: string[] = [];
  const refused: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  await page.goto(`file://${file}`);
  return { page, requests, refused };
}

interface Shown {
  ids: string[];
  statuses: string[];
  label: string;
}

// Browser-side code is passed as source text: the project's TypeScript has no DOM types.

/** The rows a user can see now (not hidden by a filter). */
async function shown(page: Page): Promise<Shown> {
  return page.evaluate<Shown>(`(() => {
    const rows = Array.from(document.querySelectorAll('#rows > .row')).filter((r) => getComputedStyle(r).display !== 'none');
    return { ids: rows.map((r) => r.id), statuses: rows.map((r) => r.dataset.status), label: document.getElementById('shown').textContent };
  })()`);
}

async function search(page: Page, text: string, expectedCount: number): Promise<Shown> {
  await page.fill('#q', text);
  // The page filters on the next animation frame after the input; a frame asked for now comes after
  // it. (The count alone is no sign: the previous search may have shown as many rows.)
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
  const label = (n: number, total: number): string => (n === total ? `${total} rows` : `${n} of ${total} rows`);
  const total = await page.locator('#rows > .row').count();
  await page.locator('#shown', { hasText: new RegExp(`^${label(expectedCount, total)}$`) }).waitFor();
  return shown(page);
}

/** Makes lazy thumbnails load and waits until each is decoded; returns each row's natural size. */
async function decodedThumbnails(page: Page): Promise<Record<string, { w: number; h: number }>> {
  return page.evaluate(`(async () => {
    const images = Array.from(document.images);
    for (const img of images) img.loading = 'eager';
    await Promise.all(images.map((img) => img.decode().catch(() => undefined)));
    return Object.fromEntries(images.map((img) => [img.closest('.row').id, { w: img.naturalWidth, h: img.naturalHeight }]));
  })()`);
}

async function screenshot(page: Page, dir: string, copyTo?: string): Promise<void> {
  const file = path.join(dir, 'report.png');
  await page.screenshot({ path: file });
  const png = await readFile(file);
  assert.ok(png.length > 5000, `screenshot is only ${png.length} bytes`);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'screenshot is not a PNG');
  if (copyTo) await copyFile(file, copyTo);
}

function catalogArgs(cache: string, extra: string[]): string[] {
  return ['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', ...extra];
}

function summaryOf(r: CliResult): string {
  return r.stderr.split('\n').find((l) => l.startsWith('glm-vision: report:')) ?? `(no summary in ${JSON.stringify(r.stderr)})`;
}

describe('report from a text catalog', () => {
  let dir: string;
  let rows: Record<string, unknown>[];
  let html: string;
  let run: CliResult;
  const index = (name: string): number => rows.findIndex((r) => path.basename(r.SourceFile as string) === name) + 1;

  before(async () => {
    dir = await workspace();
    const photos = path.join(dir, 'photos');
    await makeImage(path.join(photos, 'a-plain.jpg'), { width: 640, height: 480, seed: 1 });
    await makeImage(path.join(photos, 'b-plain.png'), { width: 500, height: 500, format: 'png', seed: 2 });
    await makeImage(path.join(photos, 'c-rotated.jpg'), { width: 300, height: 200, seed: 3 });
    await makeImage(path.join(photos, ODD_NAME), { width: 320, height: 240, seed: 4 });
    await makeImage(path.join(photos, 'e line\nbreak.jpg'), { width: 320, height: 240, seed: 5 });
    await writeFile(path.join(photos, 'f-broken.jpg'), 'not an image at all\n');
    await writeFile(path.join(photos, 'g-bomb.png'), pngBomb(100_000, 100_000));
    await makeImage(path.join(photos, 'y-changed.jpg'), { width: 320, height: 240, seed: 6 });
    await makeImage(path.join(photos, 'z-deleted.jpg'), { width: 320, height: 240, seed: 7 });
    // c-rotated.jpg gets EXIF orientation 6: a 300×200 landscape stored, a portrait shown.
    const rotated = await sharp(path.join(photos, 'c-rotated.jpg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    await writeFile(path.join(photos, 'c-rotated.jpg'), rotated);

    const handler: Handler = (req, i) =>
      i === 0 ? { type: 'answer', content: XSS }
      : i === 1 ? { type: 'answer', content: 'A partial answer that was cut', finishReason: 'length' }
      : defaultReply(req);
    server.setHandler(handler);
    const cat = await runMain(catalogArgs(path.join(dir, 'cache.db'), ['-j', '1', 'photos', '-o', 'text.jsonl']), { cwd: dir });
    server.setHandler(defaultReply);
    assert.equal(cat.code, 1, `catalog should report its error rows: ${cat.stderr}`);
    rows = parseJsonl(await readFile(path.join(dir, 'text.jsonl'), 'utf8'));
    assert.equal(rows.length, 9);
    assert.deepEqual(rows.map((r) => r.status).sort(), ['error', 'error', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'truncated']);
    // After cataloguing: one image deleted, one replaced by another picture.
    await unlink(path.join(photos, 'z-deleted.jpg'));
    await makeImage(path.join(photos, 'y-changed.jpg'), { width: 320, height: 240, seed: 99 });

    run = await runMain(['report', 'text.jsonl', '-o', 'report.html'], { cwd: dir });
    html = await readFile(path.join(dir, 'report.html'), 'utf8');
  });

  it('writes one self-contained file and a summary, warning about the missing image but not failing', async () => {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(summaryOf(run), /^glm-vision: report: 9 rows, 6 thumbnails, 1 image missing, 2 images without preview, 1 image changed since cataloguing; wrote report\.html \(\d+ KB\)$/);
    assert.match(run.stderr, /image not found: .*z-deleted\.jpg/);
    assert.match(run.stderr, /no preview of .*g-bomb\.png: image too large: 100000×100000/);
    assert.doesNotMatch(html, /(?:src|href)="(?!data:|#)/, 'the page refers to something outside itself');
    assert.doesNotMatch(html, /https?:\/\//);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:;/);
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp')), [], 'a temporary file was left behind');
  });

  it('shows every row with its thumbnail, status, answer and details in Chromium, and loads nothing', async () => {
    const { page, requests, refused } = await openReport(path.join(dir, 'report.html'));
    assert.equal(await page.locator('#rows > .row').count(), rows.length);
    assert.equal(await page.locator('#shown').textContent(), '9 rows');
    assert.match(await page.locator('header').innerText(), /9 rows: 6 ok, 1 truncated, 2 error/);

    const thumbs = await decodedThumbnails(page);
    for (const [i, row] of rows.entries()) {
      const name = path.basename(row.SourceFile as string);
      const file = path.join(dir, row.SourceFile as string);
      if (row.status !== 'error' && existsSync(file)) {
        assert.ok((thumbs[`r${i + 1}`]?.w ?? 0) > 0, `row ${i + 1} (${name}) has no decoded thumbnail`);
      }
    }
    assert.equal(Object.keys(thumbs).length, 6);
    const portrait = thumbs[`r${index('c-rotated.jpg')}`];
    assert.ok(portrait && portrait.h > portrait.w, `EXIF orientation ignored: ${JSON.stringify(portrait)}`);
    assert.ok(Object.values(thumbs).every((t) => t.w <= 256 && t.h <= 256));

    const row = (name: string) => page.locator(`#r${index(name)}`);
    assert.match(await row('z-deleted.jpg').locator('.thumb').textContent() ?? '', /image not found/);
    assert.match(await row('g-bomb.png').locator('.thumb').textContent() ?? '', /no preview[\s\S]*too large/);
    assert.match(await row('y-changed.jpg').locator('.thumb').textContent() ?? '', /changed since cataloguing/);

    // The odd file name is shown as text; the newline in the other is made visible.
    assert.equal(await row(ODD_NAME).locator('.file').textContent(), `photos/${ODD_NAME}`);
    assert.equal(await row('e line\nbreak.jpg').locator('.file').textContent(), 'photos/e line\\nbreak.jpg');

    // Error rows stand out and say why.
    for (const name of ['f-broken.jpg', 'g-bomb.png']) {
      const r = row(name);
      assert.equal(await r.getAttribute('data-status'), 'error');
      assert.equal(await r.locator('.badge').first().textContent(), 'error');
      assert.equal(await r.locator('.err').textContent(), rows[index(name) - 1]?.error);
      const look = await page.evaluate<{ border: string; background: string }>(`(() => {
        const style = getComputedStyle(document.getElementById('r${index(name)}'));
        return { border: style.borderLeftColor, background: style.backgroundColor };
      })()`);
      assert.notEqual(look.background, 'rgb(255, 255, 255)', 'error row not highlighted');
      assert.match(look.border, /^rgb\((\d+), (\d+), (\d+)\)$/);
      const [, red, green] = /rgb\((\d+), (\d+)/.exec(look.border) as RegExpExecArray;
      assert.ok(Number(red) > 120 && Number(green) < 80, `error border is not red: ${look.border}`);
    }

    // The model's answer is text: its markup shows, nothing runs, line breaks stay.
    const xssRow = rows.findIndex((r) => r.output === XSS) + 1;
    assert.ok(xssRow > 0);
    assert.equal(await page.locator(`#r${xssRow} .answer`).textContent(), XSS);
    assert.equal(await page.evaluate('typeof window.__xss'), 'undefined', 'the answer ran as script');
    assert.equal(await page.locator('img[src="x"]').count(), 0);

    const truncated = rows.findIndex((r) => r.status === 'truncated') + 1;
    assert.match(await page.locator(`#r${truncated} .err`).textContent() ?? '', /cut off/);
    assert.equal(await page.locator(`#r${truncated} .answer`).textContent(), 'A partial answer that was cut');

    const first = rows[0] as Record<string, unknown>;
    assert.match(await page.locator('#r1 .meta').innerText(), new RegExp(`model\\s+test-model\\s+tokens\\s+${first.tokens_in} in, ${first.tokens_out} out\\s+latency`));

    assert.deepEqual(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')), []);
    assert.deepEqual(requests.filter((u) => u.startsWith('file://')), [`file://${path.join(dir, 'report.html')}`]);
    assert.deepEqual(refused, [], 'the page broke its own Content-Security-Policy');
    await screenshot(page, dir, '/tmp/report-screenshot.png');
    await page.close();
  });

  it('filters by status, and searches file names and answers (case-insensitive, Chinese too)', async () => {
    const { page } = await openReport(path.join(dir, 'report.html'));
    await page.click('.filters button[data-filter="error"]');
    let now = await shown(page);
    assert.deepEqual(now.statuses, ['error', 'error']);
    assert.equal(now.label, '2 of 9 rows');
    await page.click('.filters button[data-filter="truncated"]');
    assert.deepEqual((await shown(page)).statuses, ['truncated']);
    await page.click('.filters button[data-filter="image"]');
    assert.deepEqual((await shown(page)).ids.sort(), ['f-broken.jpg', 'g-bomb.png', 'y-changed.jpg', 'z-deleted.jpg'].map((n) => `r${index(n)}`).sort());
    await page.click('.filters button[data-filter="all"]');
    assert.equal((await shown(page)).ids.length, 9);

    now = await search(page, '照片', 1);
    assert.deepEqual(now.ids, [`r${index(ODD_NAME)}`]);
    // An answer's text, typed in capitals.
    const answer = rows.find((r) => r.status === 'ok' && typeof r.output === 'string' && /^Description/.test(r.output)) as Record<string, unknown>;
    const hash = /image ([0-9a-f]{12})/.exec(answer.output as string)?.[1] as string;
    now = await search(page, hash.toUpperCase(), 1);
    assert.deepEqual(now.ids, [`r${rows.indexOf(answer) + 1}`]);
    // Search and status together; then an error message; then nothing.
    await search(page, 'photos', 9);
    await page.click('.filters button[data-filter="ok"]');
    assert.equal((await shown(page)).ids.length, 6);
    await page.click('.filters button[data-filter="all"]');
    now = await search(page, 'TOO LARGE', 1);
    assert.deepEqual(now.ids, [`r${index('g-bomb.png')}`]);
    await search(page, 'no such words anywhere', 0);
    assert.equal(await page.locator('#none').isVisible(), true);
    await page.keyboard.press('Escape');
    assert.equal((await shown(page)).ids.length, 9);
    await page.close();
  });

  it('resolves images against --base from another folder, and without thumbnails reads no image', async () => {
    const elsewhere = await workspace();
    const catalog = path.join(dir, 'text.jsonl');
    const withBase = await runMain(['report', catalog, '--base', dir, '-o', 'r.html'], { cwd: elsewhere });
    assert.equal(withBase.code, 0, withBase.stderr);
    assert.match(summaryOf(withBase), /9 rows, 6 thumbnails, 1 image missing/);

    const noBase = await runMain(['report', catalog, '-o', 'r.html'], { cwd: elsewhere });
    assert.equal(noBase.code, 0, noBase.stderr);
    // The two error rows' files are not looked for.
    assert.match(summaryOf(noBase), /9 rows, 0 thumbnails, 7 images missing, 2 images without preview/);
    assert.match(noBase.stderr, /no image was found under .*: pass --base DIR/);
    assert.match(noBase.stderr, /and 4 more image problems/);

    const bare = await runMain(['report', catalog, '--no-thumbnails', '-o', 'r.html'], { cwd: elsewhere });
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(summaryOf(bare), /^glm-vision: report: 9 rows; wrote r\.html/);
    const page = await readFile(path.join(elsewhere, 'r.html'), 'utf8');
    assert.doesNotMatch(page, /<img/);
    assert.equal(page.match(/<article /g)?.length, 9);
  });
});

describe('report from structured catalogs', () => {
  it('shows each template field labelled, arrays as lists, from JSONL and from CSV', async () => {
    const dir = await workspace();
    for (let i = 0; i < 3; i++) await makeImage(path.join(dir, 'scans', `scan-${i}.png`), { width: 400, height: 560, format: 'png', seed: 20 + i });
    const cache = path.join(dir, 'cache.db');
    const tags = await runMain(catalogArgs(cache, ['--prompt', 'tags', 'scans', '-o', 'tags.jsonl']), { cwd: dir });
    assert.equal(tags.code, 0, tags.stderr);
    const doc = await runMain(catalogArgs(cache, ['--prompt', 'document', 'scans', '-o', 'doc.csv']), { cwd: dir });
    assert.equal(doc.code, 0, doc.stderr);
    const tagRows = parseJsonl(await readFile(path.join(dir, 'tags.jsonl'), 'utf8'));

    const r1 = await runMain(['report', 'tags.jsonl', '-o', 'tags.html'], { cwd: dir });
    assert.equal(r1.code, 0, r1.stderr);
    let { page } = await openReport(path.join(dir, 'tags.html'));
    assert.equal(await page.locator('#rows > .row').count(), 3);
    for (const [i, row] of tagRows.entries()) {
      const r = page.locator(`#r${i + 1}`);
      assert.equal(await r.locator('.fields > dt').textContent(), 'tags');
      const expected = (row.output as { tags: string[] }).tags;
      assert.deepEqual(await r.locator('.fields > dd li').allTextContents(), expected);
    }
    await search(page, (tagRows[2]?.output as { tags: string[] }).tags[0] as string, 1);
    await page.close();

    const r2 = await runMain(['report', 'doc.csv', '-o', 'doc.html'], { cwd: dir });
    assert.equal(r2.code, 0, r2.stderr);
    ({ page } = await openReport(path.join(dir, 'doc.html')));
    assert.deepEqual(await page.locator('#r1 .fields > dt').allTextContents(), ['doc_type', 'date', 'parties', 'amounts', 'summary']);
    assert.equal(await page.locator('#r1 .fields > dd').first().textContent(), 'invoice');
    assert.ok(Object.values(await decodedThumbnails(page)).every((t) => t.w > 0));
    assert.match(await page.locator('header').innerText(), /prompt document/);
    await page.close();
  });
});

describe('report with hundreds of rows', () => {
  it('renders 320 rows whose thumbnails all decode, and filters and searches them', async () => {
    const dir = await workspace();
    const names = ['p/one.jpg', 'p/two.png', 'p/three.webp'];
    await makeImage(path.join(dir, 'p', 'one.jpg'), { width: 800, height: 600, seed: 31 });
    await makeImage(path.join(dir, 'p', 'two.png'), { width: 300, height: 600, format: 'png', seed: 32 });
    await makeImage(path.join(dir, 'p', 'three.webp'), { width: 1200, height: 400, format: 'webp', seed: 33 });
    const N = 320;
    const LONG = `Answer 5: 一张老照片 number 5.\n${Array.from({ length: 30 }, (_, k) => `OCR line ${k + 1}`).join('\n')}\nthe last line says colophon`;
    const status = (i: number): string => (i % 10 === 9 ? 'error' : i % 25 === 3 ? 'truncated' : 'ok');
    const lines = Array.from({ length: N }, (_, i) => JSON.stringify({
      SourceFile: i === 100 ? 'p/gone.jpg' : names[i % 3], sha256: null, bytes: 1000 + i, width: 800, height: 600, format: 'jpeg',
      status: status(i), cached: i % 2 === 0, error: status(i) === 'error' ? `fake failure ${i}` : status(i) === 'truncated' ? 'cut off' : null,
      prompt: 'describe', model: i % 2 ? 'model-a' : 'model-b',
      output: status(i) === 'error' ? null : i === 5 ? LONG : `Answer ${i}: 一张老照片 number ${i}.\nMore detail on a second line.`,
      tokens_in: 100, tokens_out: 20, latency_ms: 1500 + i,
    }));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'big.jsonl'), `${lines.join('\n')}\n`);
    const errors = Array.from({ length: N }, (_, i) => status(i)).filter((s) => s === 'error').length;

    const run = await runMain(['report', 'big.jsonl', '-o', 'big.html'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    // Error rows show "no preview" with their error, not their picture.
    assert.match(summaryOf(run), new RegExp(`^glm-vision: report: ${N} rows, ${N - 1 - errors} thumbnails, 1 image missing, ${errors} images without preview; wrote big\\.html \\(\\d+(\\.\\d)? [KM]B\\)$`));

    const { page, requests } = await openReport(path.join(dir, 'big.html'));
    assert.equal(await page.locator('#rows > .row').count(), N);
    const thumbs = await decodedThumbnails(page);
    assert.equal(Object.keys(thumbs).length, N - 1 - errors);
    assert.equal(await page.locator('#r10 .ph').textContent(), 'no previewfake failure 9');
    assert.ok(Object.values(thumbs).every((t) => t.w > 0), 'a thumbnail did not decode');
    assert.match(await page.locator('#r101 .ph').textContent() ?? '', /^image not found/);
    assert.match(await page.locator('header').innerText(), /model model-b, model-a/);

    await page.click('.filters button[data-filter="error"]');
    const errs = await shown(page);
    assert.equal(errs.ids.length, errors);
    assert.ok(errs.statuses.every((s) => s === 'error'));
    await page.click('.filters button[data-filter="all"]');
    assert.deepEqual((await search(page, '老照片 NUMBER 317.', 1)).ids, ['r318']);
    assert.equal((await search(page, '老照片', N - errors)).ids.length, N - errors);
    // A long answer starts folded; search still finds its last line; a click unfolds it.
    assert.deepEqual((await search(page, 'COLOPHON', 1)).ids, ['r6']);
    const fold = page.locator('#r6 .answer');
    const folded = await fold.evaluate((e) => e.clientHeight);
    assert.equal(await page.locator('#r6 .more').textContent(), 'show all');
    await page.click('#r6 .more');
    assert.equal(await page.locator('#r6 .more').textContent(), 'show less');
    assert.ok((await fold.evaluate((e) => e.clientHeight)) > folded * 2, 'the long answer did not unfold');
    assert.equal(await fold.textContent(), LONG);
    // A click on a thumbnail shows it at full size.
    const width = await page.locator('#r6 img').evaluate((e) => e.clientWidth);
    await page.click('#r6 img');
    assert.ok((await page.locator('#r6 img').evaluate((e) => e.clientWidth)) > width, 'the thumbnail did not grow');

    await page.fill('#q', '');
    await page.locator('#r200').scrollIntoViewIfNeeded();
    await screenshot(page, dir);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')), []);
    await page.close();
  });
});

describe('report refuses and fails with a message naming the file', () => {
  it('never overwrites the catalog, validates options, and writes to stdout or exits 74', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'a.jpg'), { width: 64, height: 64, seed: 41 });
    const line = JSON.stringify({ SourceFile: 'a.jpg', sha256: null, bytes: 1, width: 64, height: 64, format: 'jpeg', status: 'ok', cached: false,
      error: null, prompt: 'describe', model: 'm', output: 'hi', tokens_in: 1, tokens_out: 1, latency_ms: 1 });
    const catalog = path.join(dir, 'c.jsonl');
    await writeFile(catalog, `${line}\n`);

    for (const target of ['c.jsonl', './c.jsonl', catalog]) {
      const r = await runMain(['report', 'c.jsonl', '-o', target], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Refusing to write the report over the catalog c\.jsonl/);
    }
    assert.equal(await readFile(catalog, 'utf8'), `${line}\n`);

    const bad: [string[], RegExp][] = [
      [['--thumb-size', '8'], /Expected integer from 32 to 1024 for --thumb-size but received "8"/],
      [['--thumb-size', 'big'], /for --thumb-size but received "big"/],
      [['--thumb-size', '4096'], /Expected integer from 32 to 1024 for --thumb-size but received "4096"/],
      [['-j', '0'], /Expected positive integer for --concurrency but received "0"/],
      [['--base', 'nowhere'], /--base nowhere: no such folder/],
      [['--base', 'c.jsonl'], /--base c\.jsonl: not a folder/],
    ];
    for (const [args, message] of bad) {
      const r = await runMain(['report', 'c.jsonl', '-o', 'r.html', ...args], { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'printed a stack');
    }
    const missing = await runMain(['report', 'none.jsonl', '-o', 'r.html'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read the catalog none\.jsonl: no such file/);
    await writeFile(path.join(dir, 'junk.jsonl'), '{"not": "a row"}\n');
    const junk = await runMain(['report', 'junk.jsonl', '-o', 'r.html'], { cwd: dir });
    assert.equal(junk.code, 2);
    assert.match(junk.stderr, /junk\.jsonl line 1: no SourceFile/);
    assert.equal(existsSync(path.join(dir, 'r.html')), false);

    const unwritable = await runMain(['report', 'c.jsonl', '-o', 'no/such/folder/r.html'], { cwd: dir });
    assert.equal(unwritable.code, 74, unwritable.stderr);
    assert.match(unwritable.stderr, /Cannot write no\/such\/folder\/r\.html: the folder does not exist/);

    const toStdout = await runMain(['report', 'c.jsonl', '--thumb-size', '32'], { cwd: dir });
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.match(toStdout.stdout, /^<!doctype html>/);
    assert.match(toStdout.stdout, /<\/html>\n$/);
    assert.match(toStdout.stdout, /<img src="data:image\/webp;base64,[A-Za-z0-9+/=]+" width="32" height="32"/);
    assert.match(summaryOf(toStdout), /1 row, 1 thumbnail, 0 images missing; wrote stdout/);

    // A second report replaces the first whole.
    await writeFile(path.join(dir, 'r.html'), 'old');
    const again = await runMain(['report', 'c.jsonl', '-o', 'r.html', '-q'], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '');
    assert.match(await readFile(path.join(dir, 'r.html'), 'utf8'), /^<!doctype html>[\s\S]*<\/html>\n$/);
  });

  it('stops on SIGINT with exit 130, leaving the earlier report as it was and no temporary file', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'big.jpg'), { width: 3000, height: 2000, seed: 51 });
    const line = JSON.stringify({ SourceFile: 'big.jpg', sha256: null, bytes: 1, width: 3000, height: 2000, format: 'jpeg', status: 'ok', cached: false,
      error: null, prompt: 'describe', model: 'm', output: 'hi', tokens_in: 1, tokens_out: 1, latency_ms: 1 });
    await writeFile(path.join(dir, 'c.jsonl'), `${line}\n`.repeat(5000));
    await writeFile(path.join(dir, 'r.html'), 'the old report');
    const { child, done } = startCli(['report', 'c.jsonl', '-o', 'r.html', '-j', '1'], { cwd: dir });
    // The temporary file appears once the catalog is read and the signal handlers are in place.
    await fileAppears(dir, (f) => f.endsWith('.tmp'), done);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: stopped; r\.html was not written/);
    assert.equal(await readFile(path.join(dir, 'r.html'), 'utf8'), 'the old report');
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  });
});
