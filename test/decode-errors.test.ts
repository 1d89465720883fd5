// Image decode errors: each row's reason is its own file's, whatever decodes
// beside it; reasons are clean one-liners; what libvips can decode is decoded
// (CIELab TIFFs too), and what the prebuilt sharp cannot is named with a way out.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import sharp from 'sharp';
import { decodeErrorCause, describeDecodeError } from '../src/image/decode-error.js';
import { preprocess } from '../src/image/preprocess.js';
import { decodeOwnError, shared } from '../src/image/sharp-gate.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { bmpBytes, brokenTiffs, cielabTiff, cielabTiff16, makeImage, tiffBytes } from './helpers/images.js';
import { runMain, scratchFolders } from './helpers/cli.js';

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());
const workspace = scratchFolders();

/** A reason a user could act on: not empty, not cut at a colon, not sharp's placeholder. */
function assertCleanReason(reason: string, where: string): void {
  assert.ok(reason.trim().length > 0, `${where}: empty reason`);
  assert.doesNotMatch(reason, /Unknown error/, `${where}: ${reason}`);
  assert.doesNotMatch(reason, /:\s*$/, `${where} ends at a colon: ${reason}`);
  assert.doesNotMatch(reason, /:\s*:|:\s*\(/, `${where} has an empty cause: ${reason}`);
  assert.doesNotMatch(reason, /\n/, `${where} spans lines: ${JSON.stringify(reason)}`);
}

/** Rows keyed by file name, with the columns that may differ between runs blanked. */
function stableRows(csv: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parseCsv(csv, { relax_column_count: false }) as string[][];
  assert.ok(header, 'a CSV header');
  const volatile = ['latency_ms', 'cached'].map((c) => header.indexOf(c));
  assert.ok(volatile.every((i) => i >= 0), `latency_ms and cached columns in ${header.join(',')}`);
  return { header, rows: rows.map((r) => r.map((cell, i) => (volatile.includes(i) ? '' : cell))) };
}

async function catalog(folder: string, cache: string): Promise<string> {
  const out = `${cache}.csv`;
  const res = await runMain([
    'catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache,
    '--concurrency', '64', '-q', '-o', out, folder,
  ]);
  assert.equal(res.code, 1, `some rows fail: ${res.stderr}`);
  return readFile(out, 'utf8');
}

describe('decode error messages', () => {
  it('keep the cause and drop libvips error-buffer noise, never ending at a colon', () => {
    const cases: [string, string][] = [
      ['Input buffer has corrupt header: ', ''],
      ['Input buffer has corrupt header: tiff2vips:\n', ''],
      ['Input buffer has corrupt header: image: bad labq format\n\nimage: bad labq format', 'image: bad labq format'],
      ['source: bad seek to 100008\ntiff2vips: Seek error at scanline 4294967295, strip 0', 'tiff2vips: Seek error at scanline 4294967295, strip 0'],
      ['tiff2vips: source input: Unknown pseudo-tag 65538\ntiff2vips: Sorry, requested compression method is not configured', 'tiff2vips: Sorry, requested compression method is not configured'],
      ['Unknown error', ''],
      ['vips_colourspace: no known route from \'multiband\' to \'srgb\'\n', 'vips_colourspace: no known route from \'multiband\' to \'srgb\''],
    ];
    for (const [message, cause] of cases) assert.equal(decodeErrorCause(new Error(message)), cause, JSON.stringify(message));
    for (const [message] of cases) assertCleanReason(describeDecodeError(new Error(message)), JSON.stringify(message));
    assert.equal(describeDecodeError(new Error('Input buffer has corrupt header: ')), 'corrupt or truncated image: libvips gave no reason');
    assert.equal(describeDecodeError(new Error('Unknown error')), 'cannot decode image: libvips gave no reason');
  });

  it('name the formats the prebuilt sharp lacks, and how to read them', () => {
    const unsupported = new Error('Input buffer contains unsupported image format');
    const bmp = describeDecodeError(unsupported, bmpBytes(2, 2, [1, 2, 3]));
    assert.match(bmp, /^BMP images cannot be decoded by the prebuilt sharp/);
    assert.match(bmp, /magick IN\.bmp OUT\.png/);
    assert.match(bmp, /magickload/);
    const ojpeg = new Error('tiff2vips: Old-style JPEG compression support is not configured\ntiff2vips: Sorry, requested compression method is not configured');
    assert.match(describeDecodeError(ojpeg), /^old-style JPEG-in-TIFF \(OJPEG, TIFF compression 6\) cannot be decoded .*magick IN\.tif OUT\.png/);
    const heic = new Error('source: bad seek to 1024\nheif: Error while loading plugin: Support for this compression format has not been built in: HEVC (a suitable decoder plugin is libde265) (11.6003)');
    assert.match(describeDecodeError(heic), /^HEIC \(HEVC\) images cannot be decoded by the prebuilt sharp/);
    // A TIFF whose header libtiff cannot read is a broken TIFF, not "not an image".
    assert.equal(describeDecodeError(unsupported, tiffBytes({ width: 4, height: 4 }).subarray(0, 6)), 'corrupt or truncated TIFF: libvips cannot read its header');
    assert.equal(describeDecodeError(unsupported, Buffer.from('plain text, no image')), 'not an image, or a format sharp cannot decode');
  });
});

describe('a failed decode', () => {
  it('is run again alone, after the decodes in flight beside it end', async () => {
    const events: string[] = [];
    let release = (): void => undefined;
    const neighbour = shared(async () => {
      events.push('neighbour start');
      await new Promise<void>((resolve) => (release = resolve));
      events.push('neighbour end');
    });
    let attempts = 0;
    const failing = decodeOwnError(async () => {
      attempts++;
      events.push(`attempt ${attempts}`);
      throw new Error(attempts === 1 ? "someone else's message" : 'my own message');
    }, () => false);
    const rejected = assert.rejects(failing, /my own message/);
    // The first attempt fails beside the neighbour; the retry waits for it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['neighbour start', 'attempt 1']);
    release();
    await neighbour;
    await rejected;
    assert.deepEqual(events, ['neighbour start', 'attempt 1', 'neighbour end', 'attempt 2']);
  });
});

describe('CIELab TIFFs', () => {
  it('decode to the sRGB colours libvips gives the same colour stored as 16-bit CIELab', async () => {
    const lab: [number, number, number] = [50, 40, -20];
    const oracle = await sharp(cielabTiff16(6, 4, lab)).toColourspace('srgb').raw().toBuffer();
    const options = { maxPixels: 1_000_000, maxInputPixels: 1_000_000, jpegQuality: 100 };
    const prepared = await preprocess(cielabTiff(6, 4, lab), options);
    assert.deepEqual(prepared.source, { width: 6, height: 4, format: 'tiff' });
    assert.equal(prepared.image.kind, 'encoded');
    const got = await sharp(prepared.image.kind === 'encoded' ? prepared.image.data : Buffer.alloc(0)).raw().toBuffer();
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(got[c]! - oracle[c]!) <= 3, `channel ${c}: ${got[c]} vs libvips' ${oracle[c]} (${[...got.subarray(0, 3)]})`);
    }
    // Not the grey or black a misread would give.
    assert.ok(got[0]! - got[1]! > 40, `a magenta-ish red: ${[...got.subarray(0, 3)]}`);
  });
});

