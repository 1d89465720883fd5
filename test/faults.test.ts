// Server faults and signals, end to end through the CLI.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRng } from '../src/backends/onnx/sampler.js';
import { lockPath } from '../src/cache/run-lock.js';
import { pathToFileURL } from 'node:url';
import { defaultReply, gate, startFakeOpenAI, type FakeOpenAI, type Reply } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, ROOT, runCli, runMain, startCli, tempDir, waitForOutput } from './helpers/cli.js';

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

/** A fault that depends on when the image is asked again: `retried` resolves on its second request. */
type Fault = Reply | ((retried: Promise<void>) => Reply);

/** Each image's first request gets `fault`; its retry gets a normal answer. */
function firstAttemptFails(fault: Fault): (req: { imageSha256?: string }) => Reply {
  const retries = new Map<string, () => void>();
  return (req) => {
    const key = req.imageSha256 ?? '';
    const retried = retries.get(key);
    if (retried !== undefined) {
      retried();
      return defaultReply(req as never);
    }
    const g = gate();
    retries.set(key, g.open);
    return typeof fault === 'function' ? fault(g.opened) : fault;
  };
}

// Server faults need no process of their own: main() runs in this one (runMain).
describe('server faults', () => {
  const faults: [string, Fault][] = [
    ['429 with Retry-After', { type: 'status', status: 429, headers: { 'retry-after': '1' } }],
    ['500', { type: 'status', status: 500 }],
    ['503', { type: 'status', status: 503 }],
    ['a connection reset mid-body', { type: 'reset' }],
    ['invalid JSON', { type: 'invalid-json' }],
    ['a truncated body', { type: 'truncated-body' }],
    // The late answer comes only after the client gave up and asked again: past --timeout however slow the machine.
    ['a slow reply past --timeout', (retried) => ({ type: 'hold', until: retried })],
  ];
  for (const [name, fault] of faults) {
    it(`retries ${name} and ends ok`, async () => {
      const folder = await folderOf(name.replace(/\W+/g, '-'), 3, name.length * 10);
      server.setHandler(firstAttemptFails(fault));
      try {
        const start = server.chatRequests().length;
        const res = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--timeout', '1',
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
      const res = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '-j', '1', '--cache', path.join(folder, 'c.db'), '-q', folder]);
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
      const res = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '--retries', '1', '--cache', path.join(folder, 'c.db'), '-q', folder]);
      assert.equal(res.code, 1);
      assert.match(parseJsonl(res.stdout)[0]?.error as string, /HTTP 500.*2 attempts.*boom/);
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('a dead endpoint beside a live one: every file ok', async () => {
    const folder = await folderOf('dead-endpoint', 6, 1000);
    const res = await runMain(['catalog', '--endpoint', 'http://127.0.0.1:9/v1', '--endpoint', server.url, '--model', 'm',
      '--flavor', 'vllm', '--cache', path.join(folder, 'c.db'), folder]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(parseJsonl(res.stdout).every((r) => r.status === 'ok'));
  });
});

describe('server faults mixed at random', () => {
  it('40 files, faults on about half the attempts, one endpoint down: each file ends ok, truncated or an error row with a reason, in bounded attempts', { timeout: 120_000 }, async () => {
    const folder = await folderOf('mixed', 40, 5000);
    const rng = createRng(20261124);
    type Kind = 'good' | 'reasoning' | 'length' | 'empty' | 'fault';
    const final: Record<Kind, boolean> = { good: true, reasoning: true, length: true, empty: false, fault: false };
    const faults: Reply[] = [
      { type: 'status', status: 429, headers: { 'retry-after': '1' } },
      { type: 'status', status: 503 },
      { type: 'status', status: 500 },
      { type: 'invalid-json' },
      { type: 'truncated-body' },
    ];
    // Resets and timeouts count towards setting the live endpoint aside too; spacing
    // them keeps the run from (rightly) stopping because every endpoint looks down.
    // A timeout: the reply is held until the run has ended, past any --timeout.
    const runEnded = gate();
    const connectionFaults: Reply[] = [{ type: 'reset' }, { type: 'hold', until: runEnded.opened }];
    let sinceConnectionFault = 99;
    const history = new Map<string, Kind[]>();
    server.setHandler((req) => {
      const key = req.imageSha256 ?? '';
      const kinds = history.get(key) ?? [];
      history.set(key, kinds);
      const short = key.slice(0, 12);
      sinceConnectionFault++;
      const roll = rng();
      let kind: Kind;
      let reply: Reply;
      if (roll < 0.5) {
        [kind, reply] = ['good', defaultReply(req as never)];
      } else if (roll < 0.56) {
        [kind, reply] = ['reasoning', { type: 'answer', content: '', reasoning: `Reasoned ${short}.`, reasoningField: 'reasoning_content' }];
      } else if (roll < 0.62) {
        [kind, reply] = ['length', { type: 'answer', content: `Cut ${short}`, finishReason: 'length' }];
      } else if (roll < 0.68) {
        [kind, reply] = ['empty', { type: 'answer', content: '' }];
      } else if (roll < 0.76 && sinceConnectionFault > 6) {
        sinceConnectionFault = 0;
        [kind, reply] = ['fault', connectionFaults[Math.floor(rng() * connectionFaults.length)] as Reply];
      } else {
        [kind, reply] = ['fault', faults[Math.floor(rng() * faults.length)] as Reply];
      }
      kinds.push(kind);
      return reply;
    });
    try {
      const res = await runMain(['catalog', '--endpoint', 'http://127.0.0.1:9/v1', '--endpoint', server.url, '--model', 'm',
        '--flavor', 'vllm', '--timeout', '1', '--retries', '3', '-j', '8', '--cache', path.join(folder, 'c.db'), folder]);
      const rows = parseJsonl(res.stdout);
      assert.equal(rows.length, 40, res.stderr);
      assert.deepEqual(new Set(rows.map((r) => r.SourceFile)).size, 40, 'one row per file');
      const errors = rows.filter((r) => r.status === 'error');
      // Exit 1 for error rows and for answers cut off at --max-tokens (which of them the dice give depends on arrival order).
      const truncated = rows.filter((r) => r.status === 'truncated');
      assert.equal(res.code, errors.length > 0 || truncated.length > 0 ? 1 : 0, res.stderr);
      assert.ok(errors.every((r) => typeof r.error === 'string' && r.error.length > 0), 'every error row has a reason');
      assert.match(res.stderr, /endpoint http:\/\/127\.0\.0\.1:9\/v1 set aside/);

      // What the server last said to each image decides its row.
      const expectOk: string[] = [];
      const expectCut: string[] = [];
      let expectErrors = 40 - history.size;
      for (const [key, kinds] of history) {
        assert.ok(kinds.length <= 2 * (3 + 1), `${kinds.length} attempts for one image: ${kinds.join(',')}`);
        const last = kinds.at(-1) as Kind;
        if (last === 'good') expectOk.push(`Description of image ${key.slice(0, 12)}.`);
        else if (last === 'reasoning') expectOk.push(`Reasoned ${key.slice(0, 12)}.`);
        else if (last === 'length') expectCut.push(`Cut ${key.slice(0, 12)}`);
        else expectErrors++;
        // Only a final answer ends an image's requests early.
        kinds.slice(0, -1).forEach((k) => assert.ok(!final[k], `${k} was followed by another request`));
      }
      assert.deepEqual(rows.filter((r) => r.status === 'ok').map((r) => r.output).sort(), expectOk.sort());
      assert.deepEqual(rows.filter((r) => r.status === 'truncated').map((r) => r.output).sort(), expectCut.sort());
      assert.equal(errors.length, expectErrors);
      const kindsSeen = new Set([...history.values()].flat());
      assert.ok(kindsSeen.size === 5, `every kind of reply was used: ${[...kindsSeen].join(',')}`);
    } finally {
      runEnded.open();
      server.setHandler(defaultReply);
    }
  });
});

describe('signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) it(`${signal}: stops taking work, saves finished answers, writes their rows to stdout and exits 130`, async () => {
    const folder = await folderOf(signal, 20, signal === 'SIGINT' ? 2000 : 2100);
    const cache = path.join(folder, 'c.db');
    // Four answers, then requests are held until the signal has been taken: the run is provably mid-way.
    const signalled = gate();
    const start = server.chatRequests().length;
    server.setHandler((req, index) => (index - start < 4 ? defaultReply(req) : { type: 'hold', until: signalled.opened }));
    try {
      const run = startCli(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '-j', '2', '--cache', cache, folder]);
      // -j 2: the four answered and two held, no more until the held ones are answered.
      await server.requestsReached(start + 6);
      run.child.kill(signal);
      await waitForOutput(run.child, new RegExp(`${signal}: finishing requests in flight`));
      signalled.open();
      const res = await run.done;
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, new RegExp(`${signal}: finishing requests in flight`));
      const rows = parseJsonl(res.stdout);
      assert.ok(rows.length >= 2 && rows.length < 20, `${rows.length} rows`);
      assert.ok(rows.every((r) => r.status === 'ok'));
      const db = new Database(cache, { readonly: true });
      const saved = (db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n;
      const run0 = db.prepare('SELECT exit_code FROM runs').get() as { exit_code: number };
      db.close();
      assert.equal(saved, server.chatRequests().length - start, 'every answer received was saved');
      assert.equal(run0.exit_code, 130);
    } finally {
      signalled.open();
      server.setHandler(defaultReply);
    }
  });

  // The test's timeout only keeps a broken second SIGINT from hanging the suite; the child's grace never ends (endless-grace.mjs).
  it('a second SIGINT stops at once, without waiting for requests in flight; finished answers are kept and the cache is intact', { timeout: 120_000 }, async () => {
    const folder = await folderOf('sigint-twice', 12, 2200);
    const cache = path.join(folder, 'c.db');
    const out = path.join(dir, 'sigint-twice.jsonl');
    let answered = 0;
    server.setHandler((req) => (answered++ < 3 ? defaultReply(req) : { type: 'hang' }));
    try {
      const start = server.chatRequests().length;
      // In this child the 30 s grace never runs out, so only the second SIGINT can end the run.
      const endlessGrace = pathToFileURL(path.join(ROOT, 'test', 'helpers', 'endless-grace.mjs')).href;
      const run = startCli(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '-j', '2', '--cache', cache, '-o', out, folder],
        { env: { NODE_OPTIONS: `--import=${endlessGrace}` } });
      // Three answered, two hanging.
      await server.requestsReached(start + 5);
      run.child.kill('SIGINT');
      // The first SIGINT waits (up to the grace) for the two hanging requests.
      await waitForOutput(run.child, /SIGINT: finishing requests in flight/);
      assert.equal(run.child.exitCode, null, 'still waiting for requests in flight');
      run.child.kill('SIGINT');
      const res = await run.done;
      // The requests still hang and the grace cannot end: the exit is the second SIGINT's doing.
      assert.equal(res.signal, null, 'the second SIGINT did not wait for the 30 s grace');
      assert.equal(res.code, 130, res.stderr);
      assert.ok(!existsSync(out), 'an interrupted run created its -o file');
      const db = new Database(cache, { readonly: true });
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
      assert.equal((db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n, 3);
      db.close();
    } finally {
      server.setHandler(defaultReply);
    }
  });
});

