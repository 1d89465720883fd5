// batch export and batch import: the catalog's requests as OpenAI batch files, answered by a
// stand-in for `vllm run-batch`, and the results in the cache, so that catalog sends nothing.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { imageSha, requestLines, resultLine, runBatch } from './helpers/fake-batches.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { makePdf } from './helpers/pdfs.js';
import { RECORD_TEMPLATE } from './helpers/templates.js';

const scratch = scratchFolders('glmv-batch-');
let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI();
});
after(async () => {
  await server.close();
});

/** A folder of `n` distinct small JPEGs, one of them twice, and a two-page scanned PDF. */
async function archive(n: number): Promise<string> {
  const dir = await scratch();
  for (let i = 0; i < n; i++) await makeImage(path.join(dir, `img-${i}.jpg`), { width: 64 + i, height: 48, seed: 10 + i });
  await makeImage(path.join(dir, 'copy', 'img-0.jpg'), { width: 64, height: 48, seed: 10 });
  await writeFile(path.join(dir, 'scan.pdf'), await makePdf([{ kind: 'scan', seed: 1, width: 120, height: 160 }, { kind: 'scan', seed: 2, width: 120, height: 160 }]));
  return dir;
}

const modelFlags = (flavor = 'vllm'): string[] => ['-m', 'test-model', '--flavor', flavor, '--no-config', '-q'];

function results(cache: string): { sha256: string; status: string; output: string }[] {
  const db = new Database(cache, { readonly: true });
  try {
    return db.prepare('SELECT sha256, status, output FROM results ORDER BY sha256').all() as { sha256: string; status: string; output: string }[];
  } finally {
    db.close();
  }
}

