// End to end: the real CLI against the loopback OpenAI-compatible server.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFile, cp, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parse as parseCsv } from 'csv-parse/sync';
import { startFakeOpenAI, sequence, defaultReply, gate, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeFixtureSet, makeImage, pngBomb } from './helpers/images.js';
import { parseJsonl, runCli, runMain, scratchFolders, startCli, waitForOutput } from './helpers/cli.js';
import { lockPath, STALE_MS } from '../src/cache/run-lock.js';
import { LEADING_COLUMNS, TRAILING_COLUMNS } from '../src/emit/columns.js';
import { makePdf } from './helpers/pdfs.js';

let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

const workspace = scratchFolders();

function base(cache: string, extra: string[] = []): string[] {
  return ['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', ...extra];
}

async function photos(dir: string, n: number, seed0 = 1): Promise<string> {
  const folder = path.join(dir, 'photos');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < n; i++) {
    await makeImage(path.join(folder, `img-${String(i).padStart(3, '0')}.jpg`), { width: 320 + i, height: 240, seed: seed0 + i });
  }
  return folder;
}

describe('catalog against an OpenAI-compatible server', () => {
  it('writes JSONL rows in sorted path order and sends zero requests on a re-run', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 5);
    const cache = path.join(dir, 'cache.db');
    const before = server.chatRequests().length;
    const first = await runMain([...base(cache), folder]);
    assert.equal(first.code, 0, first.stderr);
    const rows = parseJsonl(first.stdout);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.map((r) => path.basename(r.SourceFile as string)), ['img-000.jpg', 'img-001.jpg', 'img-002.jpg', 'img-003.jpg', 'img-004.jpg']);
    assert.equal(Object.keys(rows[0] as object)[0], 'SourceFile');
    for (const r of rows) {
      assert.equal(r.status, 'ok');
      assert.equal(r.cached, false);
      assert.match(r.output as string, /^Description of image [0-9a-f]{12}\.$/);
      assert.equal(r.width, 240 + 80 + Number((r.SourceFile as string).slice(-7, -4)));
      assert.equal(r.format, 'jpeg');
      assert.equal(r.tokens_in, 100);
    }
    assert.equal(server.chatRequests().length - before, 5);

    const again = await runMain([...base(cache), folder]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(server.chatRequests().length - before, 5, 're-run sent requests');
    const cachedRows = parseJsonl(again.stdout);
    assert.deepEqual(cachedRows.map((r) => r.output), rows.map((r) => r.output));
    assert.ok(cachedRows.every((r) => r.cached === true));
  });

  it('re-infers a changed file, and two identical files cost one request', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 3);
    await copyFile(path.join(folder, 'img-000.jpg'), path.join(folder, 'copy-of-000.jpg'));
    const cache = path.join(dir, 'cache.db');
    const start = server.chatRequests().length;
    const first = await runMain([...base(cache), folder]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(parseJsonl(first.stdout).length, 4);
    assert.equal(server.chatRequests().length - start, 3, 'identical files were inferred twice');

    await makeImage(path.join(folder, 'img-001.jpg'), { width: 200, height: 200, seed: 99 });
    const mid = server.chatRequests().length;
    const second = await runMain([...base(cache), folder]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(server.chatRequests().length - mid, 1);
    const changed = parseJsonl(second.stdout).find((r) => (r.SourceFile as string).endsWith('img-001.jpg'));
    assert.equal(changed?.cached, false);
    assert.equal(changed?.width, 200);
  });

  it('a touched but unchanged file is not re-inferred', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2);
    const cache = path.join(dir, 'cache.db');
    await runMain([...base(cache), folder]);
    const t = new Date(Date.now() + 5000);
    await utimes(path.join(folder, 'img-000.jpg'), t, t);
    const mid = server.chatRequests().length;
    const again = await runMain([...base(cache), folder]);
    assert.equal(again.code, 0);
    assert.equal(server.chatRequests().length - mid, 0);
  });

  it('writes CSV that a CSV parser reads back, with formula-looking names neutralised', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'in');
    await mkdir(folder);
    await makeImage(path.join(folder, '=HYPERLINK("x").jpg'), { width: 64, height: 64, seed: 5 });
    await makeImage(path.join(folder, 'a, "quoted"\nname.jpg'), { width: 64, height: 64, seed: 6 });
    await makeImage(path.join(folder, '中文.png'), { width: 64, height: 64, seed: 7, format: 'png' });
    const out = path.join(dir, 'catalog.csv');
    const res = await runMain([...base(path.join(dir, 'c.db')), '-o', out, folder]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '', 'stdout must carry no data with -o');
    const records = parseCsv(await readFile(out, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    assert.equal(records.length, 3);
    const names = records.map((r) => r.SourceFile);
    assert.ok(names.includes(`./${path.join(folder, '=HYPERLINK("x").jpg')}`) || names.some((n) => n?.includes('=HYPERLINK')));
    for (const r of records) {
      assert.ok(!/^[=+\-@]/.test(r.SourceFile ?? ''), `cell starts with a formula character: ${r.SourceFile}`);
      assert.equal(r.status, 'ok');
      assert.equal(r.cached, 'false');
    }
    assert.ok(names.some((n) => n?.endsWith('a, "quoted"\nname.jpg')));
    assert.ok(names.some((n) => n?.endsWith('中文.png')));
    const header = Object.keys(records[0] as object);
    assert.deepEqual(header.slice(0, 5), ['SourceFile', 'page', 'pages', 'sha256', 'bytes']);
    assert.deepEqual(header.slice(-9), ['review', 'reviewer', 'reviewed_at', 'output', 'model_output', 'tokens_in', 'tokens_out', 'latency_ms', 'raw_output']);
  });

  it('neutralises a formula in a model answer cell', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'x.jpg'), { width: 64, height: 64, seed: 77 });
    server.setHandler(() => ({ type: 'answer', content: '=cmd|"/c calc"!A1' }));
    try {
      const res = await runMain([...base(path.join(dir, 'c.db')), '--format', 'csv', path.join(dir, 'x.jpg')]);
      const [record] = parseCsv(res.stdout, { columns: true }) as Record<string, string>[];
      assert.equal(record?.output, `'=cmd|"/c calc"!A1`);
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('structured templates: one column per field in CSV, an output object in JSONL', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2, 40);
    const cache = path.join(dir, 'cache.db');
    const res = await runMain([...base(cache, ['--prompt', 'archive', '--lang', 'en', '--format', 'csv']), folder]);
    assert.equal(res.code, 0, res.stderr);
    const records = parseCsv(res.stdout, { columns: true }) as Record<string, string>[];
    const header = Object.keys(records[0] as object);
    for (const f of ['title', 'description', 'date_estimate', 'people', 'place', 'objects', 'text_in_image']) assert.ok(header.includes(f), f);
    assert.ok(!header.includes('output'));
    assert.match(records[0]?.people ?? '', /; /, 'arrays are joined with "; "');
    const req = server.chatRequests().at(-1);
    assert.equal(req?.body.response_format.type, 'json_schema');
    assert.match(JSON.stringify(req?.body.messages), /date_estimate/, 'fields are listed in the prompt text');
    assert.deepEqual(req?.body.chat_template_kwargs, { enable_thinking: false });

    const jsonl = await runMain([...base(cache, ['--prompt', 'archive', '--lang', 'en']), folder]);
    const rows = parseJsonl(jsonl.stdout);
    assert.equal(typeof rows[0]?.output, 'object');
    assert.ok(Array.isArray((rows[0]?.output as Record<string, unknown>).people));
  });

  it('invalid JSON gets one retry and then an error row; finish_reason length gives truncated', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 1, 60);
    server.setHandler(sequence([{ type: 'answer', content: 'not json' }, { type: 'answer', content: '{"tags": 5}' }]));
    try {
      const start = server.chatRequests().length;
      const res = await runMain([...base(path.join(dir, 'a.db'), ['--prompt', 'tags']), folder]);
      assert.equal(res.code, 1);
      const [row] = parseJsonl(res.stdout);
      assert.equal(row?.status, 'error');
      assert.match(row?.error as string, /schema|JSON/);
      assert.equal(server.chatRequests().length - start, 2);

      server.setHandler(() => ({ type: 'answer', content: '<|begin_of_box|>A long tale<|end_of_box|>', finishReason: 'length' }));
      const cut = await runMain([...base(path.join(dir, 'b.db')), folder]);
      const [t] = parseJsonl(cut.stdout);
      assert.equal(t?.status, 'truncated');
      assert.equal(t?.output, 'A long tale');
      assert.equal(cut.code, 1, 'a truncated answer is not a success');
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('strips <think> blocks and box markers, and uses a reasoning-only answer', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2, 70);
    server.setHandler(sequence([
      { type: 'answer', content: '<think>hmm</think><|begin_of_box|>A cat.<|end_of_box|>' },
      { type: 'answer', content: '', reasoning: 'A dog.', reasoningField: 'reasoning' },
    ]));
    try {
      const res = await runMain([...base(path.join(dir, 'c.db'), ['-j', '1']), folder]);
      // Which file gets which reply depends on preprocessing order, so compare as a set.
      assert.deepEqual(parseJsonl(res.stdout).map((r) => r.output).sort(), ['A cat.', 'A dog.']);
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('bad files become error rows and never abort the run', async () => {
    const dir = await workspace();
    const fixtures = await makeFixtureSet(path.join(dir, 'fx'));
    const res = await runMain([...base(path.join(dir, 'c.db')), path.join(dir, 'fx')]);
    assert.equal(res.code, 1, res.stderr);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack traces');
    const rows = new Map(parseJsonl(res.stdout).map((r) => [path.basename(r.SourceFile as string), r]));
    assert.equal(rows.size, Object.keys(fixtures).length);
    for (const good of ['plain.jpg', 'plain.png', 'plain.webp', 'cmyk.jpg', 'sixteen-bit.png', 'gray-alpha.png', 'tiny.png']) {
      assert.equal(rows.get(good)?.status, 'ok', `${good}: ${String(rows.get(good)?.error)}`);
    }
    const rotated = rows.get('exif-rotated.jpg');
    assert.equal(rotated?.status, 'ok');
    assert.deepEqual([rotated?.width, rotated?.height], [200, 300], 'EXIF orientation applied');
    assert.match(rows.get('zero.jpg')?.error as string, /empty/);
    assert.match(rows.get('truncated.jpg')?.error as string, /corrupt|truncated|decode/);
    assert.match(rows.get('text.jpg')?.error as string, /not an image|decode/);
  });

  it('writes every kind of JSONL row with the columns in the documented order', async () => {
    // The JSONL writer writes rows as they are made: their keys must already be in column order.
    const dir = await workspace();
    const fx = path.join(dir, 'fx');
    await makeFixtureSet(fx);
    await writeFile(path.join(fx, 'two-pages.pdf'), await makePdf([{ kind: 'scan', seed: 1 }, { kind: 'text', text: 'page two' }]));
    const columns = [...LEADING_COLUMNS, 'output', ...TRAILING_COLUMNS];
    const cache = path.join(dir, 'c.db');
    const runs = [[], [], ['--group-pages'], ['--prompt', 'tags']];
    for (const [i, extra] of runs.entries()) {
      const res = await runMain([...base(cache, extra), fx]);
      const rows = parseJsonl(res.stdout);
      assert.ok(rows.length > 5, res.stderr);
      const kinds = new Set(rows.map((r) => `${String(r.status)} ${r.cached ? 'cached' : 'fresh'} ${r.page === null ? 'file' : 'page'}`));
      for (const row of rows) assert.deepEqual(Object.keys(row), columns, `run ${i + 1}: ${String(row.SourceFile)} (${[...kinds].join(', ')})`);
    }
  });

  it('refuses over-large images with --max-input-pixels and resizes to --max-pixels', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'big.png'), { width: 2000, height: 1000, seed: 3, format: 'png' });
    const small = await runMain([...base(path.join(dir, 'a.db'), ['--max-input-pixels', '1000000']), dir]);
    assert.match(parseJsonl(small.stdout)[0]?.error as string, /too large/);
    await runMain([...base(path.join(dir, 'b.db'), ['--max-pixels', '200000']), dir]);
    const req = server.chatRequests().at(-1);
    const url = req?.body.messages.at(-1).content[0].image_url.url as string;
    assert.match(url, /^data:image\/jpeg;base64,/);
    const sharp = (await import('sharp')).default;
    const meta = await sharp(Buffer.from(url.split(',')[1] as string, 'base64')).metadata();
    assert.ok((meta.width ?? 0) * (meta.height ?? 0) <= 200_000);
    assert.equal((meta.width ?? 0) % 28, 0);
  });

  it('a decompression bomb (a 1 KB PNG whose header claims 100000×100000) is an error row and nothing is sent', async () => {
    const dir = await workspace();
    await writeFile(path.join(dir, 'bomb.png'), pngBomb(100_000, 100_000));
    const before = server.chatRequests().length;
    const res = await runMain([...base(path.join(dir, 'c.db')), dir]);
    assert.equal(res.code, 1, res.stderr);
    const rows = parseJsonl(res.stdout);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'error');
    assert.match(String(rows[0]?.error), /100000×100000 pixels exceeds --max-input-pixels/);
    assert.equal(server.chatRequests().length, before, 'nothing sent');
  });

  it('-o never truncates the old catalog when a run fails', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 1, 90);
    const out = path.join(dir, 'catalog.jsonl');
    await writeFile(out, 'previous catalog\n');
    const res = await runMain(['catalog', '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--retries', '0',
      '--cache', path.join(dir, 'c.db'), '-q', '-o', out, folder]);
    assert.equal(res.code, 75, res.stderr);
    assert.match(res.stderr, /unreachable/);
    assert.equal(await readFile(out, 'utf8'), 'previous catalog\n');
  });

  it('exits cleanly when stdout is closed early (| head -1)', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 30, 200);
    const cache = path.join(dir, 'c.db');
    // Async: the fake server lives in this process and must keep answering.
    const { stdout: out } = await promisify(execFile)('bash', ['-c', `set -o pipefail; node ${JSON.stringify(path.resolve('bin/glm-vision.js'))} ${base(cache).map((a) => JSON.stringify(a)).join(' ')} ${JSON.stringify(folder)} | head -1; echo "exit=$?"`], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    const [first, status] = out.trim().split('\n');
    assert.equal(JSON.parse(first as string).status, 'ok');
    assert.equal(status, 'exit=0');
    const db = new Database(cache, { readonly: true });
    assert.equal((db.pragma('integrity_check', { simple: true }) as string), 'ok');
    db.close();
  });

  it('after a SIGKILL mid-run, the re-run does not request committed results again', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 24, 300);
    const cache = path.join(dir, 'c.db');
    // Six answers, then requests are held: the kill provably lands mid-run.
    const killed = gate();
    const start = server.chatRequests().length;
    server.setHandler((req, index) => (index - start < 6 ? defaultReply(req) : { type: 'hold', until: killed.opened }));
    try {
      const run = startCli([...base(cache, ['-j', '2']), folder]);
      // With -j 2 the 8th request goes out only after the 6th answer came back, by
      // when the CLI has saved at least the first four.
      await server.requestsReached(start + 8);
      run.child.kill('SIGKILL');
      await run.done;
      killed.open();
      // The dead run's lock goes stale STALE_MS after its last refresh: aged now, not waited for; the re-run takes it over.
      const aged = new Date(Date.now() - 2 * STALE_MS);
      await utimes(lockPath(cache), aged, aged);
      const db = new Database(cache, { readonly: true });
      const committed = (db.prepare('SELECT sha256 FROM results').all() as { sha256: string }[]).map((r) => r.sha256);
      db.close();
      assert.ok(committed.length >= 4, `only ${committed.length} committed before the kill`);
      server.setHandler(defaultReply);
      const mid = server.chatRequests().length;
      const again = await runMain([...base(cache), folder]);
      assert.equal(again.code, 0, again.stderr);
      const asked = server.chatRequests().slice(mid).map((r) => r.imageSha256);
      assert.equal(asked.length, 24 - committed.length);
      assert.equal(parseJsonl(again.stdout).length, 24);
      const db2 = new Database(cache, { readonly: true });
      const shas = new Set((db2.prepare('SELECT sha256 FROM files').all() as { sha256: string }[]).map((r) => r.sha256));
      db2.close();
      assert.equal(shas.size, 24);
    } finally {
      killed.open();
      server.setHandler(defaultReply);
    }
  });

  it('walks with --include/--exclude, skips hidden files and symlinks, and never blocks on a FIFO', async () => {
    const dir = await workspace();
    const root = path.join(dir, 'tree');
    await mkdir(path.join(root, 'sub', 'deep'), { recursive: true });
    await mkdir(path.join(root, '.hidden'));
    await mkdir(path.join(root, 'skipme'));
    await makeImage(path.join(root, 'a.jpg'), { width: 40, height: 40, seed: 1 });
    await makeImage(path.join(root, 'sub', 'deep', 'b.png'), { width: 40, height: 40, seed: 2, format: 'png' });
    await makeImage(path.join(root, '.hidden', 'c.jpg'), { width: 40, height: 40, seed: 3 });
    await makeImage(path.join(root, 'skipme', 'd.jpg'), { width: 40, height: 40, seed: 4 });
    await writeFile(path.join(root, 'notes.txt'), 'not an image');
    await symlink(path.join(root, 'a.jpg'), path.join(root, 'link.jpg'));
    await symlink(root, path.join(root, 'sub', 'loop'));
    await symlink(path.join(root, 'gone.jpg'), path.join(root, 'dangling.jpg'));
    execFileSync('mkfifo', [path.join(root, 'pipe.jpg')]);
    const cache = path.join(dir, 'c.db');
    const res = await runMain([...base(cache).filter((a) => a !== '-q'), '--exclude', 'skipme', root]);
    assert.equal(res.code, 0, res.stderr);
    const names = parseJsonl(res.stdout).map((r) => path.relative(root, r.SourceFile as string));
    assert.deepEqual(names, ['a.jpg', 'sub/deep/b.png']);
    assert.match(res.stderr, /pipe\.jpg: a FIFO/);

    const all = await runMain([...base(cache).filter((a) => a !== '-q'), '--hidden', '--follow-symlinks', '--include', '*.jpg', root]);
    const names2 = parseJsonl(all.stdout).map((r) => path.relative(root, r.SourceFile as string));
    assert.deepEqual(names2, ['.hidden/c.jpg', 'a.jpg', 'link.jpg', 'skipme/d.jpg']);
    assert.match(all.stderr, /dangling\.jpg: dangling symlink/);
    assert.match(all.stderr, /loop: symlink loop/);
  });

  it('--shard i/n: n runs catalog disjoint parts whose union is the whole walk, and a new file moves no other', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 24, 600);
    const cache = path.join(dir, 'c.db');
    const whole = parseJsonl((await runMain([...base(cache), folder])).stdout).map((r) => r.SourceFile as string);
    const parts: string[][] = [];
    for (const i of [1, 2, 3]) {
      const res = await runMain([...base(path.join(dir, `shard${i}.db`)), '--shard', `${i}/3`, folder]);
      assert.equal(res.code, 0, res.stderr);
      parts.push(parseJsonl(res.stdout).map((r) => r.SourceFile as string));
    }
    assert.ok(parts.every((p) => p.length > 0), parts.map((p) => p.length).join(', '));
    assert.deepEqual(parts.flat().sort(), [...whole].sort());
    // Another machine mounting the same archive elsewhere, with one more file, keeps the same split.
    const elsewhere = path.join(dir, 'mounted-elsewhere');
    await cp(folder, elsewhere, { recursive: true });
    await makeImage(path.join(elsewhere, 'new.jpg'), { width: 50, height: 50, seed: 999 });
    const res = await runMain([...base(path.join(dir, 'other.db')), '--shard', '2/3', elsewhere]);
    const second = parseJsonl(res.stdout).map((r) => path.basename(r.SourceFile as string)).filter((n) => n !== 'new.jpg');
    assert.deepEqual(second, (parts[1] as string[]).map((p) => path.basename(p)));
  });

  it('--files-from - reads NUL-separated paths', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 3, 400);
    const list = ['img-002.jpg', 'img-000.jpg'].map((f) => path.join(folder, f)).join('\0') + '\0';
    const res = await runMain([...base(path.join(dir, 'c.db')), '--files-from', '-'], { input: list });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(parseJsonl(res.stdout).map((r) => path.basename(r.SourceFile as string)), ['img-000.jpg', 'img-002.jpg']);
  });

  it('--refresh re-infers; changing the prompt or max tokens changes the job', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2, 500);
    const cache = path.join(dir, 'c.db');
    await runMain([...base(cache), folder]);
    let mid = server.chatRequests().length;
    await runMain([...base(cache, ['--refresh']), folder]);
    assert.equal(server.chatRequests().length - mid, 2);
    mid = server.chatRequests().length;
    await runMain([...base(cache, ['--max-tokens', '77']), folder]);
    assert.equal(server.chatRequests().length - mid, 2);
    assert.equal(server.chatRequests().at(-1)?.body.max_tokens, 77);
    mid = server.chatRequests().length;
    await runMain([...base(cache, ['--prompt', 'caption']), folder]);
    assert.equal(server.chatRequests().length - mid, 2);
  });

  it('records runs in the cache and never stores or prints the API key', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2, 600);
    const cache = path.join(dir, 'c.db');
    const key = 'sk-secret-test-key-1234567890';
    const out = path.join(dir, 'out.csv');
    const res = await runMain([...base(cache).filter((a) => a !== '-q'), '--api-key', key, '-o', out, folder]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(server.chatRequests().at(-1)?.headers.authorization, `Bearer ${key}`);
    const db = new Database(cache, { readonly: true });
    const run = db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT 1').get() as Record<string, unknown>;
    db.close();
    assert.equal(run.total, 2);
    assert.equal(run.exit_code, 0);
    assert.ok(run.ended_at);
    const wal = await readFile(`${cache}-wal`).catch(() => Buffer.alloc(0));
    for (const text of [res.stdout, res.stderr, await readFile(out, 'utf8'), (await readFile(cache)).toString('latin1'), wal.toString('latin1')]) {
      assert.ok(!text.includes(key), 'the API key leaked');
    }
  });
});

