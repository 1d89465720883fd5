// The CSV byte-order mark (README: "CSV and Excel: the byte-order mark"): a CSV written to a file
// with -o starts with one, so that Excel reads Chinese right; stdout and pipes get none; --bom,
// --no-bom and the bom setting say otherwise. Files with the mark are read back by our own readers.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { runCli, runMain, scratchFolders } from './helpers/cli.js';

const BOM = '\uFEFF';
let server: FakeOpenAI;
const workspace = scratchFolders('glmv-bom-');
let fx: { dir: string; folder: string; cache: string };

const catalog = (...extra: string[]): string[] =>
  ['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', fx.cache, '-q', ...extra, fx.folder];

/** The CSV's rows by SourceFile's base name, read as csv-parse reads a file that may start with a mark. */
const names = (csv: string): string[] =>
  (parseCsv(csv, { columns: true, bom: true }) as Record<string, string>[]).map((r) => path.basename(r.SourceFile ?? '')).sort();

before(async () => {
  server = await startFakeOpenAI();
  const dir = await workspace();
  const folder = path.join(dir, 'photos');
  await mkdir(folder);
  for (const [i, name] of ['前门.jpg', 'b.jpg'].entries()) await makeImage(path.join(folder, name), { width: 40 + i, height: 30, seed: 70 + i });
  fx = { dir, folder, cache: path.join(dir, 'cache.db') };
});
after(() => server.close());

async function fileFrom(args: string[], name: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const out = path.join(fx.dir, name);
  const r = await runMain([...args, '-o', out], { env });
  assert.equal(r.code, 0, r.stderr);
  return readFile(out, 'utf8');
}

describe('CSV byte-order mark', () => {
  it('is written into a file given with -o, and nowhere else unless asked', async () => {
    const file = await fileFrom(catalog(), 'catalog.csv');
    assert.ok(file.startsWith(`${BOM}SourceFile,`), JSON.stringify(file.slice(0, 20)));
    assert.equal(file.indexOf(BOM, 1), -1, 'one mark, at the start');
    assert.deepEqual(names(file), ['b.jpg', '前门.jpg']);

    const stdout = await runMain(catalog('--format', 'csv'));
    assert.equal(stdout.code, 0, stdout.stderr);
    assert.ok(stdout.stdout.startsWith('SourceFile,'), JSON.stringify(stdout.stdout.slice(0, 20)));
    assert.deepEqual(names(stdout.stdout), names(file), 'the same rows either way');

    // A real pipe, as `glm-vision catalog … | csvlook` gives.
    const piped = await runCli(catalog('--format', 'csv'));
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(piped.stdout.startsWith('SourceFile,'));
  });

  it('follows --bom, --no-bom and the setting', async () => {
    assert.ok(!(await fileFrom(catalog('--no-bom'), 'no-bom.csv')).startsWith(BOM));
    assert.ok(!(await fileFrom(catalog(), 'env-off.csv', { GLM_VISION_BOM: 'false' })).startsWith(BOM));
    assert.ok((await fileFrom(catalog('--no-bom', '--bom'), 'last-wins.csv')).startsWith(BOM));
    const stdout = await runMain(catalog('--format', 'csv', '--bom'));
    assert.ok(stdout.stdout.startsWith(`${BOM}SourceFile,`));
    // The exiftool CSV is for exiftool, and a JSONL catalog is no CSV: neither has one.
    assert.ok(!(await fileFrom(catalog('--format', 'exiftool'), 'meta.csv')).startsWith(BOM));
    assert.ok(!(await fileFrom(catalog(), 'catalog.jsonl')).startsWith(BOM));
  });

  it('in review export too: a file gets one, stdout none', async () => {
    const base = ['review', 'export', '--cache', fx.cache, '--no-config', '-q'];
    assert.ok((await fileFrom(base, 'decisions.csv')).startsWith(`${BOM}`));
    assert.ok(!(await fileFrom([...base, '--no-bom'], 'decisions-plain.csv')).startsWith(BOM));
    const stdout = await runMain([...base, '--format', 'csv']);
    assert.equal(stdout.code, 0, stdout.stderr);
    assert.ok(stdout.stdout.length > 0 && !stdout.stdout.startsWith(BOM));
  });

  it('a catalog with the mark is read by xmp as one without', async () => {
    const csv = path.join(fx.dir, 'catalog.csv');
    const r = await runMain(['xmp', csv, '--csv', '--base', fx.dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((parseCsv(r.stdout, { columns: true }) as unknown[]).length, 2);
  });
});
