// `glm-vision report` over a catalog of 300 rows of mixed shapes: each row shows
// its own picture (checked by shape in headless Chromium), nothing unchanged is
// flagged changed, and error rows show "no preview" with their reason.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { newPage } from './helpers/chromium.js';
import sharp from 'sharp';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type Handler } from './helpers/fake-openai.js';
import { makeImage, pngBomb, type ImageFormat } from './helpers/images.js';
import { makeEncryptedPdf, makePdf, truncate, type PageSpec } from './helpers/pdfs.js';
import { parseJsonl, runMain, scratchFolders, type CliResult } from './helpers/cli.js';


let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI();
});
after(async () => {
  await server.close();
});

const workspace = scratchFolders('glmv-report-thumbs-');

async function openReport(file: string): Promise<Page> {
  const page = await newPage();
  await page.goto(`file://${file}`);
  return page;
}

function summaryOf(r: CliResult): string {
  return r.stderr.split('\n').find((l) => l.startsWith('glm-vision: report:')) ?? `(no summary in ${JSON.stringify(r.stderr)})`;
}

/** What a user sees of one row's picture. */
interface Seen {
  id: string;
  /** The thumbnail as laid out (CSS pixels) and as decoded; null without one. */
  img: { w: number; h: number; naturalW: number; naturalH: number } | null;
  flag: string | null;
  placeholder: string | null;
}

// Browser-side code is passed as source text: the project's TypeScript has no DOM types.
async function seenRows(page: Page): Promise<Seen[]> {
  return page.evaluate<Seen[]>(`(async () => {
    const images = Array.from(document.images);
    for (const img of images) img.loading = 'eager';
    await Promise.all(images.map((img) => img.decode().catch(() => undefined)));
    const rows = Array.from(document.querySelectorAll('#rows > .row'));
    // Rows off screen are not laid out (content-visibility: auto); measure each as it is when scrolled to.
    for (const row of rows) row.style.contentVisibility = 'visible';
    return rows.map((row) => {
      const img = row.querySelector('img');
      const box = img?.getBoundingClientRect();
      return {
        id: row.id,
        img: img ? { w: box.width, h: box.height, naturalW: img.naturalWidth, naturalH: img.naturalHeight } : null,
        flag: row.querySelector('.flag')?.textContent ?? null,
        placeholder: row.querySelector('.ph')?.textContent ?? null,
      };
    });
  })()`);
}

/** How far a w×h box is from the shape of a width×height picture, in pixels of its shorter side. */
function shapeError(w: number, h: number, width: number, height: number): number {
  return width >= height ? Math.abs(h - (w * height) / width) : Math.abs(w - (h * width) / height);
}

/** Sizes of one shape, all distinct: landscape, portrait, square, panorama, tall strip. */
function shapeOf(i: number): [number, number] {
  const k = 7 * i;
  switch (i % 5) {
    case 0: return [300 + k, 200 + (k % 90)];
    case 1: return [180 + (k % 70), 320 + k];
    case 2: return [150 + k, 150 + k];
    case 3: return [600 + k, 120 + (k % 40)];
    default: return [90 + (k % 30), 420 + k];
  }
}

const DENSE = Array.from({ length: 40 }, (_, k) => `Line ${k + 1}: the quick brown fox jumps over the lazy dog, again and again.`).join('\n');

const FORMATS: [ImageFormat, string][] = [['jpeg', 'jpg'], ['png', 'png'], ['webp', 'webp'], ['tiff', 'tif']];

/** A TIFF of `count` pages, each width×height. */
async function multiPageTiff(file: string, count: number, width: number, height: number, seed: number): Promise<void> {
  const pages = await Promise.all(Array.from({ length: count }, (_, p) => sharp({
    create: { width, height, channels: 3, background: { r: (seed * 37 + p * 60) % 256, g: (seed * 11) % 256, b: (p * 90) % 256 } },
  }).png().toBuffer()));
  await sharp(pages, { join: { animated: true } }).tiff().toFile(file);
}

type Make = (name: string) => Promise<void>;

/**
 * About 300 rows: single images of every shape and format, multi-page PDFs whose
 * pages have shapes of their own, multi-page TIFFs, and broken files. Names put
 * them in an order that shares files hard: each PDF, then pictures made on their
 * own, then several files on the documents' path (single- and multi-page TIFFs,
 * broken files) one after another.
 */
