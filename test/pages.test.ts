// Multi-page documents end to end: PDFs made here with pdf-lib (scans, text
// pages, broken files) and multi-page TIFFs from sharp, through the real CLI
// against the loopback OpenAI-compatible server, in process except where a
// signal is sent.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { startFakeOpenAI, defaultReply, gate, type FakeOpenAI, type RecordedRequest } from './helpers/fake-openai.js';
import { makeImage, makeMultiPageTiff, noiseImage } from './helpers/images.js';
import { corruptXref, makeBomb, makeEmptyPdf, makeEncryptedPdf, makePdf, rawPdf, truncate, type PageSpec } from './helpers/pdfs.js';
import { parseJsonl, runMain, scratchFolders, startCli, waitForOutput } from './helpers/cli.js';

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

const workspace = scratchFolders('glmv-pages-');

function catalog(cache: string, ...extra: string[]): Promise<Awaited<ReturnType<typeof runMain>>> {
  return runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', ...extra]);
}

/** The text of a chat request's user message. */
function promptOf(req: RecordedRequest): string {
  const user = (req.body.messages as { role: string; content: unknown }[]).find((m) => m.role === 'user');
  const parts = Array.isArray(user?.content) ? (user.content as { type: string; text?: string }[]) : [];
  return parts.filter((p) => p.type === 'text').map((p) => p.text).join('');
}

const MIXED: PageSpec[] = [
  { kind: 'scan', seed: 1 },
  { kind: 'text', text: 'Invoice 42\nTotal 12.50 EUR' },
  { kind: 'scan', seed: 2 },
];

async function archive(dir: string): Promise<string> {
  const folder = path.join(dir, 'archive');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'a-letter.pdf'), await makePdf(MIXED));
  await makeImage(path.join(folder, 'b-photo.jpg'), { width: 320, height: 240, seed: 7 });
  await makeMultiPageTiff(path.join(folder, 'c-scans.tif'), ['#c00000', '#00a000', '#0000d0', '#808080']);
  return folder;
}

