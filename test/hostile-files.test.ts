// One folder holding everything an uncleaned archive throws at a run. Every regular
// file gets exactly one row, the rest a reason on stderr, and the catalogs stay
// valid for the tools people read them with: Python's csv module, csvclean and jq.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startFakeOpenAI } from './helpers/fake-openai.js';
import { makeImage, makeMultiPageTiff, pngBomb } from './helpers/images.js';
import { parseJsonl, runMain, tempDir } from './helpers/cli.js';

/** The tools the check needs; .ci/run installs them from Debian when missing. */
function tool(name: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(name, args, { input, encoding: 'utf8' });
  if (res.error) assert.fail(`${name} is needed for this test: apt-get install jq csvkit (${res.error.message})`);
  return res;
}

const NAMES = ['new\nline.jpg', 'say "cheese".jpg', 'a,b,c.jpg', '档案照片.jpg', '=HYPERLINK("x").jpg', '+1.jpg', '-2.jpg', '@sum.jpg'];

async function hostileTree(dir: string, root: string): Promise<{ ok: string[]; failed: string[] }> {
  await mkdir(path.join(root, 'sub'), { recursive: true });
  const jpeg = path.join(dir, 'src.jpg');
  const png = path.join(dir, 'src.png');
  await makeImage(jpeg, { width: 64, height: 48, seed: 1 });
  await makeImage(png, { width: 64, height: 48, seed: 2, format: 'png' });
  const jpegData = await readFile(jpeg);
  const pngData = await readFile(png);
  // Distinct bytes per name, so each is its own image.
  for (const [i, name] of NAMES.entries()) await writeFile(path.join(root, name), Buffer.concat([jpegData, Buffer.from([i])]));
  await writeFile(Buffer.from([...Buffer.from(`${root}/caf`), 0xe9, ...Buffer.from('.jpg')]), Buffer.concat([jpegData, Buffer.from([99])]));
  await writeFile(path.join(root, 'png-named.jpg'), pngData);
  await writeFile(path.join(root, 'jpeg-named.png'), Buffer.concat([jpegData, Buffer.from([98])]));
  await makeMultiPageTiff(path.join(root, 'pages.tiff'), ['red', 'green', 'blue']);

  await writeFile(path.join(root, 'bomb.png'), pngBomb(100_000, 100_000));
  await writeFile(path.join(root, 'truncated.jpg'), jpegData.subarray(0, Math.floor(jpegData.length / 2)));
  await writeFile(path.join(root, 'truncated.png'), pngData.subarray(0, Math.floor(pngData.length / 2)));
  await writeFile(path.join(root, 'zero.jpg'), Buffer.alloc(0));
  await writeFile(path.join(root, 'text.jpg'), 'not an image\n');

  await symlink(root, path.join(root, 'sub', 'loop'));
  await symlink(path.join(root, 'gone.jpg'), path.join(root, 'dangling.jpg'));
  execFileSync('mkfifo', [path.join(root, 'pipe.jpg')]);
  return {
    ok: [...NAMES, 'caf\\xe9.jpg', 'png-named.jpg', 'jpeg-named.png', 'pages.tiff'],
    failed: ['bomb.png', 'truncated.jpg', 'truncated.png', 'zero.jpg', 'text.jpg'],
  };
}

describe('hostile files', () => {
  it('one row per regular file, a reason for the rest, and CSV/JSONL that Python csv, csvclean and jq accept', { timeout: 120_000 }, async (t) => {
    const server = await startFakeOpenAI();
    const { dir, cleanup } = await tempDir();
    t.after(async () => {
      await server.close();
      await cleanup();
    });
    const root = path.join(dir, 'archive');
    const expected = await hostileTree(dir, root);
    const cache = path.join(dir, 'c.db');
    const csvOut = path.join(dir, 'catalog.csv');
    const jsonlOut = path.join(dir, 'catalog.jsonl');
    const args = ['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '--follow-symlinks', '.'];
    const jsonl = await runMain([...args, '-o', jsonlOut], { cwd: root });
    assert.equal(jsonl.code, 1, jsonl.stderr);
    assert.match(jsonl.stderr, /pipe\.jpg: a FIFO/);
    assert.match(jsonl.stderr, /dangling\.jpg: dangling symlink/);
    assert.match(jsonl.stderr, /loop: symlink loop/);
    const csv = await runMain([...args, '-o', csvOut], { cwd: root });
    assert.equal(csv.code, 1, csv.stderr);

    // JSONL: every line parses with jq; one row per regular file.
    const jq = tool('jq', ['-c', '{f: .SourceFile, s: .status, e: .error}', jsonlOut]);
    assert.equal(jq.status, 0, jq.stderr);
    const rows = jq.stdout.trim().split('\n').map((l) => JSON.parse(l) as { f: string; s: string; e: string | null });
    assert.deepEqual(rows, parseJsonl(await readFile(jsonlOut, 'utf8')).map((r) => ({ f: r.SourceFile, s: r.status, e: r.error })));
    const byName = new Map(rows.map((r) => [path.basename(r.f), r]));
    // pages.tiff has three pages: three rows.
    assert.equal(rows.length, expected.ok.length + expected.failed.length + 2, rows.map((r) => r.f).join(' | '));
    assert.equal(byName.size, rows.length - 2, 'no file twice, but for the pages of pages.tiff');
    for (const name of expected.ok) assert.equal(byName.get(name)?.s, 'ok', `${name}: ${byName.get(name)?.e}`);
    for (const name of expected.failed) {
      assert.equal(byName.get(name)?.s, 'error', name);
      assert.ok((byName.get(name)?.e ?? '').length > 0, `${name} has a reason`);
    }
    assert.match(byName.get('bomb.png')?.e ?? '', /100000×100000/);

    // CSV: Python's csv module reads the rows back (utf-8-sig: a file starts with a byte-order mark),
    // and no cell starts a formula.
    const py = tool('python3', ['-c', [
      'import csv, json, sys',
      'with open(sys.argv[1], newline="", encoding="utf-8-sig") as f: rows = list(csv.reader(f))',
      'print(json.dumps({"header": rows[0], "rows": rows[1:]}))',
    ].join('\n'), csvOut]);
    assert.equal(py.status, 0, py.stderr);
    const table = JSON.parse(py.stdout) as { header: string[]; rows: string[][] };
    for (const row of table.rows) assert.equal(row.length, table.header.length, `a row of another width: ${JSON.stringify(row)}`);
    assert.equal(table.header[0], 'SourceFile');
    const status = table.header.indexOf('status');
    assert.deepEqual(
      table.rows.map((r) => [path.basename(r[0] as string), r[status]]).sort(),
      rows.map((r) => [path.basename(r.f), r.s]).sort(),
    );
    for (const cell of table.rows.flat()) assert.doesNotMatch(cell, /^[=+\-@]/, `a cell a spreadsheet would run: ${cell}`);
    assert.ok(table.rows.some((r) => r[0] === 'new\nline.jpg'), 'the newline survives quoting');

    const clean = tool('csvclean', ['-n', csvOut]);
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, /No errors/);
  });
});
