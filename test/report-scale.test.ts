// `glm-vision report` at archive scale: --only and --limit, review badges, the switch
// from thumbnails inside the page to a folder beside it, the refusal to put a huge
// page on stdout, and the page and its folder replaced together or not at all.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { stringify } from 'csv-stringify/sync';
import { newPage } from './helpers/chromium.js';
import { makeImage } from './helpers/images.js';
import { fileAppears, runMain, scratchFolders, startCli, type CliResult } from './helpers/cli.js';
import { writeReport, type ReportJob } from '../src/report/build.js';
import { inlineLimit } from '../src/report/thumbnail-place.js';
import { MARKER } from '../src/report/thumbnail-folder.js';
import { EVERY_ROW } from '../src/report/selection.js';
import { csvColumns } from '../src/emit/writers.js';

const workspace = scratchFolders('glmv-report-scale-');

interface Spec {
  file: string;
  status?: 'ok' | 'error' | 'truncated';
  review?: string;
  reviewer?: string;
}

const HOSTILE_REVIEWER = '</script><script>window.__rv=1</script><b>eve';

/** A row as `catalog` writes it, with review columns only where the spec has them. */
function row(spec: Spec, i: number): Record<string, unknown> {
  const status = spec.status ?? 'ok';
  return {
    SourceFile: spec.file, page: null, pages: null, sha256: null, bytes: 100 + i, width: 64, height: 48, format: 'jpeg', status, cached: false,
    error: status === 'error' ? `failure ${i + 1}` : status === 'truncated' ? 'cut off' : null, prompt: 'describe', model: 'm',
    output: status === 'error' ? null : `answer ${i + 1}`, tokens_in: 1, tokens_out: 1, latency_ms: 1,
    ...(spec.review !== undefined ? { review: spec.review } : {}),
    ...(spec.reviewer !== undefined ? { reviewer: spec.reviewer } : {}),
  };
}

const jsonl = (specs: Spec[]): string => specs.map((s, i) => `${JSON.stringify(row(s, i))}\n`).join('');

const CSV_COLUMNS = ['SourceFile', 'page', 'pages', 'sha256', 'bytes', 'width', 'height', 'format', 'status', 'cached', 'error', 'prompt', 'model',
  'output', 'tokens_in', 'tokens_out', 'latency_ms'];

/** A text catalog as CSV: with the columns `catalog` writes now, or those of a catalog from before reviews. */
function csv(specs: Spec[], review: 'current' | 'none'): string {
  const columns = review === 'none' ? CSV_COLUMNS : csvColumns([]);
  const records = specs.map((s, i) => {
    const r = row(s, i);
    return columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c])));
  });
  return stringify([columns, ...records]);
}

const unescape = (html: string): string => html.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
  .replace(/&#39;/g, "'").replace(/&amp;/g, '&');

interface ShownRow {
  n: number;
  status: string;
  /** The review badge's text, or null. */
  review: string | null;
}

/** The rows a page shows, read from its HTML. */
function rowsOf(html: string): ShownRow[] {
  return html.split('<article ').slice(1).map((article) => {
    const head = /^class="row s-\w+[^"]*" id="r(\d+)" data-status="(\w+)">/.exec(article);
    assert.ok(head, `not a row: ${article.slice(0, 80)}`);
    // A badge is "value" or "value <span class="by">by name</span>".
    const badge = /<span class="badge rv[^"]*" title="review">(?:([^<]*)<\/span>|(.*?)<\/span><\/span>)/.exec(article);
    return { n: Number(head[1]), status: head[2] as string, review: badge ? unescape(badge[1] ?? badge[2] ?? '') : null };
  });
}

/**
 * Resolves once no thumbnail under `selector` waits for its src, as the page's script gives them
 * (told by a MutationObserver in the page, no polling; the CSP allows no eval for waitForFunction).
 */
async function thumbnailsGiven(page: Page, selector: string): Promise<void> {
  const waiting = JSON.stringify(`${selector} img[data-src]`);
  await page.evaluate(`new Promise((resolve) => {
    const done = () => !document.querySelector(${waiting});
    if (done()) return resolve();
    const watch = new MutationObserver(() => { if (done()) { watch.disconnect(); resolve(); } });
    watch.observe(document.getElementById('rows'), { subtree: true, attributeFilter: ['data-src'] });
  })`);
}

