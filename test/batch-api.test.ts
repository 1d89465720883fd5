// batch submit, status and fetch against a loopback /files + /batches service whose batches move
// only when the test says so; and a submit killed after the service created its batch.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseJsonl, runMain, scratchFolders, startCli } from './helpers/cli.js';
import { requestLines, startFakeBatches, type FakeBatches } from './helpers/fake-batches.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';

const scratch = scratchFolders('glmv-batch-api-');
let online: FakeOpenAI;

before(async () => {
  online = await startFakeOpenAI();
});
after(async () => {
  await online.close();
});

async function images(n: number, seed: number): Promise<string> {
  const dir = await scratch();
  for (let i = 0; i < n; i++) await makeImage(path.join(dir, `i${i}.jpg`), { width: 40 + i, height: 30, seed: seed + i });
  return dir;
}

const job = ['-m', 'test-model', '--flavor', 'vllm', '--no-config', '-q'];

interface Listed { id: string | null; status: string; requests: number; importedAt: number | null }

async function status(cache: string): Promise<Listed[]> {
  const r = await runMain(['batch', 'status', '--json', '--cache', cache, '--api-key', 'sk-test', '--no-config']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Listed[]).map(({ id, status: s, requests, importedAt }) => ({ id, status: s, requests, importedAt }));
}