describe('output faults', () => {
  it('an -o folder that does not exist exits 74 before any request', async () => {
    const folder = await folderOf('out-fault', 1, 3000);
    const start = server.chatRequests().length;
    const res = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '--cache', path.join(folder, 'c.db'), '-o', path.join(dir, 'missing', 'x.csv'), folder]);
    assert.equal(res.code, 74, res.stderr);
    assert.match(res.stderr, /Cannot write .*missing\/x\.csv: the folder .*missing does not exist/);
    assert.equal(server.chatRequests().length - start, 0);
  });
});

describe('output faults: commands that print to stdout', () => {
  it('a reader that went away (`glm-vision config | head -1`) is no crash; a full disk exits 74', async () => {
    for (const args of [['config'], ['prompts', 'list'], ['doctor', '--no-config', '--cache', path.join(dir, 'doctor.db')]]) {
      const { child, done } = startCli(args);
      child.stdout?.destroy(); // the read end closes before the child writes a byte
      const res = await done;
      assert.doesNotMatch(res.stderr, /EPIPE|Unhandled|internal error/, `${args.join(' ')}: ${res.stderr}`);
      assert.ok(res.code === 0 || (args[0] === 'doctor' && res.code === 1), `${args.join(' ')} exited ${String(res.code)}`);
    }
    const full = openSync('/dev/full', 'w');
    try {
      const res = await runCli(['config'], { stdoutFd: full });
      assert.equal(res.code, 74, res.stderr);
      assert.match(res.stderr, /Cannot write to stdout: disk full \(ENOSPC\)/);
    } finally {
      closeSync(full);
    }
  });
});