function summaryOf(r: CliResult): string {
  return r.stderr.split('\n').find((l) => l.startsWith('glm-vision: report:')) ?? `(no summary in ${JSON.stringify(r.stderr)})`;
}

/** Every file under `dir`, relative, sorted; with each file's size. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, e.name);
      if (e.isDirectory()) await walk(rel);
      else out.push(`${rel} ${(await stat(path.join(dir, rel))).size}`);
    }
  };
  await walk('');
  return out.sort();
}

/** The thumbnail URLs a page refers to (a folder's as data-src, which the page's script makes src). */
const imageSources = (html: string): string[] => [...html.matchAll(/<img (?:data-)?src="([^"]+)"/g)].map((m) => m[1] as string);

// 12 rows over 3 pictures: statuses and reviews of every kind, one reviewer's name hostile.
const SPECS: Spec[] = [
  { file: 'p/a.jpg', review: 'accepted', reviewer: 'ann' },
  { file: 'p/b.jpg', status: 'error' },
  { file: 'p/c.jpg', review: 'rejected', reviewer: HOSTILE_REVIEWER },
  { file: 'p/a.jpg', status: 'truncated' },
  { file: 'p/b.jpg', review: 'edited' },
  { file: 'p/c.jpg', status: 'error', review: 'rejected', reviewer: 'bob' },
  { file: 'p/a.jpg' },
  { file: 'p/b.jpg', review: '' },
  { file: 'p/c.jpg', status: 'truncated', review: 'rejected' },
  { file: 'p/a.jpg' },
  { file: 'p/b.jpg', status: 'error' },
  { file: 'p/c.jpg', review: 'accepted' },
];
const statusOf = (i: number): string => SPECS[i]?.status ?? 'ok';
const reviewOf = (i: number): string => SPECS[i]?.review ?? '';
/** 1-based numbers of the catalog rows that pass `keep`. */
const numbers = (keep: (i: number) => boolean): number[] => SPECS.map((_, i) => i).filter(keep).map((i) => i + 1);

async function pictures(dir: string): Promise<void> {
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg'].entries()) await makeImage(path.join(dir, 'p', name), { width: 64 + i, height: 48, seed: 70 + i });
}