describe('usage errors', () => {
  const cases: [string[], RegExp][] = [
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '--concurrency', '-3', '.'], /Expected auto or a positive integer for --concurrency but received "-3"/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '-j', 'many', '.'], /Expected auto or a positive integer for --concurrency but received "many"/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '--max-concurrency', '0', '.'], /Expected positive integer for --max-concurrency but received "0"/],
    [['catalog', '--endpoint', 'nope', '--model', 'm', '.'], /Expected an http\(s\) URL/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '.'], /--model NAME is required/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '--prompt', 'qa', '.'], /needs --question/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '--prompt', 'nosuch', '.'], /Unknown prompt "nosuch"/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '-o', 'x.txt', '.'], /Cannot tell the catalog format/],
    [['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '--shard', '3/2', '.'], /for --shard but received "3\/2"/],
    [['catalog', '--bogus'], /unknown option/],
  ];
  for (const [args, message] of cases) {
    it(`exits 2 for ${args.slice(1).join(' ')}`, async () => {
      const res = await runMain([...args, '--cache', ':memory:']);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stderr, /\n\s+at /);
    });
  }

  it('template errors name the file', async () => {
    const dir = await workspace();
    const cases: [string, RegExp][] = [
      ['---\nname: x\noutput: json\nschema: {type: object, properties: {status: {type: string}}}\n---\nHi', /fixed catalog column/],
      ['---\nname: x\nmax_tokens: [\n---\nHi', /bad YAML/],
      ['---\nname: x\n---\nHello {{nobody}}', /Unknown variable \{\{nobody\}\}/],
      ['---\nname: x\noutput: json\nschema: {type: object, properties: {a: {type: nonsense}}}\n---\nHi', /invalid JSON schema/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const file = path.join(dir, `t${i}.md`);
      await writeFile(file, text);
      const res = await runMain(['catalog', '--endpoint', 'http://127.0.0.1:1/v1', '--model', 'm', '--prompt', file, '--cache', ':memory:', dir]);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.ok(res.stderr.includes(file), `error does not name ${file}: ${res.stderr}`);
    }
  });

  it('prompts list and show', async () => {
    const list = await runMain(['prompts', 'list', '--lang', 'en']);
    assert.equal(list.code, 0);
    for (const name of ['describe', 'caption', 'ocr', 'tags', 'archive', 'document', 'moderate', 'qa']) assert.match(list.stdout, new RegExp(`^${name} `, 'm'));
    const show = await runMain(['prompts', 'show', 'archive', '--lang', 'zh']);
    assert.match(show.stdout, /^---\nname: archive/);
    assert.match(show.stdout, /[\u4e00-\u9fff]/);
  });
});