describe('batch submit, status and fetch', () => {
  let api: FakeBatches;
  before(async () => {
    api = await startFakeBatches();
  });
  after(async () => {
    await api.close();
  });

  it('follows a batch from validating to completed, never resubmits what is pending, and fetch makes catalog send nothing', async () => {
    const dir = await images(4, 300);
    const cache = path.join(await scratch(), 'c.db');
    const submit = await runMain(['batch', 'submit', dir, '--endpoint', api.url, '--api-key', 'sk-test', '--cache', cache, '--max-requests', '3', ...job]);
    assert.equal(submit.code, 0, submit.stderr);
    const ids = submit.stdout.trim().split('\n');
    assert.equal(ids.length, 2, 'two batches: 3 + 1 requests');
    const uploads = [...api.files.values()];
    assert.deepEqual(uploads.map((f) => f.purpose), ['batch', 'batch']);
    assert.deepEqual(uploads.map((f) => requestLines(f.text).length), [3, 1]);
    assert.ok(api.requests.every((r) => r.authorization === 'Bearer sk-test'));
    for (const b of api.batches.values()) assert.equal(b.endpoint, '/v1/chat/completions');

    assert.deepEqual((await status(cache)).map((b) => b.status), ['validating', 'validating']);
    const [first, second] = ids as [string, string];
    api.setStatus(first, 'in_progress');
    assert.deepEqual((await status(cache)).map((b) => b.status), ['in_progress', 'validating']);

    // Pending requests are not submitted again.
    const posts = (): number => api.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    const again = await runMain(['batch', 'submit', dir, '--endpoint', api.url, '--api-key', 'sk-test', '--cache', cache, ...job]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');
    assert.equal(posts(), before, 'no upload, no batch');

    // One batch done, one still running: fetch imports the first and says to come back (75).
    api.finish(first);
    const partial = await runMain(['batch', 'fetch', '--cache', cache, '--api-key', 'sk-test', '--no-config']);
    assert.equal(partial.code, 75, partial.stderr);
    assert.match(partial.stderr, /stored 3 answers/);
    assert.match(partial.stderr, /1 batch still running/);

    api.finish(second);
    const done = await runMain(['batch', 'fetch', '--cache', cache, '--api-key', 'sk-test', '--no-config']);
    assert.equal(done.code, 0, done.stderr);
    const listed = await status(cache);
    assert.deepEqual(listed.map((b) => b.status), ['completed', 'completed']);
    assert.ok(listed.every((b) => b.importedAt !== null));

    const catalog = await runMain(['catalog', dir, '--cache', cache, '--endpoint', online.url, ...job]);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.equal(online.chatRequests().length, 0, 'every answer came from the batches');
    assert.ok(parseJsonl(catalog.stdout).every((r) => r.cached === true && r.status === 'ok'));

    const table = await runMain(['batch', 'status', '--offline', '--cache', cache, '--no-config']);
    assert.match(table.stdout, /^BATCH\s+STATUS\s+REQUESTS/);
    assert.match(table.stdout, new RegExp(`${first}\\s+completed, imported\\s+3`));
  });

  it('imports what a failed, an expired and a partly failed batch finished, and submits the rest again', async () => {
    const dir = await images(6, 400);
    const cache = path.join(await scratch(), 'c.db');
    const submit = await runMain(['batch', 'submit', dir, '--endpoint', api.url, '--cache', cache, '--max-requests', '2', ...job]);
    assert.equal(submit.code, 0, submit.stderr);
    const [failed, expired, partly] = submit.stdout.trim().split('\n') as [string, string, string];
    api.finish(failed, { status: 'failed', only: 0 });
    api.finish(expired, { status: 'expired', only: 1 });
    api.finish(partly, { outcome: (_l, i) => (i === 0 ? { kind: 'error', code: 'server_error', message: 'out of memory' } : { kind: 'answer' }) });
    const fetched = await runMain(['batch', 'fetch', '--cache', cache, '--no-config']);
    assert.equal(fetched.code, 1, fetched.stderr);
    assert.match(fetched.stderr, new RegExp(`${failed} \\(failed\\): stored 0 answers`));
    assert.match(fetched.stderr, new RegExp(`${expired} \\(expired\\): stored 1 answer,`));
    assert.match(fetched.stderr, new RegExp(`${partly} \\(completed\\): stored 1 answer, 1 line failed`));
    assert.match(fetched.stderr, new RegExp(`${partly} errors:1: .*server_error: out of memory`));

    // 2 + 1 + 1 requests came to nothing: they are free to go again.
    const again = await runMain(['batch', 'submit', dir, '--endpoint', api.url, '--cache', cache, ...job]);
    assert.equal(again.code, 0, again.stderr);
    const [retry] = again.stdout.trim().split('\n') as [string];
    const input = api.files.get(api.batches.get(retry)?.input_file_id ?? '');
    assert.equal(requestLines(input?.text ?? '').length, 4);
  });

  it("speaks Zhipu's /api/paas/v4 paths, with /v4 lines", async () => {
    const zhipu = await startFakeBatches({ base: '/api/paas/v4' });
    try {
      const dir = await images(1, 500);
      const cache = path.join(await scratch(), 'c.db');
      const r = await runMain(['batch', 'submit', dir, '--endpoint', zhipu.url, '--cache', cache, '-m', 'glm-4.6v-flash', '--flavor', 'zhipu', '--no-config', '-q']);
      assert.equal(r.code, 0, r.stderr);
      const [batch] = [...zhipu.batches.values()];
      assert.equal(batch?.endpoint, '/v4/chat/completions');
      assert.equal(requestLines([...zhipu.files.values()][0]?.text ?? '')[0]?.url, '/v4/chat/completions');
    } finally {
      await zhipu.close();
    }
  });

  it('says what a service without /batches is (exit 2), and an unreachable one (exit 75)', async () => {
    const dir = await images(1, 600);
    const cache = path.join(await scratch(), 'c.db');
    const plain = await runMain(['batch', 'submit', dir, '--endpoint', online.url, '--cache', cache, ...job]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /POST .*\/files: HTTP 404.*vllm run-batch/);
    const closed = await startFakeBatches();
    await closed.close();
    const gone = await runMain(['batch', 'submit', dir, '--endpoint', closed.url, '--cache', cache, ...job]);
    assert.equal(gone.code, 75, gone.stderr);
  });
});

describe('a submit killed after the service created its batch', () => {
  it('leaves a batch that the next batch status finds', async () => {
    const api = await startFakeBatches({ holdCreates: true });
    try {
      const dir = await images(2, 700);
      const cache = path.join(await scratch(), 'c.db');
      const { child, done } = startCli(['batch', 'submit', dir, '--endpoint', api.url, '--cache', cache, ...job]);
      await api.createsReached(1);
      child.kill('SIGKILL');
      const ended = await done;
      assert.equal(ended.signal, 'SIGKILL');
      const [created] = [...api.batches.keys()];
      const listed = await status(cache);
      assert.deepEqual(listed, [{ id: created, status: 'validating', requests: 2, importedAt: null }]);
      // Pending: a second submit leaves its requests out.
      const again = await runMain(['batch', 'submit', dir, '--endpoint', api.url, '--cache', cache, ...job]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(api.batches.size, 1);
    } finally {
      await api.close();
    }
  });
});