async function makeFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const pdfs: Make[] = [];
  const pictures: Make[] = [];
  const shared: Make[] = [];
  for (let i = 0; i < 160; i++) {
    const [width, height] = shapeOf(i);
    const [format, ext] = FORMATS[i % FORMATS.length] as [ImageFormat, string];
    (ext === 'tif' ? shared : pictures).push((name) => makeImage(path.join(folder, `${name}.${ext}`), { width, height, format, seed: 1000 + i }));
  }
  for (let d = 0; d < 24; d++) {
    const count = 1 + (d % 5);
    const pages: PageSpec[] = Array.from({ length: count }, (_, p) => {
      const [width, height] = shapeOf(d * 5 + p + 3);
      return { kind: 'blank' as const, width: Math.round(width / 2), height: Math.round(height / 2) };
    });
    // A page of dense text keeps the PDF renderer busy, as real documents do.
    if (d % 2 === 0) pages.splice(d % count, 0, { kind: 'text', text: DENSE });
    pdfs.push(async (name) => writeFile(path.join(folder, `${name}.pdf`), await makePdf(pages)));
  }
  for (let t = 0; t < 16; t++) {
    const [width, height] = shapeOf(t + 2);
    shared.push((name) => multiPageTiff(path.join(folder, `${name}.tif`), 2 + (t % 3), Math.round(width / 3), Math.round(height / 3), t));
  }
  const broken: [string, () => Promise<Buffer>][] = [
    ['jpg', async () => Buffer.from('not an image at all\n')],
    ['png', async () => (await sharp({ create: { width: 300, height: 200, channels: 3, background: '#888' } }).png().toBuffer()).subarray(0, 60)],
    ['png', async () => pngBomb(100_000, 100_000)],
    ['pdf', () => makeEncryptedPdf()],
    ['pdf', async () => truncate(await makePdf([{ kind: 'blank', width: 300, height: 400 }]), 0.3)],
    ['tif', async () => Buffer.from('II*\0 truncated tiff')],
  ];
  for (let b = 0; b < 18; b++) {
    const [ext, bytes] = broken[b % broken.length] as [string, () => Promise<Buffer>];
    shared.splice(b * 4, 0, async (name) => writeFile(path.join(folder, `${name}-broken.${ext}`), await bytes()));
  }
  const order: Make[] = [];
  while (pdfs.length + pictures.length + shared.length > 0) {
    order.push(...pdfs.splice(0, 1), ...pictures.splice(0, 4), ...shared.splice(0, 3));
  }
  await Promise.all(order.map((make, n) => make(String(n).padStart(3, '0'))));
}

describe('report: each row its own picture', () => {
  let dir: string;
  let rows: Record<string, unknown>[];

  before(async () => {
    dir = await workspace();
    await makeFolder(path.join(dir, 'mixed'));
    // Some good pictures become error rows too: the server refuses every 23rd request.
    const handler: Handler = (req, i) => (i % 23 === 7
      ? { type: 'status', status: 400, body: { error: { message: `image too big for context (request ${i})` } } }
      : defaultReply(req));
    server.setHandler(handler);
    try {
      const cat = await runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm',
        '--cache', path.join(dir, 'cache.db'), '-q', 'mixed', '-o', 'mixed.jsonl'], { cwd: dir });
      assert.equal(cat.code, 1, `the catalog should have error rows: ${cat.stderr}`);
    } finally {
      server.setHandler(defaultReply);
    }
    rows = parseJsonl(await readFile(path.join(dir, 'mixed.jsonl'), 'utf8'));
  });

  it('the catalog holds 300 rows of every kind, error rows among them', () => {
    assert.ok(rows.length >= 300, `${rows.length} rows`);
    const errors = rows.filter((r) => r.status === 'error');
    assert.ok(errors.length >= 25, `${errors.length} error rows`);
    assert.ok(errors.some((r) => /image too big for context/.test(r.error as string)), 'no error row of a good picture');
    assert.ok(rows.filter((r) => r.page !== null && /\.pdf$/.test(r.SourceFile as string) && r.status !== 'error').length >= 60);
    assert.ok(rows.filter((r) => r.page !== null && /\.tif$/.test(r.SourceFile as string) && r.status !== 'error').length >= 40);
  });

  // -j at its default (cores, at most 4) and above it: the thumbnails of many files are made at once.
  const pages: string[] = [];
  for (const [run, jobs] of [[1, '4'], [2, '4'], [3, '8']] as [number, string][]) {
    it(`run ${run} (-j ${jobs}): every thumbnail has its own row's shape, none is flagged changed, error rows have none`, async () => {
      const out = `report-${run}.html`;
      const r = await runMain(['report', 'mixed.jsonl', '-o', out, '-j', jobs], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const page = await openReport(path.join(dir, out));
      const seen = await seenRows(page);
      await page.close();
      assert.equal(seen.length, rows.length);
      const wrong: string[] = [];
      for (const [i, row] of rows.entries()) {
        const s = seen[i] as Seen;
        const what = `row ${i + 1} (${row.SourceFile as string}${row.page !== null ? ` p. ${row.page as number}` : ''}, ${row.status as string})`;
        assert.equal(s.id, `r${i + 1}`);
        if (s.flag !== null) wrong.push(`${what}: flagged "${s.flag}"`);
        if (row.status === 'error') {
          if (s.img) wrong.push(`${what}: an error row has a thumbnail`);
          else if (s.placeholder !== `no preview${row.error as string}`) wrong.push(`${what}: its placeholder says ${JSON.stringify(s.placeholder)}`);
          continue;
        }
        if (!s.img || s.img.w === 0 || s.img.h === 0) {
          wrong.push(`${what}: no thumbnail shown: ${JSON.stringify(s)}`);
          continue;
        }
        const width = row.width as number;
        const height = row.height as number;
        // A pixel or two of rounding, at the decoded size and as laid out; another file's picture is far off.
        const off = Math.max(shapeError(s.img.naturalW, s.img.naturalH, width, height), shapeError(s.img.w, s.img.h, width, height));
        if (off > 2) wrong.push(`${what}: ${width}×${height} shown as ${s.img.naturalW}×${s.img.naturalH} (laid out ${s.img.w}×${s.img.h})`);
      }
      assert.deepEqual(wrong, [], `${wrong.length} rows show the wrong thing`);
      assert.doesNotMatch(r.stderr, /changed/, 'a file is said to have changed');
      const errors = rows.filter((row) => row.status === 'error').length;
      assert.match(summaryOf(r), new RegExp(`^glm-vision: report: ${rows.length} rows, ${rows.length - errors} thumbnails, 0 images missing, ${errors} images without preview;`));
      // Every run shows the same pictures.
      const html = await readFile(path.join(dir, out), 'utf8');
      pages.push(html.slice(html.indexOf('<main')));
      assert.ok(pages.every((p) => p === pages[0]), 'the rows differ from the first run\'s');
    });
  }
});