describe('overlapping runs on one cache (--lock)', () => {
  it('a second run skips (exit 75) or waits, and no image is asked for twice', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 4, 500);
    const cache = path.join(dir, 'cache.db');
    // The first run's answers are held until the second run says it is waiting for the
    // lock, so the first provably still holds the cache whatever the machine's speed.
    const secondWaits = gate();
    const own = await startFakeOpenAI({ handler: () => ({ type: 'hold', until: secondWaits.opened }) });
    try {
      const args = (extra: string[]) => ['catalog', '--endpoint', own.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '-j', '1', ...extra, folder];
      const first = startCli(args(['-q']));
      await own.requestsReached(1);
      // Separate processes: the lock is between them.
      const skipped = await runCli(args(['--lock', 'skip']));
      assert.equal(skipped.code, 75, skipped.stderr);
      assert.match(skipped.stderr, /another glm-vision run is using the cache .*cache\.db/);
      assert.equal(skipped.stdout, '');
      const second = startCli(args([]));
      await waitForOutput(second.child, /waiting for another glm-vision run to finish with the cache/);
      secondWaits.open();
      const waited = await second.done;
      const done = await first.done;
      assert.equal(done.code, 0, done.stderr);
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stderr, /waiting for another glm-vision run/);
      assert.ok(parseJsonl(waited.stdout).every((r) => r.cached === true), 'the waiting run found everything done');
      const shas = own.chatRequests().map((r) => r.imageSha256);
      assert.equal(shas.length, 4);
      assert.equal(new Set(shas).size, 4, 'no image requested twice');
    } finally {
      secondWaits.open();
      await own.close();
    }
  });
});