describe('report --only and --limit', () => {
  const cases: [string, string[], number[]][] = [
    ['every row', [], numbers(() => true)],
    ['--only error', ['--only', 'error'], numbers((i) => statusOf(i) === 'error')],
    ['--only ok --only truncated', ['--only', 'ok', '--only', 'truncated'], numbers((i) => statusOf(i) !== 'error')],
    ['--only rejected', ['--only', 'rejected'], numbers((i) => reviewOf(i) === 'rejected')],
    ['--only unreviewed', ['--only', 'unreviewed'], numbers((i) => reviewOf(i) === '')],
    ['--only rejected --only error', ['--only', 'rejected', '--only', 'error'], numbers((i) => reviewOf(i) === 'rejected' || statusOf(i) === 'error')],
    ['--limit 4', ['--limit', '4'], [1, 2, 3, 4]],
    ['--only ok --limit 2', ['--only', 'ok', '--limit', '2'], numbers((i) => statusOf(i) === 'ok').slice(0, 2)],
    ['--limit 100', ['--limit', '100'], numbers(() => true)],
  ];

  for (const format of ['jsonl', 'csv'] as const) {
    it(`shows the rows asked for, numbered as in the catalog, from ${format}`, async () => {
      const dir = await workspace();
      await pictures(dir);
      const name = format === 'jsonl' ? 'c.jsonl' : 'c.csv';
      await writeFile(path.join(dir, name), format === 'jsonl' ? jsonl(SPECS) : csv(SPECS, 'current'));
      for (const [label, args, expected] of cases) {
        const r = await runMain(['report', name, '-o', 'r.html', ...args], { cwd: dir });
        assert.equal(r.code, 0, `${label}: ${r.stderr}`);
        const html = await readFile(path.join(dir, 'r.html'), 'utf8');
        const shown = rowsOf(html);
        assert.deepEqual(shown.map((s) => s.n), expected, label);
        for (const s of shown) {
          assert.equal(s.status, statusOf(s.n - 1), `${label}: row ${s.n}`);
          const spec = SPECS[s.n - 1] as Spec;
          const badge = spec.review ? `${spec.review}${spec.reviewer !== undefined ? ` by ${spec.reviewer}` : ''}` : null;
          assert.equal(s.review, badge, `${label}: row ${s.n}'s review badge`);
        }
        const all = expected.length === SPECS.length;
        assert.match(summaryOf(r), new RegExp(`^glm-vision: report: ${all ? `${SPECS.length} rows` : `${expected.length} of ${SPECS.length} rows`}, `), label);
        if (!all) assert.match(unescape(html), new RegExp(`${expected.length} rows: .*of ${SPECS.length} in the catalog, chosen by ${args.join(' ')}`), label);
      }
    });
  }

  it('takes a catalog without review columns as all unreviewed, none rejected', async () => {
    const dir = await workspace();
    await pictures(dir);
    const plain = SPECS.map(({ file, status }) => ({ file, status }));
    await writeFile(path.join(dir, 'old.csv'), csv(plain, 'none'));
    await writeFile(path.join(dir, 'old.jsonl'), jsonl(plain));
    for (const name of ['old.csv', 'old.jsonl']) {
      const unreviewed = await runMain(['report', name, '--only', 'unreviewed', '-o', 'r.html'], { cwd: dir });
      assert.equal(unreviewed.code, 0, unreviewed.stderr);
      const html = await readFile(path.join(dir, 'r.html'), 'utf8');
      assert.deepEqual(rowsOf(html).map((s) => s.n), numbers(() => true));
      assert.ok(rowsOf(html).every((s) => s.review === null));
      const rejected = await runMain(['report', name, '--only', 'rejected', '-o', 'r.html'], { cwd: dir });
      assert.equal(rejected.code, 0, rejected.stderr);
      assert.deepEqual(rowsOf(await readFile(path.join(dir, 'r.html'), 'utf8')), []);
      assert.match(summaryOf(rejected), /^glm-vision: report: 0 of 12 rows, 0 thumbnails/);
    }
  });

  it('refuses bad values, naming the flag, the value and the choices', async () => {
    const dir = await workspace();
    await writeFile(path.join(dir, 'c.jsonl'), jsonl(SPECS));
    const bad: [string[], RegExp][] = [
      [['--limit', '-3'], /Expected positive integer for --limit but received "-3"/],
      [['--limit=0'], /Expected positive integer for --limit but received "0"/],
      [['--limit', 'ten'], /Expected positive integer for --limit but received "ten"/],
      [['--only', 'reviewed'], /Expected one of ok, error, truncated, unreviewed, rejected for --only but received "reviewed"/],
      [['--only', 'ok', '--only', 'OK'], /Expected one of ok, error, truncated, unreviewed, rejected for --only but received "OK"/],
      [['--thumbnails-in', 'disk'], /Expected one of auto, page, folder for --thumbnails-in but received "disk"/],
    ];
    for (const [args, message] of bad) {
      const r = await runMain(['report', 'c.jsonl', '-o', 'r.html', ...args], { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(existsSync(path.join(dir, 'r.html')), false);
  });

  it('checks the whole catalog before writing, even past --limit', async () => {
    const dir = await workspace();
    await writeFile(path.join(dir, 'c.jsonl'), `${jsonl(SPECS)}{"SourceFile": "x.jpg", "status": "fine"}\n`);
    await writeFile(path.join(dir, 'r.html'), 'the old report');
    const r = await runMain(['report', 'c.jsonl', '--limit', '1', '-o', 'r.html'], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /c\.jsonl line 13: unknown status "fine"/);
    assert.equal(await readFile(path.join(dir, 'r.html'), 'utf8'), 'the old report');
  });
});

describe('report review badges', () => {
  it('shows the review and reviewer as text, a reviewer named </script> included, and nothing runs', async () => {
    const dir = await workspace();
    await pictures(dir);
    await writeFile(path.join(dir, 'c.jsonl'), jsonl(SPECS));
    const r = await runMain(['report', 'c.jsonl', '-o', 'r.html'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const html = await readFile(path.join(dir, 'r.html'), 'utf8');
    assert.ok(!html.includes(HOSTILE_REVIEWER), 'the reviewer reached the page unescaped');
    assert.equal(html.match(/<script>/g)?.length, 1, 'a second script element');
    assert.match(html, /by &lt;\/script&gt;&lt;script&gt;window\.__rv=1&lt;\/script&gt;&lt;b&gt;eve/);

    const page = await newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(`file://${path.join(dir, 'r.html')}`);
    assert.equal(await page.locator('#r3 .rv').textContent(), `rejected by ${HOSTILE_REVIEWER}`);
    assert.equal(await page.locator('#r1 .rv').textContent(), 'accepted by ann');
    assert.equal(await page.locator('#r5 .rv').textContent(), 'edited');
    assert.equal(await page.locator('#r7 .rv').count(), 0);
    assert.equal(await page.locator('#r8 .rv').count(), 0, 'an empty review is no review');
    assert.equal(await page.evaluate('typeof window.__rv'), 'undefined', 'the reviewer ran as script');
    assert.match(await page.locator('header').innerText(), /6 reviewed/);
    // The search finds reviews and reviewers.
    await page.fill('#q', 'rejected');
    await page.locator('#shown', { hasText: /^3 of 12 rows$/ }).waitFor();
    await page.fill('#q', 'ann');
    await page.locator('#shown', { hasText: /^1 of 12 rows$/ }).waitFor();
    assert.deepEqual(refused, []);
    await page.close();
  });
});

describe('report thumbnails in a folder', () => {
  it('keeps INLINE_THUMBNAILS at 256 px and fewer for larger thumbnails, by area', () => {
    assert.deepEqual([32, 128, 256, 512, 1024].map((s) => inlineLimit(s)), [128_000, 8000, 2000, 500, 125]);
    assert.equal(inlineLimit(256, 3), 3);
    assert.equal(inlineLimit(1024, 3), 1);
  });

  it('switches to the folder above the limit (injected), not at it', async () => {
    const dir = await workspace();
    await pictures(dir);
    await writeFile(path.join(dir, 'c.jsonl'), jsonl(SPECS));
    const pictured = SPECS.filter((s) => s.status !== 'error').length;
    const job = (output: string, limit: number): ReportJob => ({
      catalog: path.join(dir, 'c.jsonl'), base: dir, output: path.join(dir, output), place: 'auto', selection: EVERY_ROW,
      thumbnails: { size: 256, concurrency: 2, maxInputPixels: 1e8 }, version: 'test', now: new Date(), inlineAtDefaultSize: limit,
    });
    const discard = new Writable({ write: (_c, _e, done) => done() });
    const at = await writeReport(job('at.html', pictured), discard);
    assert.equal(at.folder, undefined);
    assert.ok(imageSources(await readFile(path.join(dir, 'at.html'), 'utf8')).every((s) => s.startsWith('data:image/webp;base64,')));
    assert.equal(existsSync(path.join(dir, 'at_files')), false);

    const above = await writeReport(job('above.html', pictured - 1), discard);
    assert.equal(above.folder?.dir, path.join(dir, 'above_files'));
    assert.equal(above.folder?.files, 3, 'one file per distinct picture');
    const html = await readFile(path.join(dir, 'above.html'), 'utf8');
    const sources = imageSources(html);
    assert.equal(sources.length, pictured);
    for (const src of sources) {
      assert.match(src, /^above_files\/g[0-9a-z]+-[0-9a-f]{8}\/[0-9a-f]{2}\/[0-9a-f]{30}\.webp$/);
      assert.ok(existsSync(path.join(dir, src)), `${src} is missing`);
    }
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src &#39;self&#39;;/);
  });

  it('moves the thumbnails of a big page on its own (--thumb-size 1024: 125 inline), and --thumbnails-in decides otherwise', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'p', 'a.jpg'), { width: 40, height: 30, seed: 80 });
    await writeFile(path.join(dir, '125.jsonl'), jsonl(Array.from({ length: 125 }, () => ({ file: 'p/a.jpg' }))));
    await writeFile(path.join(dir, '126.jsonl'), jsonl([...Array.from({ length: 126 }, () => ({ file: 'p/a.jpg' })), { file: 'p/a.jpg', status: 'error' }]));
    const report = async (args: string[]): Promise<{ r: CliResult; sources: string[] }> => {
      const r = await runMain(['report', ...args, '--thumb-size', '1024', '-o', 'r.html'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      return { r, sources: imageSources(await readFile(path.join(dir, 'r.html'), 'utf8')) };
    };
    let { r, sources } = await report(['125.jsonl']);
    assert.ok(sources.every((s) => s.startsWith('data:')));
    assert.match(summaryOf(r), /wrote r\.html \([\d.]+ [KM]B\)$/);
    ({ r, sources } = await report(['126.jsonl']));
    assert.equal(sources.length, 126);
    assert.ok(sources.every((s) => s.startsWith('r_files/')));
    assert.match(summaryOf(r), /^glm-vision: report: 127 rows, 126 thumbnails, 0 images missing, 1 image without preview; wrote r\.html \([\d.]+ KB\) and 1 thumbnail file in r_files\/ \(\d+ B\)$/);
    ({ sources } = await report(['126.jsonl', '--thumbnails-in', 'page']));
    assert.ok(sources.every((s) => s.startsWith('data:')));
    assert.equal(existsSync(path.join(dir, 'r_files')), false, 'the folder of the earlier page was left');
    ({ sources } = await report(['125.jsonl', '--thumbnails-in', 'folder']));
    assert.ok(sources.every((s) => s.startsWith('r_files/')));
    ({ sources } = await report(['126.jsonl', '--limit', '125']));
    assert.ok(sources.every((s) => s.startsWith('data:')));
    ({ sources } = await report(['126.jsonl', '--no-thumbnails']));
    assert.deepEqual(sources, []);
    assert.equal(existsSync(path.join(dir, 'r_files')), false);
  });

  it('refuses a page above the limit on stdout (exit 2, nothing written), and says what to do', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'p', 'a.jpg'), { width: 40, height: 30, seed: 81 });
    await writeFile(path.join(dir, 'c.jsonl'), jsonl(Array.from({ length: 130 }, (_, i) => ({ file: 'p/a.jpg', status: i < 2 ? 'error' : 'ok' }))));
    for (const args of [[], ['-o', '-'], ['-o', '/dev/stdout']]) {
      const r = await runMain(['report', 'c.jsonl', '--thumb-size', '1024', ...args], { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /The report of 130 rows would hold 128 thumbnails inside one page on stdout, more than the 125 a page holds at --thumb-size 1024: write it with -o report\.html \(the thumbnails then go to report_files\/ beside it\), show fewer rows with --only or --limit, or leave the pictures out with --no-thumbnails/);
    }
    const folder = await runMain(['report', 'c.jsonl', '--thumbnails-in', 'folder'], { cwd: dir });
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /--thumbnails-in folder writes the thumbnails beside the page: give -o FILE/);
    for (const args of [['--limit', '127'], ['--only', 'error'], ['--no-thumbnails'], ['--thumbnails-in', 'page'], ['--thumb-size', '512']]) {
      const r = await runMain(['report', 'c.jsonl', '--thumb-size', '1024', ...args], { cwd: dir });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^<!doctype html>[\s\S]*<\/html>\n$/);
    }
    assert.deepEqual((await readdir(dir)).sort(), ['c.jsonl', 'p']);
  });

  it('loads every thumbnail from the folder in Chromium under its CSP, with no request outside file:', async () => {
    const dir = await workspace();
    await pictures(dir);
    await writeFile(path.join(dir, 'c.jsonl'), jsonl(SPECS));
    await mkdir(path.join(dir, 'out dir'));
    const r = await runMain(['report', 'c.jsonl', '--thumbnails-in', 'folder', '-o', 'out dir/my report #1.html'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(dir, 'out dir', 'my report #1.html');
    const page = await newPage();
    const requests: string[] = [];
    const refused: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(`file://${file.split('/').map(encodeURIComponent).join('/')}`);
    // Every row is near the window: the script gives each thumbnail its src.
    await thumbnailsGiven(page, '#rows');
    const sizes = await page.evaluate<{ id: string; w: number }[]>(`(async () => {
      const images = Array.from(document.images);
      for (const img of images) img.loading = 'eager';
      await Promise.all(images.map((img) => img.decode().catch(() => undefined)));
      return images.map((img) => ({ id: img.closest('.row').id, w: img.naturalWidth }));
    })()`);
    const pictured = numbers((i) => statusOf(i) !== 'error').map((n) => `r${n}`);
    assert.deepEqual(sizes.map((s) => s.id), pictured);
    assert.ok(sizes.every((s) => s.w >= 64), `a thumbnail did not load: ${JSON.stringify(sizes)}`);
    assert.deepEqual(refused, [], 'the page broke its own Content-Security-Policy');
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), []);
    const folderUrl = `file://${path.join(dir, 'out dir', 'my report #1_files').split('/').map(encodeURIComponent).join('/')}/`;
    assert.deepEqual(requests.filter((u) => !u.startsWith(folderUrl)).length, 1, `requests outside the folder: ${requests.join('\n')}`);
    assert.equal(new Set(requests.filter((u) => u.startsWith(folderUrl))).size, 3);
    assert.match(await page.locator('footer').innerText(), /files in the folder my report #1_files beside this page/);
    await page.close();
  });
});

describe('report of more than 500 rows', () => {
  it('comes in chunks: the far thumbnails get their src when scrolled to, and filters hide whole chunks', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'p', 'a.jpg'), { width: 40, height: 30, seed: 85 });
    const N = 1200;
    // Errors in the first and the last chunk only.
    const error = (i: number): boolean => i < 5 || (i >= 1100 && i < 1105);
    await writeFile(path.join(dir, 'c.jsonl'), jsonl(Array.from({ length: N }, (_, i) => ({ file: 'p/a.jpg', status: error(i) ? 'error' : 'ok' }))));
    const r = await runMain(['report', 'c.jsonl', '--thumbnails-in', 'folder', '-o', 'r.html'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const html = await readFile(path.join(dir, 'r.html'), 'utf8');
    assert.equal(html.match(/<div class="chunk">/g)?.length, 3);
    assert.equal(rowsOf(html).length, N);

    const page = await newPage();
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(`file://${path.join(dir, 'r.html')}`);
    assert.equal(await page.locator('#rows > .chunk').count(), 3);
    assert.equal(await page.locator('#rows .row').count(), N);
    // The first chunk is near the window, the last is not.
    await thumbnailsGiven(page, '#rows > .chunk:first-child');
    const far = '#rows > .chunk:last-child img';
    assert.ok(await page.locator(`${far}[data-src]`).count() > 0, 'the last chunk has its thumbnails already');
    await page.locator('#r1150').scrollIntoViewIfNeeded();
    await thumbnailsGiven(page, '#rows > .chunk:last-child');
    const width = await page.evaluate<number>(`(() => { const img = document.querySelector('#r1150 img'); return img.decode().then(() => img.naturalWidth); })()`);
    assert.ok(width > 0, `the thumbnail of row 1150 did not load (${width})`);

    const tall = await page.evaluate<number>('document.documentElement.scrollHeight');
    await page.click('.filters button[data-filter="error"]');
    assert.equal(await page.locator('#shown').textContent(), `10 of ${N} rows`);
    assert.deepEqual(await page.locator('#rows > .chunk').evaluateAll((cs) => cs.map((c) => (c as unknown as { hidden: boolean }).hidden)), [false, true, false]);
    // Ten rows: the page is as tall as ten rows, not as the chunks they are in.
    const short = await page.evaluate<number>('document.documentElement.scrollHeight');
    assert.ok(short < tall / 20, `filtered to 10 rows, the page is still ${short} px tall (${tall} px unfiltered)`);
    await page.click('.filters button[data-filter="all"]');
    await page.fill('#q', 'answer 1150');
    await page.locator('#shown', { hasText: new RegExp(`^1 of ${N} rows$`) }).waitFor();
    assert.equal(await page.locator('#r1150').isVisible(), true);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), []);
    await page.close();
  });
});

