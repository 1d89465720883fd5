// Server faults and signals, end to end through the CLI.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRng } from '../src/backends/onnx/sampler.js';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type Reply } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runCli, startCli, tempDir } from './helpers/cli.js';

let server: FakeOpenAI;
let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  server = await startFakeOpenAI();
  ({ dir, cleanup } = await tempDir());
});
after(async () => {
  await server.close();
  await cleanup();
});

async function folderOf(name: string, n: number, seed: number): Promise<string> {
  const folder = path.join(dir, name);
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < n; i++) await makeImage(path.join(folder, `f${i}.jpg`), { width: 48, height: 48, seed: seed + i });
  return folder;
}

/** Each image's first request gets `fault`; its retry gets a normal answer. */
function firstAttemptFails(fault: Reply): (req: { imageSha256?: string }) => Reply {
  const seen = new Set<string>();
  return (req) => {
    const key = req.imageSha256 ?? '';
    if (seen.has(key)) return defaultReply(req as never);
    seen.add(key);
    return fault;
  };
}

describe('server faults', () => {
  const faults: [string, Reply][] = [
    ['429 with Retry-After', { type: 'status', status: 429, headers: { 'retry-after': '1' } }],
    ['500', { type: 'status', status: 500 }],
    ['503', { type: 'status', status: 503 }],
    ['a connection reset mid-body', { type: 'reset' }],
    ['invalid JSON', { type: 'invalid-json' }],
    ['a truncated body', { type: 'truncated-body' }],
    ['a slow reply past --timeout', { type: 'delay', ms: 3000 }],
  ];
  for (const [name, fault] of faults) {
    it(`retries ${name} and ends ok`, async () => {
      const folder = await folderOf(name.replace(/\W+/g, '-'), 3, name.length * 10);
      server.setHandler(firstAttemptFails(fault));
      try {
        const start = server.chatRequests().length;
        const res = await runCli(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--timeout', '1',
          '--cache', path.join(folder, 'c.db'), '-q', folder]);
        assert.equal(res.code, 0, res.stderr);
        const rows = parseJsonl(res.stdout);
        assert.equal(rows.length, 3);
        assert.ok(rows.every((r) => r.status === 'ok'), JSON.stringify(rows.map((r) => r.error)));
        assert.equal(server.chatRequests().length - start, 6, 'one failed and one good attempt per file');
      } finally {
        server.setHandler(defaultReply);
      }
    });
  }

  it('a 400 fails only that file, with the reason, and exits 1', async () => {
    const folder = await folderOf('bad-request', 3, 900);
    let n = 0;
    server.setHandler((req) => (n++ === 0 ? { type: 'status', status: 400, body: { error: { message: 'image too big for context' } } } : defaultReply(req)));
    try {
      const res = await runCli(['catalog', '--endpoint', server.url, '--model', 'm', '-j', '1', '--cache', path.join(folder, 'c.db'), '-q', folder]);
      assert.equal(res.code, 1);
      const rows = parseJsonl(res.stdout);
      assert.equal(rows.filter((r) => r.status === 'error').length, 1);
      assert.match(rows.find((r) => r.status === 'error')?.error as string, /400.*image too big for context/);
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('retries run out: an error row naming the status', async () => {
    const folder = await folderOf('always-500', 1, 950);
    server.setHandler(() => ({ type: 'status', status: 500, body: { error: { message: 'boom' } } }));
    try {
      const res = await runCli(['catalog', '--endpoint', server.url, '--model', 'm', '--retries', '1', '--cache', path.join(folder, 'c.db'), '-q', folder]);
      assert.equal(res.code, 1);
      assert.match(parseJsonl(res.stdout)[0]?.error as string, /HTTP 500.*2 attempts.*boom/);
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('a dead endpoint beside a live one: every file ok', async () => {
    const folder = await folderOf('dead-endpoint', 6, 1000);
    const res = await runCli(['catalog', '--endpoint', 'http://127.0.0.1:9/v1', '--endpoint', server.url, '--model', 'm',
      '--flavor', 'vllm', '--cache', path.join(folder, 'c.db'), folder]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(parseJsonl(res.stdout).every((r) => r.status === 'ok'));
  });
});

describe('signals', () => {
  it('SIGINT: stops taking work, saves finished answers, writes their rows and exits 130', async () => {
    const folder = await folderOf('sigint', 20, 2000);
    const cache = path.join(folder, 'c.db');
    const out = path.join(dir, 'sigint.jsonl');
    server.setHandler(() => ({ type: 'delay', ms: 150 }));
    try {
      const start = server.chatRequests().length;
      const run = startCli(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '-j', '2', '--cache', cache, '-o', out, folder]);
      while (server.chatRequests().length - start < 4) await new Promise((r) => setTimeout(r, 20));
      run.child.kill('SIGINT');
      const res = await run.done;
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, /SIGINT/);
      const rows = parseJsonl(await readFile(out, 'utf8'));
      assert.ok(rows.length >= 2 && rows.length < 20, `${rows.length} rows`);
      assert.ok(rows.every((r) => r.status === 'ok'));
      const db = new Database(cache, { readonly: true });
      const saved = (db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n;
      const run0 = db.prepare('SELECT exit_code FROM runs').get() as { exit_code: number };
      db.close();
      assert.equal(saved, server.chatRequests().length - start, 'every answer received was saved');
      assert.equal(run0.exit_code, 130);
    } finally {
      server.setHandler(defaultReply);
    }
  });
});

describe('output faults', () => {
  it('an -o folder that does not exist exits 74 before any request', async () => {
    const folder = await folderOf('out-fault', 1, 3000);
    const start = server.chatRequests().length;
    const res = await runCli(['catalog', '--endpoint', server.url, '--model', 'm', '--cache', path.join(folder, 'c.db'), '-o', path.join(dir, 'missing', 'x.csv'), folder]);
    assert.equal(res.code, 74, res.stderr);
    assert.match(res.stderr, /Cannot write .*missing\/x\.csv: the folder does not exist/);
    assert.equal(server.chatRequests().length - start, 0);
  });
});

describe('kill and resume', () => {
  it('SIGKILLed at 20 random points over 200 files: every committed answer is asked once, one row per file, the database intact, -o never damaged', async () => {
    const folder = path.join(dir, 'kill200');
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < 200; i++) await makeImage(path.join(folder, `k${String(i).padStart(3, '0')}.png`), { width: 16, height: 16, seed: 5000 + i, format: 'png' });
    const cache = path.join(dir, 'kill.db');
    const out = path.join(dir, 'kill.jsonl');
    const previous = '{"SourceFile":"an existing catalog"}\n';
    await writeFile(out, previous);
    // Slow enough that a kill lands mid-run: 8 requests in flight, 30-60 ms each.
    const own = await startFakeOpenAI({ handler: (req) => ({ type: 'delay', ms: 30 + (req.imageSha256?.charCodeAt(0) ?? 0) % 30, then: defaultReply(req) }) });
    const rng = createRng(7);
    const args = ['catalog', '--endpoint', own.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '-j', '8', '-q', '-o', out, folder];
    try {
      const asked = new Map<string, number>();
      const committedBefore = (): Set<string> => {
        if (!existsSync(cache)) return new Set();
        const db = new Database(cache, { readonly: true });
        try {
          return new Set((db.prepare('SELECT sha256 FROM results').all() as { sha256: string }[]).map((r) => r.sha256));
        } finally {
          db.close();
        }
      };
      let kills = 0;
      for (let i = 0; i < 40 && kills < 20; i++) {
        const done = committedBefore();
        const from = own.chatRequests().length;
        const run = startCli(args);
        await new Promise((r) => setTimeout(r, 250 + Math.floor(rng() * 900)));
        const killed = run.child.kill('SIGKILL');
        const res = await run.done;
        if (killed && res.signal === 'SIGKILL') kills++;
        for (const r of own.chatRequests().slice(from)) {
          const sha = r.imageSha256 ?? '';
          assert.ok(!done.has(sha), `an answer committed before run ${i + 1} was asked for again`);
          asked.set(sha, (asked.get(sha) ?? 0) + 1);
        }
        // A killed run never leaves a partial catalog where the old one was.
        const text = await readFile(out, 'utf8');
        assert.ok(text === previous || text.split('\n').filter(Boolean).length === 200, 'the -o file is the old catalog or a complete new one');
      }
      assert.ok(kills >= 20, `only ${kills} runs were killed mid-way`);
      const final = await runCli(args);
      assert.equal(final.code, 0, final.stderr);
      const rows = parseJsonl(await readFile(out, 'utf8'));
      assert.equal(rows.length, 200);
      assert.equal(new Set(rows.map((r) => r.SourceFile)).size, 200);
      assert.ok(rows.every((r) => r.status === 'ok'));
      const db = new Database(cache, { readonly: true });
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();
    } finally {
      await own.close();
    }
  });
});