describe('report: the "no preview" box', () => {
  it('wraps a long reason inside the box, under its heading, in Chromium', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'photo.jpg'), { width: 400, height: 300, seed: 71 });
    await writeFile(path.join(dir, 'was-a-photo.jpg'), 'no longer a picture\n');
    const reasons = [
      `HTTP 400 after 1 attempt: ${'the server says the image does not fit the model context window; '.repeat(6)}`,
      `cannot open: ${'/srv/archive/a-very-long-folder-name-without-any-spaces'.repeat(5)}/photo.jpg`,
    ];
    const row = (SourceFile: string, error: string | null): string => JSON.stringify({
      SourceFile, sha256: null, bytes: 1, width: 400, height: 300, format: 'jpeg', status: error === null ? 'ok' : 'error', cached: false,
      error, prompt: 'describe', model: 'm', output: error === null ? 'An answer.' : null, tokens_in: 1, tokens_out: 1, latency_ms: 1,
    });
    const lines = [row('photo.jpg', reasons[0] as string), row('photo.jpg', reasons[1] as string), row('was-a-photo.jpg', null), row('photo.jpg', null)];
    await writeFile(path.join(dir, 'c.jsonl'), `${lines.join('\n')}\n`);
    const r = await runMain(['report', 'c.jsonl', '-o', 'r.html'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(summaryOf(r), /4 rows, 1 thumbnail, 0 images missing, 3 images without preview/);

    const page = await openReport(path.join(dir, 'r.html'));
    // Every line box of the heading and the reason, against the box and the row around it.
    const boxes = await page.evaluate<{ id: string; text: string; box: number[]; row: number[]; lines: number[][]; scroll: number[] }[]>(`(() => {
      const edges = (r) => [r.left, r.top, r.right, r.bottom];
      return Array.from(document.querySelectorAll('.ph'), (ph) => {
        const range = document.createRange();
        range.selectNodeContents(ph);
        return {
          id: ph.closest('.row').id,
          text: ph.textContent,
          box: edges(ph.getBoundingClientRect()),
          row: edges(ph.closest('.row').getBoundingClientRect()),
          lines: Array.from(range.getClientRects(), edges),
          scroll: [ph.scrollWidth, ph.clientWidth, ph.scrollHeight, ph.clientHeight],
        };
      });
    })()`);
    await page.screenshot({ path: '/tmp/report-no-preview.png' });
    await page.close();
    assert.deepEqual(boxes.map((b) => b.id), ['r1', 'r2', 'r3']);
    assert.equal(boxes[0]?.text, `no preview${reasons[0] as string}`);
    assert.equal(boxes[1]?.text, `no preview${reasons[1] as string}`);
    assert.match(boxes[2]?.text ?? '', /^no preview/);
    for (const b of boxes) {
      const [left, top, right, bottom] = b.box as [number, number, number, number];
      const [, , , rowBottom] = b.row as [number, number, number, number];
      assert.ok(b.lines.length > 1, `${b.id}: no text laid out`);
      for (const [l, t, rt, btm] of b.lines as [number, number, number, number][]) {
        assert.ok(l >= left - 0.5 && rt <= right + 0.5 && t >= top - 0.5 && btm <= bottom + 0.5,
          `${b.id}: text at ${[l, t, rt, btm].map(Math.round).join(',')} outside its box ${b.box.map(Math.round).join(',')}`);
      }
      assert.ok(bottom <= rowBottom + 0.5, `${b.id}: the box is cut off by its row`);
      const [sw, cw, sh, ch] = b.scroll as [number, number, number, number];
      assert.ok(sw <= cw && sh <= ch, `${b.id}: the box overflows (${sw}×${sh} in ${cw}×${ch})`);
    }
  });
});