describe('report replaces its page and folder together', () => {
  it('leaves the earlier page and folder as they were when stopped, and leaves no stale file when done', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'small.jpg'), { width: 64, height: 48, seed: 90 });
    await makeImage(path.join(dir, 'big.jpg'), { width: 3000, height: 2000, seed: 91 });
    await writeFile(path.join(dir, 'first.jsonl'), jsonl([{ file: 'small.jpg' }, { file: 'small.jpg', status: 'error' }]));
    await writeFile(path.join(dir, 'slow.jsonl'), jsonl(Array.from({ length: 5000 }, () => ({ file: 'big.jpg' }))));
    const folder = path.join(dir, 'r_files');

    const first = await runMain(['report', 'first.jsonl', '--thumbnails-in', 'folder', '-o', 'r.html'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const page1 = await readFile(path.join(dir, 'r.html'), 'utf8');
    const folder1 = await tree(folder);
    const [generation1] = (await readdir(folder)).filter((e) => e !== MARKER);
    assert.equal(folder1.length, 2, `marker and one thumbnail: ${folder1.join(', ')}`);

    // Stopped once its own generation folder is there, thumbnails being written into it.
    const { child, done } = startCli(['report', 'slow.jsonl', '--thumbnails-in', 'folder', '-o', 'r.html', '-j', '1'], { cwd: dir });
    assert.ok(await fileAppears(folder, (name) => name !== MARKER && name !== generation1, done), 'the run ended before its folder appeared');
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /SIGINT: stopped; r\.html was not written/);
    assert.equal(await readFile(path.join(dir, 'r.html'), 'utf8'), page1);
    assert.deepEqual(await tree(folder), folder1);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);

    // A folder someone else made is not taken over.
    await mkdir(path.join(dir, 'theirs_files'));
    await writeFile(path.join(dir, 'theirs_files', 'notes.txt'), 'mine');
    const theirs = await runMain(['report', 'first.jsonl', '--thumbnails-in', 'folder', '-o', 'theirs.html'], { cwd: dir });
    assert.equal(theirs.code, 2, theirs.stderr);
    assert.match(theirs.stderr, /theirs_files beside theirs\.html exists and was not written by glm-vision report/);
    assert.deepEqual(await readdir(path.join(dir, 'theirs_files')), ['notes.txt']);
    assert.equal(existsSync(path.join(dir, 'theirs.html')), false);

    // A finished run: the new page, its own generation alone, every thumbnail it names there.
    await makeImage(path.join(dir, 'other.jpg'), { width: 50, height: 50, seed: 92 });
    await writeFile(path.join(dir, 'second.jsonl'), jsonl([{ file: 'other.jpg' }, { file: 'small.jpg' }]));
    const second = await runMain(['report', 'second.jsonl', '--thumbnails-in', 'folder', '-o', 'r.html'], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    const page2 = await readFile(path.join(dir, 'r.html'), 'utf8');
    const entries = await readdir(folder);
    assert.equal(entries.length, 2, `the marker and one generation: ${entries.join(', ')}`);
    assert.ok(!entries.includes(generation1 as string), 'the earlier generation was left');
    const files = (await tree(folder)).filter((f) => !f.startsWith(MARKER)).map((f) => f.split(' ')[0]);
    assert.deepEqual(imageSources(page2).map((s) => s.replace(/^r_files\//, '')).sort(), files.sort());

    // An inline page after it takes the folder away; what someone put in it stays, with the folder.
    await writeFile(path.join(folder, 'keep.txt'), 'kept');
    const inline = await runMain(['report', 'second.jsonl', '-o', 'r.html'], { cwd: dir });
    assert.equal(inline.code, 0, inline.stderr);
    assert.deepEqual(await readdir(folder), ['keep.txt']);
  });
});