describe('batch export', () => {
  it('writes exactly the body the online request sends, keyed by the cache key, and import makes catalog send nothing', async () => {
    const dir = await archive(3);
    const work = await scratch();
    const cache = path.join(work, 'cache.db');
    const out = path.join(work, 'requests.jsonl');
    const exported = await runMain(['batch', 'export', dir, '-o', out, '--cache', cache, '--endpoint', server.url, ...modelFlags()]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, `${out}\n`);
    assert.equal(server.chatRequests().length, 0, 'export sends no request');
    const lines = requestLines(await readFile(out, 'utf8'));
    // 3 images (the copy shares its image) and 2 pages.
    assert.equal(lines.length, 5);
    for (const line of lines) {
      assert.equal(line.method, 'POST');
      assert.equal(line.url, '/v1/chat/completions');
      assert.match(line.custom_id, /^[0-9a-f]{32}-[0-9a-f]{64}$/);
    }

    // The online run over the same inputs, with its own cache: the server records each body.
    const online = await runMain(['catalog', dir, '--cache', path.join(work, 'online.db'), '--endpoint', server.url, ...modelFlags()]);
    assert.equal(online.code, 0, online.stderr);
    const sent = server.chatRequests();
    assert.equal(sent.length, 5);
    const byImage = new Map(sent.map((r) => [r.imageSha256, r.body]));
    for (const line of lines) assert.deepEqual(line.body, byImage.get(imageSha(line.body)), 'the exported body is the online body');

    // vllm run-batch's stand-in answers the file; import stores the answers.
    const { output } = runBatch(await readFile(out, 'utf8'));
    await writeFile(path.join(work, 'results.jsonl'), output);
    const imported = await runMain(['batch', 'import', path.join(work, 'results.jsonl'), '--cache', cache, '--no-config']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /stored 5 answers, 0 lines failed, 0 skipped/);

    const before = server.chatRequests().length;
    const catalog = await runMain(['catalog', dir, '--cache', cache, '--endpoint', server.url, ...modelFlags()]);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.equal(server.chatRequests().length, before, 'the catalog run after import sends no request');
    const rows = parseJsonl(catalog.stdout);
    assert.equal(rows.length, 6, '4 image files and 2 pages');
    for (const row of rows) {
      assert.equal(row.status, 'ok');
      assert.equal(row.cached, true);
    }
    const onlineRows = new Map(parseJsonl(online.stdout).map((r) => [`${String(r.SourceFile)}#${String(r.page)}`, r.output]));
    for (const row of rows) assert.equal(row.output, onlineRows.get(`${String(row.SourceFile)}#${String(row.page)}`), 'the same answers as online');

    // Nothing left to ask: a second export writes no file.
    const again = await runMain(['batch', 'export', dir, '-o', path.join(work, 'again.jsonl'), '--cache', cache, ...modelFlags()]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');
    assert.ok(!(await readdir(work)).includes('again.jsonl'));
  });

  it('speaks each flavour: Zhipu lines go to /v4 with thinking disabled and no seed', async () => {
    const dir = await scratch();
    await makeImage(path.join(dir, 'a.jpg'), { width: 40, height: 30, seed: 5 });
    const work = await scratch();
    const out = path.join(work, 'zhipu.jsonl');
    const r = await runMain(['batch', 'export', dir, '-o', out, '--cache', path.join(work, 'c.db'), '--seed', '7', ...modelFlags('zhipu')]);
    assert.equal(r.code, 0, r.stderr);
    const [line] = requestLines(await readFile(out, 'utf8'));
    assert.equal(line?.url, '/v4/chat/completions');
    assert.deepEqual(line?.body.thinking, { type: 'disabled' });
    assert.equal(line?.body.seed, undefined);
  });

  it('splits at --max-requests and at --max-bytes, naming the files FILE, FILE-2, FILE-3…', async () => {
    const dir = await scratch();
    for (let i = 0; i < 5; i++) await makeImage(path.join(dir, `i${i}.jpg`), { width: 50, height: 50, seed: 100 + i });
    const work = await scratch();
    const byCount = await runMain(['batch', 'export', dir, '-o', path.join(work, 'req.jsonl'), '--max-requests', '2', '--cache', path.join(work, 'c.db'), ...modelFlags()]);
    assert.equal(byCount.code, 0, byCount.stderr);
    const names = byCount.stdout.trim().split('\n').map((f) => path.basename(f));
    assert.deepEqual(names, ['req.jsonl', 'req-2.jsonl', 'req-3.jsonl']);
    const counts = await Promise.all(names.map(async (n) => requestLines(await readFile(path.join(work, n), 'utf8')).length));
    assert.deepEqual(counts, [2, 2, 1]);

    // Room for two lines but not three: each file stays under the limit.
    const sizes = (await readFile(path.join(work, 'req.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => Buffer.byteLength(l) + 1);
    const maxBytes = Math.max(...sizes) * 2 + 10;
    const bySize = await runMain(['batch', 'export', dir, '-o', path.join(work, 'big.jsonl'), '--max-bytes', String(maxBytes), '--cache', path.join(work, 'c.db'), ...modelFlags()]);
    assert.equal(bySize.code, 0, bySize.stderr);
    const files = bySize.stdout.trim().split('\n');
    assert.equal(files.length, 3);
    const ids = new Set<string>();
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      assert.ok(Buffer.byteLength(text) <= maxBytes, `${f} is within --max-bytes`);
      for (const l of requestLines(text)) ids.add(l.custom_id);
    }
    assert.equal(ids.size, 5, 'every request once');

    const tooSmall = await runMain(['batch', 'export', dir, '-o', path.join(work, 'none.jsonl'), '--max-bytes', '1024', '--cache', path.join(work, 'c.db'), ...modelFlags()]);
    assert.equal(tooSmall.code, 1);
    assert.match(tooSmall.stderr, /i0\.jpg: its request is .* more than --max-bytes 1024/);
    const zero = await runMain(['batch', 'export', dir, '--max-requests', '0', ...modelFlags()]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--max-requests/);
  });
});

describe('batch import', () => {
  it('an answer that fails the template\'s schema is reported with the failing field and what the model said; not stored', async () => {
    const dir = await scratch();
    await makeImage(path.join(dir, 'a.jpg'), { width: 40, height: 40, seed: 300 });
    const work = await scratch();
    const cache = path.join(work, 'c.db');
    const template = path.join(work, 'record.md');
    await writeFile(template, RECORD_TEMPLATE);
    const out = path.join(work, 'req.jsonl');
    assert.equal((await runMain(['batch', 'export', dir, '-o', out, '--cache', cache, '--prompt', template, ...modelFlags()])).code, 0);
    const [line] = requestLines(await readFile(out, 'utf8'));
    assert.ok(line);
    const said = '{"title": "Harbour", "description": "Boats.", "tags": "boats"}';
    await writeFile(path.join(work, 'results.jsonl'), `${resultLine(line, { kind: 'answer', content: said }, 1)}\n`);
    const r = await runMain(['batch', 'import', 'results.jsonl', '--cache', cache, '--no-config'], { cwd: work });
    assert.equal(r.code, 1, r.stderr);
    const reported = r.stderr.split('\n').find((l) => l.includes('results.jsonl:1:')) ?? '';
    assert.match(reported, /tags/, 'names the failing field');
    assert.ok(reported.endsWith(`the answer was ${JSON.stringify(said)}`), reported);
    assert.deepEqual(results(cache), []);
  });

  it('reports garbage, unknown custom_ids, duplicates and failed answers with their line, and stores nothing from them', async () => {
    const dir = await scratch();
    for (let i = 0; i < 6; i++) await makeImage(path.join(dir, `i${i}.jpg`), { width: 40, height: 40, seed: 200 + i });
    const work = await scratch();
    const cache = path.join(work, 'c.db');
    const out = path.join(work, 'req.jsonl');
    assert.equal((await runMain(['batch', 'export', dir, '-o', out, '--cache', cache, ...modelFlags()])).code, 0);
    const lines = requestLines(await readFile(out, 'utf8'));
    const [a, b, c, d, e, f] = lines as [typeof lines[0], typeof lines[0], typeof lines[0], typeof lines[0], typeof lines[0], typeof lines[0]];
    const otherJob = `${'f'.repeat(32)}-${a.custom_id.split('-')[1] ?? ''}`;
    const file = [
      resultLine(a, { kind: 'answer', content: 'fine' }, 1),                      // 1: stored
      'this is not JSON',                                                          // 2: garbage
      JSON.stringify({ id: 'x', response: null }),                                 // 3: no custom_id
      resultLine({ ...b, custom_id: 'req-42' }, { kind: 'answer' }, 3),           // 4: not ours
      resultLine({ ...b, custom_id: otherJob }, { kind: 'answer' }, 4),           // 5: unknown job
      resultLine(c, { kind: 'answer', content: 'one' }, 5),                       // 6: duplicate …
      resultLine(c, { kind: 'answer', content: 'two' }, 6),                       // 7: … of line 6
      resultLine(d, { kind: 'error', code: 'invalid_request', message: 'image too large' }, 7), // 8: error object
      resultLine(e, { kind: 'status', status: 500, message: 'engine died' }, 8),  // 9: not 200
      resultLine(f, { kind: 'answer', content: '' }, 9),                          // 10: empty answer
      resultLine(b, { kind: 'answer', content: 'cut', finishReason: 'length' }, 10), // 11: truncated, stored as such
      '',
    ].join('\n');
    await writeFile(path.join(work, 'results.jsonl'), file);
    const r = await runMain(['batch', 'import', 'results.jsonl', '--cache', cache, '--no-config'], { cwd: work });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /stored 2 answers \(1 cut off at max_tokens, stored as truncated\), 9 lines failed, 0 skipped/);
    for (const [n, why] of [
      [2, /not JSON/], [3, /no custom_id/], [4, /unknown custom_id req-42/], [5, /unknown custom_id f{32}-.*not in this cache/],
      [6, /duplicate custom_id .*\(also at results\.jsonl:7\)/], [7, /duplicate custom_id .*\(also at results\.jsonl:6\)/],
      [8, /invalid_request: image too large/], [9, /HTTP 500: engine died/], [10, /empty answer/], [11, /cut off at max_tokens/],
    ] as const) {
      const line = r.stderr.split('\n').find((l) => l.includes(`results.jsonl:${n}:`));
      assert.ok(line, `line ${n} is reported:\n${r.stderr}`);
      assert.match(line, why);
    }
    const stored = results(cache);
    assert.deepEqual(stored.map((s) => [s.output, s.status]).sort(), [['cut', 'truncated'], ['fine', 'ok']]);

    // Imported again: already in the cache, skipped and kept as they are.
    await writeFile(path.join(work, 'again.jsonl'), `${resultLine(a, { kind: 'answer', content: 'other' }, 1)}\n`);
    const again = await runMain(['batch', 'import', 'again.jsonl', '--cache', cache, '--no-config'], { cwd: work });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /stored 0 answers, 0 lines failed, 1 skipped/);
    assert.ok(results(cache).some((s) => s.output === 'fine'));

    const missing = await runMain(['batch', 'import', 'nope.jsonl', '--cache', cache, '--no-config'], { cwd: work });
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /nope\.jsonl/);
  });
});