describe('catalog over broken TIFFs', () => {
  it('40 TIFFs broken in different ways get the same clean rows in 5 runs at full concurrency', { timeout: 300_000 }, async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'tiffs');
    await mkdir(folder);
    const files = brokenTiffs();
    assert.equal(files.size, 40);
    for (const [name, data] of files) await writeFile(path.join(folder, `${name}.tif`), data);

    const runs: ReturnType<typeof stableRows>[] = [];
    for (let run = 0; run < 5; run++) runs.push(stableRows(await catalog(folder, path.join(dir, `run-${run}.db`))));
    const first = runs[0]!;
    const error = first.header.indexOf('error');
    const status = first.header.indexOf('status');
    assert.equal(first.rows.length, 40);
    for (const row of first.rows) {
      assert.equal(row[status], 'error', `${row[0]} decodes`);
      assertCleanReason(row[error] ?? '', row[0] ?? '?');
    }
    // Different breakage, different reasons: the rows are not one message repeated.
    assert.ok(new Set(first.rows.map((r) => r[error])).size >= 10, 'at least 10 distinct reasons');
    for (const [i, run] of runs.entries()) {
      for (const [r, row] of run.rows.entries()) assert.deepEqual(row, first.rows[r], `run ${i + 1}, ${row[0]}`);
    }
  });
});

describe('catalog over a mixed folder', () => {
  it('two fresh runs write the same CSV but for latency and cached; CIELab decodes, BMP and OJPEG say what would', { timeout: 300_000 }, async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'mixed');
    await mkdir(folder);
    for (let i = 0; i < 6; i++) await makeImage(path.join(folder, `photo-${i}.jpg`), { width: 64 + i, height: 48, seed: i + 1 });
    await makeImage(path.join(folder, 'scan.png'), { width: 50, height: 70, seed: 9, format: 'png' });
    await makeImage(path.join(folder, 'page.tif'), { width: 40, height: 30, seed: 10, format: 'tiff' });
    await writeFile(path.join(folder, 'lab.tif'), cielabTiff(30, 20, [70, -30, 40]));
    await writeFile(path.join(folder, 'windows.bmp'), bmpBytes(5, 3, [0, 128, 255]));
    for (const [name, data] of [...brokenTiffs()].filter(([name]) => name.endsWith('-0'))) await writeFile(path.join(folder, `${name}.tif`), data);

    const a = await catalog(folder, path.join(dir, 'a.db'));
    const b = await catalog(folder, path.join(dir, 'b.db'));
    const first = stableRows(a);
    assert.deepEqual(stableRows(b), first);
    const col = (name: string): number => first.header.indexOf(name);
    const row = (name: string): string[] => first.rows.find((r) => path.basename(r[0] ?? '') === name) ?? assert.fail(`no row for ${name}`);

    const lab = row('lab.tif');
    assert.equal(lab[col('status')], 'ok', lab[col('error')]);
    assert.deepEqual([lab[col('width')], lab[col('height')], lab[col('format')]], ['30', '20', 'tiff']);
    assert.match(row('windows.bmp')[col('error')] ?? '', /^BMP images cannot be decoded by the prebuilt sharp.*magick IN\.bmp OUT\.png/);
    assert.match(row('old-jpeg-0.tif')[col('error')] ?? '', /^old-style JPEG-in-TIFF \(OJPEG/);
    for (const r of first.rows) {
      if (r[col('status')] === 'error') assertCleanReason(r[col('error')] ?? '', r[0] ?? '?');
      else assert.equal(r[col('error')], '', `${r[0]} is ok with an error`);
    }
    assert.equal(first.rows.filter((r) => r[col('status')] === 'ok').length, 9);
  });
});