describe('PDF and multi-page TIFF: one row per page', () => {
  it('rows per page in file then page order, page and pages columns, every page cached on a re-run', async () => {
    const dir = await workspace();
    const folder = await archive(dir);
    const cache = path.join(dir, 'cache.db');
    const before = server.chatRequests().length;
    const first = await catalog(cache, folder, '--format', 'csv');
    assert.equal(first.code, 0, first.stderr);
    const [header, ...records] = parseCsv(first.stdout, { bom: true }) as string[][];
    assert.deepEqual(header?.slice(0, 4), ['SourceFile', 'page', 'pages', 'sha256']);
    const at = (name: string) => header!.indexOf(name);
    const rows = records.map((r) => ({
      file: path.basename(r[0]!), page: r[at('page')], pages: r[at('pages')], status: r[at('status')],
      format: r[at('format')], width: r[at('width')], output: r[at('output')],
    }));
    assert.deepEqual(rows.map((r) => [r.file, r.page, r.pages]), [
      ['a-letter.pdf', '1', '3'], ['a-letter.pdf', '2', '3'], ['a-letter.pdf', '3', '3'],
      ['b-photo.jpg', '', ''],
      ['c-scans.tif', '1', '4'], ['c-scans.tif', '2', '4'], ['c-scans.tif', '3', '4'], ['c-scans.tif', '4', '4'],
    ]);
    assert.ok(rows.every((r) => r.status === 'ok'));
    assert.deepEqual([...new Set(rows.map((r) => r.format))], ['pdf', 'jpeg', 'tiff']);
    // A4 at the default 150 dpi.
    assert.equal(rows[0]?.width, '1240');
    // Each page was its own request, and each page a different image.
    assert.equal(server.chatRequests().length - before, 8);
    assert.equal(new Set(rows.map((r) => r.output)).size, 8);

    const again = await catalog(cache, folder, '--format', 'csv');
    assert.equal(again.code, 0, again.stderr);
    const summary = await runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, folder]);
    assert.match(summary.stderr, /glm-vision: 8\/8 items \(7 pages\), 8 ok \(8 cached\), 0 failed/);
    assert.equal(server.chatRequests().length - before, 8, 'a re-run sends no requests');
    const cached = (parseCsv(again.stdout, { bom: true }) as string[][]).slice(1);
    assert.ok(cached.every((r) => r[at('cached')] === 'true'));
    assert.deepEqual(cached.map((r) => r[at('output')]), rows.map((r) => r.output));

    // The report shows each page's own picture.
    const catalogFile = path.join(dir, 'catalog.csv');
    await writeFile(catalogFile, again.stdout);
    const report = await runMain(['report', catalogFile, '-o', path.join(dir, 'report.html')]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stderr, /8 rows, 8 thumbnails, 0 images missing;/);
    const html = await readFile(path.join(dir, 'report.html'), 'utf8');
    const thumbs = [...html.matchAll(/src="(data:image\/webp;base64,[^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(thumbs).size, 8, 'every page a different picture');
    assert.match(html, /p\. 2\/3/);

    // Touched (new mtime) and renamed: the file is read again, its pages are not.
    await utimes(path.join(folder, 'a-letter.pdf'), new Date(), new Date(Date.now() + 5000));
    await copyFile(path.join(folder, 'c-scans.tif'), path.join(folder, 'd-copy.tiff'));
    const touched = await catalog(cache, folder);
    assert.equal(touched.code, 0, touched.stderr);
    assert.equal(server.chatRequests().length - before, 8);
    assert.equal(parseJsonl(touched.stdout).length, 12);
  });

  it('a pyramid TIFF (one picture at halving sizes) is one image, not pages', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'pyramid.tif');
    await noiseImage(1024, 768, 4).tiff({ pyramid: true, tile: true, tileWidth: 128, tileHeight: 128 }).toFile(file);
    const res = await catalog(path.join(dir, 'c.db'), file);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(parseJsonl(res.stdout).map((r) => [r.page, r.pages, r.width, r.height]), [[null, null, 1024, 768]]);
  });

  it('a PDF that gained pages has only the new pages inferred', async () => {
    const dir = await workspace();
    const cache = path.join(dir, 'cache.db');
    const file = path.join(dir, 'ledger.pdf');
    await writeFile(file, await makePdf(MIXED));
    const before = server.chatRequests().length;
    assert.equal((await catalog(cache, file)).code, 0);
    assert.equal(server.chatRequests().length - before, 3);
    await writeFile(file, await makePdf([...MIXED, { kind: 'scan', seed: 3 }, { kind: 'text', text: 'Appendix' }]));
    const grown = await catalog(cache, file);
    assert.equal(grown.code, 0, grown.stderr);
    assert.equal(server.chatRequests().length - before, 5, 'two new pages, two requests');
    const rows = parseJsonl(grown.stdout);
    assert.deepEqual(rows.map((r) => [r.page, r.pages, r.cached]), [[1, 5, true], [2, 5, true], [3, 5, true], [4, 5, false], [5, 5, false]]);
  });

  it('{{page_text}} carries the text layer into the prompt; an added OCR layer redoes only jobs that read it', async () => {
    const dir = await workspace();
    const cache = path.join(dir, 'cache.db');
    const file = path.join(dir, 'letter.pdf');
    await writeFile(file, await makePdf(MIXED));
    const before = server.chatRequests().length;
    const ocr = await catalog(cache, file, '--prompt', 'ocr-check');
    assert.equal(ocr.code, 0, ocr.stderr);
    const prompts = server.chatRequests().slice(before).map(promptOf);
    assert.equal(prompts.length, 3);
    assert.equal(prompts.filter((p) => p.includes('Invoice 42\nTotal 12.50 EUR')).length, 1, prompts.join('\n---\n'));
    assert.ok(prompts.every((p) => !p.includes('{{')));
    assert.equal((await catalog(cache, file)).code, 0); // describe: 3 more
    assert.equal(server.chatRequests().length - before, 6);

    // OCRmyPDF-style: the same scans with invisible text on them.
    await writeFile(file, await makePdf(MIXED, { ocrLayer: 'Dear Sir' }));
    assert.equal((await catalog(cache, file)).code, 0);
    assert.equal(server.chatRequests().length - before, 6, 'describe does not read the text layer: nothing to redo');
    assert.equal((await catalog(cache, file, '--prompt', 'ocr-check')).code, 0);
    const redone = server.chatRequests().slice(before + 6).map(promptOf);
    assert.equal(redone.length, 2, 'the two scans changed text layer; the text page did not');
    assert.ok(redone.every((p) => p.includes('Dear Sir')));
  });

  it('--pages picks pages; --dpi changes the rendering; --group-pages gives one row per file', async () => {
    const dir = await workspace();
    const folder = await archive(dir);
    const cache = path.join(dir, 'cache.db');
    const first = await catalog(cache, folder, '--pages', 'first');
    assert.deepEqual(parseJsonl(first.stdout).map((r) => [path.basename(String(r.SourceFile)), r.page]), [
      ['a-letter.pdf', 1], ['b-photo.jpg', null], ['c-scans.tif', 1],
    ]);
    const some = await catalog(cache, folder, '--pages', '2-3,9');
    assert.deepEqual(parseJsonl(some.stdout).map((r) => r.page), [2, 3, null, 2, 3]);
    const none = await catalog(cache, path.join(folder, 'a-letter.pdf'), '--pages', '5-');
    assert.equal(none.code, 1);
    assert.match(String(parseJsonl(none.stdout)[0]?.error), /--pages 5- selects none of its 3 pages/);
    const bad = await catalog(cache, folder, '--pages', '3-1');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--pages but received "3-1"/);

    const small = await catalog(cache, path.join(folder, 'a-letter.pdf'), '--dpi', '72', '--pages', 'first');
    assert.deepEqual(parseJsonl(small.stdout).map((r) => [r.width, r.height]), [[595, 842]]);

    const grouped = await catalog(cache, folder, '--group-pages');
    const rows = parseJsonl(grouped.stdout);
    assert.deepEqual(rows.map((r) => [path.basename(String(r.SourceFile)), r.page, r.pages]), [
      ['a-letter.pdf', null, 3], ['b-photo.jpg', null, null], ['c-scans.tif', null, 4],
    ]);
    const pageRows = parseJsonl((await catalog(cache, folder)).stdout);
    const letterPages = pageRows.filter((r) => String(r.SourceFile).endsWith('.pdf')).map((r) => r.output);
    assert.deepEqual(rows[0]?.output, letterPages);
    assert.equal(rows[0]?.tokens_in, 300);

    const csv = await catalog(cache, folder, '--group-pages', '--format', 'csv');
    const [header, ...records] = parseCsv(csv.stdout, { bom: true }) as string[][];
    assert.equal(records.length, 3);
    assert.equal(records[0]?.[header!.indexOf('output')], letterPages.join('\n\n'));

    // exiftool's rows are files: a document's pages become one description.
    const exif = await catalog(cache, folder, '--format', 'exiftool');
    const exifRows = parseCsv(exif.stdout) as string[][];
    assert.deepEqual(exifRows.slice(1).map((r) => path.basename(r[0]!)), ['a-letter.pdf', 'b-photo.jpg', 'c-scans.tif']);
    assert.equal(exifRows[1]?.[2], letterPages.join('\n\n'));
    // And from a catalog of page rows, xmp writes the same.
    const pagesCatalog = path.join(dir, 'pages.jsonl');
    await writeFile(pagesCatalog, pageRows.map((r) => JSON.stringify(r)).join('\n'));
    const xmp = await runMain(['xmp', pagesCatalog, '--csv']);
    assert.equal(xmp.code, 0, xmp.stderr);
    assert.deepEqual(parseCsv(xmp.stdout).map((r: string[]) => r.slice(0, 3)), exifRows.map((r) => r.slice(0, 3)));
  });

  it('broken documents are one error row each, with a reason; the run goes on', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'bad');
    await mkdir(folder);
    const good = await makePdf(MIXED);
    await writeFile(path.join(folder, '1-encrypted.pdf'), await makeEncryptedPdf());
    await writeFile(path.join(folder, '2-truncated.pdf'), truncate(good, 0.6));
    await writeFile(path.join(folder, '3-no-pages.pdf'), makeEmptyPdf());
    await writeFile(path.join(folder, '4-many-pages.pdf'), await makeBomb(40, 200));
    await writeFile(path.join(folder, '5-huge-page.pdf'), await makeBomb(1, 14_400));
    await writeFile(path.join(folder, '6-not-a-pdf.pdf'), 'GIF89a, honest');
    // An image that claims 20000×20000 pixels: decoding it would take the thread's memory for one picture.
    await writeFile(path.join(folder, '6b-image-bomb.pdf'), rawPdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>',
      '<< /Length 31 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream',
      '<< /Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\nxxxx\nendstream',
    ]));
    await writeFile(path.join(folder, '7-good.pdf'), good);
    // A damaged cross-reference table is rebuilt, as viewers do: the document is catalogued.
    await writeFile(path.join(folder, '8-bad-xref.pdf'), corruptXref(good));
    const cache = path.join(dir, 'cache.db');
    const result = await catalog(cache, folder, '--max-pages', '30', '--max-input-pixels', '100000000');
    assert.equal(result.code, 1, result.stderr);
    const rows = parseJsonl(result.stdout);
    const byName = new Map(rows.map((r) => [path.basename(String(r.SourceFile)), r]));
    const reason = (name: string): string => {
      const row = byName.get(name);
      assert.equal(row?.status, 'error', `${name}: ${JSON.stringify(row)}`);
      return String(row?.error);
    };
    assert.match(reason('1-encrypted.pdf'), /encrypted and needs a password/);
    assert.match(reason('2-truncated.pdf'), /^not a readable PDF: corrupt, truncated or not a PDF$/);
    assert.match(reason('3-no-pages.pdf'), /has no pages/);
    assert.match(reason('4-many-pages.pdf'), /40 pages selected, more than --max-pages 30/);
    assert.match(reason('5-huge-page.pdf'), /page 1 is too large when rendered: 30000×30000 pixels at 150 dpi exceeds --max-input-pixels/);
    assert.match(reason('6-not-a-pdf.pdf'), /not a PDF/);
    assert.match(reason('6b-image-bomb.pdf'), /page 1 holds an image of 20000×20000 pixels, more than --max-input-pixels 100000000/);
    const goodRows = rows.filter((r) => String(r.SourceFile).endsWith('7-good.pdf'));
    const repaired = rows.filter((r) => String(r.SourceFile).endsWith('8-bad-xref.pdf'));
    assert.equal(goodRows.filter((r) => r.status === 'ok').length, 3);
    assert.deepEqual(repaired.map((r) => [r.status, r.output]), goodRows.map((r) => [r.status, r.output]));
    assert.equal(rows.length, 7 + 3 + 3);
  });

  it('servers gone while a document is half done: exit 75 with the reason, no crash', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'long.tif');
    await makeMultiPageTiff(file, Array.from({ length: 30 }, (_, i) => `#${(i * 8).toString(16).padStart(2, '0')}4080`));
    // Port 9 (discard) on loopback: nothing listens, every request is refused.
    const res = await runMain(['catalog', file, '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--flavor', 'vllm', '--retries', '0', '-j', '1',
      '--cache', path.join(dir, 'c.db')]);
    assert.equal(res.code, 75, res.stderr);
    assert.doesNotMatch(res.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(res.stdout, '');
  });

  it('Ctrl-C half way through a document: exit 130, its finished pages cached, the re-run asks only for the rest', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'long.pdf');
    await writeFile(file, await makePdf(Array.from({ length: 12 }, (_, i) => ({ kind: 'scan' as const, seed: 40 + i, width: 200, height: 283 }))));
    // Two pages answered, then the third is held until the interrupt has been taken: provably half way.
    const interrupted = gate();
    const slow = await startFakeOpenAI({ handler: (req, index) => (index < 2 ? defaultReply(req) : { type: 'hold', until: interrupted.opened }) });
    try {
      const args = ['catalog', file, '--endpoint', slow.url, '--model', 'm', '--flavor', 'vllm', '-j', '1', '--cache', path.join(dir, 'c.db')];
      const run = startCli(args);
      await slow.requestsReached(3);
      run.child.kill('SIGINT');
      await waitForOutput(run.child, /SIGINT: finishing requests in flight/);
      interrupted.open();
      const first = await run.done;
      assert.equal(first.code, 130, first.stderr);
      assert.equal(first.stdout, '', 'an unfinished document gets no rows');
      const asked = slow.chatRequests().length;
      assert.ok(asked >= 3 && asked < 12, `${asked} pages asked before the interrupt`);
      const second = await runMain(args);
      assert.equal(second.code, 0, second.stderr);
      const rows = parseJsonl(second.stdout);
      assert.deepEqual(rows.map((r) => r.page), Array.from({ length: 12 }, (_, i) => i + 1));
      assert.equal(slow.chatRequests().length, 12, 'no page asked twice');
      assert.equal(rows.filter((r) => r.cached).length, asked);
    } finally {
      interrupted.open();
      await slow.close();
    }
  });
});