describe('output faults: the disk fills up', () => {
  function savedAnswers(cache: string): number {
    const db = new Database(cache, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('stdout on a full disk (/dev/full) exits 74 naming it, and the cache keeps every answer', async () => {
    const folder = await folderOf('stdout-full', 4, 3100);
    const cache = path.join(folder, 'c.db');
    const full = openSync('/dev/full', 'w');
    try {
      const start = server.chatRequests().length;
      const res = await runCli(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, folder], { stdoutFd: full });
      assert.equal(res.code, 74, res.stderr);
      assert.match(res.stderr, /Cannot write to stdout: disk full \(ENOSPC\)/);
      assert.equal(savedAnswers(cache), 4);
      const again = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, folder]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(server.chatRequests().length - start, 4, 'the re-run is answered from the cache');
      assert.ok(parseJsonl(again.stdout).every((r) => r.cached === true));
    } finally {
      closeSync(full);
    }
  });

  it('a run that exits 74 records 74 in the cache\'s runs table', async () => {
    const folder = await folderOf('runs-74', 2, 3150);
    const cache = path.join(folder, 'c.db');
    const full = openSync('/dev/full', 'w');
    try {
      const res = await runCli(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, folder], { stdoutFd: full });
      assert.equal(res.code, 74, res.stderr);
    } finally {
      closeSync(full);
    }
    const db = new Database(cache, { readonly: true });
    try {
      const last = db.prepare('SELECT exit_code FROM runs ORDER BY id DESC LIMIT 1').get() as { exit_code: number | null } | undefined;
      assert.equal(last?.exit_code, 74);
    } finally {
      db.close();
    }
  });

  it('-o on a full file system exits 74, leaves the old catalog whole and no temporary file, and keeps every answer', async (t) => {
    const mnt = path.join(dir, 'small-fs');
    await mkdir(mnt);
    // A real full file system needs a mount; /dev/full above covers the same code path without one.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    if (mounted.status !== 0) {
      t.skip(`cannot mount a tmpfs here (${mounted.stderr.toString().trim() || 'not root'})`);
      return;
    }
    try {
      const folder = await folderOf('o-full', 6, 3200);
      const cache = path.join(folder, 'c.db');
      const out = path.join(mnt, 'catalog.jsonl');
      await writeFile(out, 'the old catalog\n');
      spawnSync('sh', ['-c', `head -c 1000000 /dev/zero > '${path.join(mnt, 'filler')}'`]);
      const res = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '-o', out, folder]);
      assert.equal(res.code, 74, res.stderr);
      assert.match(res.stderr, /Cannot write .*catalog\.jsonl: disk full \(ENOSPC\)/);
      assert.equal(await readFile(out, 'utf8'), 'the old catalog\n');
      assert.deepEqual((await readdir(mnt)).sort(), ['catalog.jsonl', 'filler']);
      assert.equal(savedAnswers(cache), 6);

      assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
      const start = server.chatRequests().length;
      const ro = await runMain(['catalog', '--endpoint', server.url, '--model', 'm', '--refresh', '--cache', cache, '-o', out, folder]);
      assert.equal(ro.code, 74, ro.stderr);
      assert.match(ro.stderr, /Cannot write .*catalog\.jsonl: read-only file system \(EROFS\)/);
      assert.equal(server.chatRequests().length - start, 0, 'nothing is asked when the catalog cannot be written');
    } finally {
      spawnSync('umount', [mnt]);
    }
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
    const own = await startFakeOpenAI();
    const rng = createRng(7);
    const args = ['catalog', '--endpoint', own.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '-j', '8', '-q', '-o', out, folder];
    try {
      const asked = new Map<string, number>();
      const committedBefore = (): Set<string> => {
        if (!existsSync(cache)) return new Set();
        const db = new Database(cache, { readonly: true });
        try {
          // A run killed in its first milliseconds leaves a database without tables.
          if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'results'").get()) return new Set();
          return new Set((db.prepare('SELECT sha256 FROM results').all() as { sha256: string }[]).map((r) => r.sha256));
        } finally {
          db.close();
        }
      };
      let kills = 0;
      for (let i = 0; i < 40 && kills < 20; i++) {
        const done = committedBefore();
        const from = own.chatRequests().length;
        // This run gets `answers` answers (0-7), then its requests are held: killed once the
        // server holds one, the run is provably mid-way, whatever the machine's speed.
        // -1: killed as soon as it has started, before any request.
        const answers = Math.floor(rng() * 9) - 1;
        const dead = gate();
        own.setHandler((req, index) => (index - from < answers ? defaultReply(req) : { type: 'hold', until: dead.opened }));
        const run = startCli(args);
        if (answers < 0) await new Promise((resolve) => run.child.once('spawn', resolve));
        else await Promise.race([own.requestsReached(from + answers + 1), run.done]);
        const killed = run.child.kill('SIGKILL');
        const res = await run.done;
        dead.open();
        // The dead run's lock would hold the next run for STALE_MS (30 s) until it goes stale; it is dead, so clear it now.
        await rm(lockPath(cache), { recursive: true, force: true });
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
      own.setHandler(defaultReply);
      const final = await runMain(args);
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

