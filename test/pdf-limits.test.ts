// PDFs that would take the machine, through the real CLI in process: each is one error
// row naming the limit it went over and the flag that raises it, and the other
// files in the folder are catalogued. Limits are set small by flags; the
// outcome is asserted, never the time. Also: junk before %PDF-, and the PDF
// libraries' warnings, which are never printed raw.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { makeCyclicPdf, makeNestedTilingPdf, makePdf, makeWarningPdf, withJunkBefore } from './helpers/pdfs.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import type * as PoolModule from '../src/pages/pdf-pool.js';

// The built pool: its worker threads start from dist/ (tsx does not reach into worker threads here).
const { PdfPool } = (await import(new URL('../dist/pages/pdf-pool.js', import.meta.url).href)) as typeof PoolModule;

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

const workspace = scratchFolders('glmv-pdf-limits-');

function catalog(cache: string, ...extra: string[]): ReturnType<typeof runMain> {
  return runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '--format', 'jsonl', ...extra]);
}

type Row = { file: string; page: unknown; status: unknown; error: string };
const rowsOf = (stdout: string): Row[] =>
  parseJsonl(stdout).map((r) => ({ file: path.basename(String(r.SourceFile)), page: r.page, status: r.status, error: String(r.error ?? '') }));

/** A folder of ordinary files beside `hostile` ones. */
async function folder(dir: string, hostile: Record<string, Buffer>): Promise<string> {
  const at = path.join(dir, 'in');
  await mkdir(at, { recursive: true });
  await writeFile(path.join(at, 'a-letter.pdf'), await makePdf([{ kind: 'text', text: 'Invoice 42' }, { kind: 'scan', seed: 1 }]));
  await makeImage(path.join(at, 'b-photo.jpg'), { width: 320, height: 240, seed: 7 });
  for (const [name, data] of Object.entries(hostile)) await writeFile(path.join(at, name), data);
  return at;
}

const ORDINARY = [['a-letter.pdf', 1], ['a-letter.pdf', 2], ['b-photo.jpg', null]] as const;

function assertOrdinaryOk(rows: Row[]): void {
  for (const [file, page] of ORDINARY) {
    const row = rows.find((r) => r.file === file && r.page === page);
    assert.equal(row?.status, 'ok', `${file} page ${page}: ${row?.error}`);
  }
}

describe('rendering limits', () => {
  it('a PDF over the memory cap (forms drawing each other in a cycle) is one error row naming the cap and its flag; nested tiling patterns fit', async () => {
    const dir = await workspace();
    const input = await folder(dir, { 'nested.pdf': makeNestedTilingPdf(40, 4), 'cycle.pdf': makeCyclicPdf() });
    // 128 MB for all threads: one thread whatever the machine; CPU time generous, so memory is what runs out.
    const r = await catalog(path.join(dir, 'cache.db'), input, '-q', '--render-memory', '128', '--render-cpu-limit', '600');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr under -q');
    const rows = rowsOf(r.stdout);
    assertOrdinaryOk(rows);
    const cycle = rows.filter((row) => row.file === 'cycle.pdf');
    assert.equal(cycle.length, 1, 'cycle.pdf: one row');
    assert.equal(cycle[0]?.status, 'error');
    assert.equal(cycle[0]?.error, 'page 1 needed more than 128 MB to render (--render-memory 128 gives its one thread 128 MB)');
    // PDFium stops nesting patterns past its recursion limit: the page is drawn without them, in a few MB.
    assert.deepEqual(rows.filter((row) => row.file === 'nested.pdf').map((row) => row.status), ['ok']);
    assert.equal(rows.length, ORDINARY.length + 2);
  });

  it('a PDF over the CPU limit is one error row naming the limit and its flag; the folder goes on', async () => {
    const dir = await workspace();
    // Small tiles: little memory, 2^40 of them to draw.
    const input = await folder(dir, { 'tiles.pdf': makeNestedTilingPdf(40, 1) });
    const r = await catalog(path.join(dir, 'cache.db'), input, '-q', '--render-cpu-limit', '2');
    assert.equal(r.code, 1, r.stderr);
    const rows = rowsOf(r.stdout);
    assertOrdinaryOk(rows);
    const tiles = rows.filter((row) => row.file === 'tiles.pdf');
    assert.equal(tiles.length, 1);
    assert.equal(tiles[0]?.error, 'page 1 used more than 2 s of CPU rendering (--render-cpu-limit 2)');
  });

  it('rejects limits that make no sense, naming the flag', async () => {
    const dir = await workspace();
    const low = await catalog(path.join(dir, 'cache.db'), dir, '--render-memory', '10');
    assert.equal(low.code, 2);
    assert.match(low.stderr, /--render-memory/);
    const zero = await catalog(path.join(dir, 'cache.db'), dir, '--render-cpu-limit', '0');
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--render-cpu-limit/);
  });
});