describe('file names', () => {
  it('a file whose real name contains U+FFFD is catalogued, not mistaken for an undecodable one', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'fffd');
    await makeImage(path.join(folder, 'a\uFFFDb.jpg'), { width: 40, height: 40, seed: 910 });
    await makeImage(path.join(folder, 'plain.jpg'), { width: 40, height: 40, seed: 911 });
    const res = await runMain([...base(path.join(dir, 'c.db')), folder]);
    assert.equal(res.code, 0, res.stderr);
    const rows = parseJsonl(res.stdout);
    assert.deepEqual(rows.map((r) => path.basename(String(r.SourceFile))).sort(), ['a\uFFFDb.jpg', 'plain.jpg']);
    assert.ok(rows.every((r) => r.status === 'ok'));
  });

  it('catalogs a file whose name is not valid UTF-8, showing its bytes as \\xNN, and CSV/JSONL stay valid', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'odd');
    await mkdir(folder);
    const jpeg = path.join(dir, 'src.jpg');
    await makeImage(jpeg, { width: 64, height: 48, seed: 900 });
    const data = await readFile(jpeg);
    // "caf\xe9.jpg" in Latin-1 and a Chinese name beside it.
    await writeFile(Buffer.concat([Buffer.from(`${folder}/`), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6a, 0x70, 0x67])]), data);
    await writeFile(path.join(folder, '档案,"=1".jpg'), Buffer.concat([data, Buffer.from([0])]));
    const cache = path.join(dir, 'c.db');
    const jsonl = await runMain([...base(cache), folder]);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const rows = parseJsonl(jsonl.stdout);
    assert.deepEqual(rows.map((r) => path.basename(String(r.SourceFile))), ['caf\\xe9.jpg', '档案,"=1".jpg']);
    assert.ok(rows.every((r) => r.status === 'ok'), JSON.stringify(rows.map((r) => [r.status, r.error])));
    const out = path.join(dir, 'out.csv');
    const csv = await runMain([...base(cache), '-o', out, folder]);
    assert.equal(csv.code, 0, csv.stderr);
    const parsed = parseCsv(await readFile(out, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    assert.deepEqual(parsed.map((r) => path.basename(String(r.SourceFile))), ['caf\\xe9.jpg', '档案,"=1".jpg']);
  });
});
