// --concurrency auto end to end: the real CLI against loopback servers, with and without
// Prometheus /metrics. Synchronised on requests received, never on time.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultReply, gate, startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';

const workspace = scratchFolders();
const servers: FakeOpenAI[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function photos(dir: string, n: number): Promise<string> {
  const folder = path.join(dir, 'photos');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < n; i++) await makeImage(path.join(folder, `img-${String(i).padStart(3, '0')}.jpg`), { width: 64 + i, height: 48, seed: 500 + i });
  return folder;
}

/** A vLLM-like server whose answers wait for `open`; /metrics says how many it holds. */
async function heldServer(options: { metrics: boolean; open: Promise<void> }): Promise<{ server: FakeOpenAI; peak: () => number }> {
  let inFlight = 0;
  let peak = 0;
  const server = await startFakeOpenAI({
    ...(options.metrics ? {
      metrics: () => `# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="test-model"} ${inFlight}\n` +
        `# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{model_name="test-model"} 0\n`,
    } : {}),
    handler: async (req) => {
      peak = Math.max(peak, ++inFlight);
      await options.open;
      inFlight--;
      return defaultReply(req);
    },
  });
  servers.push(server);
  return { server, peak: () => peak };
}

const metricsReads = (s: FakeOpenAI): string[] => s.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/metrics')).map((r) => r.path);

describe('--concurrency auto (the default) against a server', () => {
  it('with /metrics on the server root, goes past its first 8 in flight before any answer', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 24);
    const g = gate();
    const { server, peak } = await heldServer({ metrics: true, open: g.opened });
    const metricsFile = path.join(dir, 'run.prom');
    const run = runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', path.join(dir, 'c.db'),
      '--metrics-file', metricsFile, folder]);
    // Only a level raised from the server's metrics sends a 9th while none has been answered.
    await server.requestsReached(9);
    g.open();
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJsonl(r.stdout).filter((row) => row.status === 'ok').length, 24);
    assert.equal(server.chatRequests().length, 24);
    assert.ok(peak() > 8, `the server held ${peak()}`);
    const reads = metricsReads(server);
    assert.ok(reads.length >= 2, 'probed, then polled');
    assert.deepEqual([...new Set(reads)], ['/metrics'], 'on the root, not under /v1');
    const line = /(\S+): up to (\d+) requests in flight.*, set from its \/metrics/.exec(r.stderr);
    assert.ok(line, r.stderr);
    assert.equal(line[1], server.url);
    assert.ok(Number(line[2]) > 8);
    const prom = await readFile(metricsFile, 'utf8');
    assert.match(prom, new RegExp(`^glm_vision_last_run_concurrency_peak\\{inputs="[^"]*",endpoint="${server.url}"\\} ${line[2]}$`, 'm'));
    assert.match(prom, /^glm_vision_last_run_concurrency\{[^}]*\} \d+$/m);
  });

  it('without /metrics, probes each endpoint once and goes on quietly from answers per second', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 12);
    const a = await heldServer({ metrics: false, open: Promise.resolve() });
    const b = await heldServer({ metrics: false, open: Promise.resolve() });
    const r = await runMain(['catalog', '--endpoint', a.server.url, '--endpoint', b.server.url, '--model', 'test-model', '--flavor', 'vllm',
      '--cache', path.join(dir, 'c.db'), folder]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(a.server.chatRequests().length + b.server.chatRequests().length, 12);
    assert.deepEqual(metricsReads(a.server), ['/metrics']);
    assert.deepEqual(metricsReads(b.server), ['/metrics']);
    assert.doesNotMatch(r.stderr, /warning|404/i);
    for (const s of [a.server, b.server]) {
      assert.match(r.stderr, new RegExp(`${s.url.replace(/[.]/g, '\\.')}: up to \\d+ requests? in flight.*answers per second \\(no /metrics\\)`));
    }
    // Run again: every file is cached, nothing is sent, so there is no level to speak of.
    const again = await runMain(['catalog', '--endpoint', a.server.url, '--endpoint', b.server.url, '--model', 'test-model', '--flavor', 'vllm',
      '--cache', path.join(dir, 'c.db'), folder]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(a.server.chatRequests().length + b.server.chatRequests().length, 12);
    assert.doesNotMatch(again.stderr, /in flight/);
    assert.match(again.stderr, /12 cached/);
  });

  it('--max-concurrency caps it; -j fixes it and reads no metrics', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 16);
    const capped = await heldServer({ metrics: true, open: Promise.resolve() });
    const r = await runMain(['catalog', '--endpoint', capped.server.url, '--model', 'test-model', '--flavor', 'vllm', '--max-concurrency', '3',
      '--cache', path.join(dir, 'c.db'), folder]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(capped.peak() <= 3, `${capped.peak()} in flight`);
    assert.match(r.stderr, /up to 3 requests in flight/);
    const fixed = await heldServer({ metrics: true, open: Promise.resolve() });
    const j = await runMain(['catalog', '--endpoint', fixed.server.url, '--model', 'test-model', '--flavor', 'vllm', '-j', '2',
      '--cache', path.join(dir, 'd.db'), folder]);
    assert.equal(j.code, 0, j.stderr);
    assert.ok(fixed.peak() <= 2);
    assert.deepEqual(metricsReads(fixed.server), []);
    assert.doesNotMatch(j.stderr, /in flight/);
  });
});