describe('the document over a limit, in the pool', () => {
  it('is not tried again; a document sharing its thread is reopened on a fresh one and goes on', async () => {
    const pool = new PdfPool(100_000_000, 1, { memoryMb: 128 });
    try {
      const innocent = await pool.open(await makePdf([{ kind: 'text', text: 'one' }, { kind: 'text', text: 'two' }]));
      assert.equal((await innocent.render(1, { dpi: 72, maxPixels: 1_000_000 })).width, 595);
      const cycle = await pool.open(makeCyclicPdf());
      const overCap = (e: Error): boolean => e.name === 'DocumentLimit' && /^page 1 needed more than 128 MB to render/.test(e.message);
      await assert.rejects(cycle.render(1, { dpi: 72, maxPixels: 1_000_000 }), overCap);
      // The same answer again, without opening it anew (that would be "opening the PDF" or the renderer stopping).
      await assert.rejects(cycle.render(1, { dpi: 72, maxPixels: 1_000_000 }), overCap);
      await cycle.close();
      assert.equal((await innocent.render(2, { dpi: 72, maxPixels: 1_000_000 })).width, 595);
      await innocent.close();
    } finally {
      await pool.close();
    }
  });
});

describe('inputs as readers take them', () => {
  it('a PDF with junk before its %PDF- header opens, its scan page too', async () => {
    const dir = await workspace();
    const input = path.join(dir, 'in');
    await mkdir(input);
    await writeFile(path.join(input, 'junk.pdf'), withJunkBefore(await makePdf([{ kind: 'text', text: 'junk' }, { kind: 'scan', seed: 3 }])));
    const r = await catalog(path.join(dir, 'cache.db'), input, '-q');
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(rowsOf(r.stdout).map((row) => [row.page, row.status]), [[1, 'ok'], [2, 'ok']]);
  });
});

describe("the PDF libraries' warnings", () => {
  it('are shown with the file name on a line of their own, and not at all under -q', async () => {
    const dir = await workspace();
    const input = path.join(dir, 'in');
    await mkdir(input);
    await writeFile(path.join(input, 'warns.pdf'), makeWarningPdf());
    const quiet = await catalog(path.join(dir, 'quiet.db'), input, '-q');
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
    assert.equal(rowsOf(quiet.stdout)[0]?.status, 'ok');

    const loud = await catalog(path.join(dir, 'loud.db'), input);
    assert.equal(loud.code, 0, loud.stderr);
    const lines = loud.stderr.split('\n');
    const warning = lines.filter((l) => l.includes('77777777777777777'));
    assert.equal(warning.length, 1, loud.stderr);
    assert.match(warning[0]!, /^glm-vision: .*warns\.pdf: PDF reader: Parsed number that is too large/);
    assert.ok(lines.some((l) => /^glm-vision: 1\/1 /.test(l)), 'the summary is a line of its own');
  });

  it('never reach the terminal from report', async () => {
    const dir = await workspace();
    const input = path.join(dir, 'in');
    await mkdir(input);
    await writeFile(path.join(input, 'warns.pdf'), makeWarningPdf());
    const catalogFile = path.join(dir, 'catalog.jsonl');
    const c = await catalog(path.join(dir, 'cache.db'), input, '-q', '-o', catalogFile);
    assert.equal(c.code, 0, c.stderr);
    const report = await runMain(['report', catalogFile, '-o', path.join(dir, 'report.html'), '-q']);
    assert.equal(report.code, 0, report.stderr);
    assert.doesNotMatch(report.stderr, /77777777777777777/);
  });
});
