// Server faults and signals, end to end through the CLI.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
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
