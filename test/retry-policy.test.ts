// The HTTP retry policy shared by the openai backend and the Hub client, and the
// Hub client under it against a scripted loopback server. Waits are recorded by
// an injected sleep, never slept.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HubClient, HubUnreachable } from '../src/models/hub-client.js';
import { TemporaryFailure, UsageError } from '../src/support/errors.js';
import {
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  RETRY_AFTER_CAP_MS,
  retryDelay,
} from '../src/support/retry-policy.js';

describe('retry policy', () => {
  it('retries 408, 409, 429 and 5xx, nothing else', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 599]) assert.ok(isRetryableStatus(status), String(status));
    for (const status of [200, 301, 400, 401, 403, 404, 410, 413, 422]) assert.ok(!isRetryableStatus(status), String(status));
  });

  it('backs off with full jitter, doubling to a cap', () => {
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoffDelay(n, () => 1)), [500, 1000, 2000, 4000, 30_000]);
    assert.deepEqual([0, 1, 2].map((n) => backoffDelay(n, () => 0.5, { baseMs: 1000, capMs: 3000 })), [500, 1000, 1500]);
    assert.equal(backoffDelay(3, () => 0), 0);
    assert.equal(backoffDelay(0, () => 7), 500, 'a random() above 1 is clamped');
  });

  it('reads Retry-After in seconds, as an HTTP date, and retry-after-ms, capped', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const h = (init: Record<string, string>): Headers => new Headers(init);
    assert.equal(parseRetryAfter(h({ 'retry-after': '7' }), now), 7000);
    assert.equal(parseRetryAfter(h({ 'retry-after': '1.5' }), now), 1500);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:20 GMT' }), now), 20_000);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now), 0, 'a date gone by means now');
    assert.equal(parseRetryAfter(h({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250, 'retry-after-ms wins');
    assert.equal(parseRetryAfter(h({ 'retry-after': '86400' }), now), RETRY_AFTER_CAP_MS);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(h({}), now), undefined);
  });

  it("uses the server's wait when it gave one, else backoff", () => {
    assert.equal(retryDelay(3, () => 1, 7000), 7000);
    assert.equal(retryDelay(3, () => 1), 4000);
    assert.equal(retryDelay(0, () => 1, undefined, { baseMs: 1000, capMs: 30_000 }), 1000);
  });
});

type Scripted = { status: number; headers?: Record<string, string> };

describe('Hub client retries', () => {
  const REPO = 'tiny-org/tiny-vl';
  const INFO = { sha: 'a'.repeat(40), siblings: [{ rfilename: 'config.json', size: 2, blobId: 'b'.repeat(40) }] };
  /** Answers to come, one per request; when none is left, the file list. */
  let script: Scripted[] = [];
  let requests = 0;
  let url = '';
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const next = script.shift();
    if (next) {
      res.writeHead(next.status, { 'Content-Type': 'application/json', ...next.headers });
      return void res.end(JSON.stringify({ error: `HTTP ${next.status}` }));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(INFO));
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    script = [];
    requests = 0;
  });

  /** A client whose pauses are recorded, with jitter at its ceiling and a fixed clock. */
  function client(retries = 4): { hub: HubClient; sleeps: number[] } {
    const sleeps: number[] = [];
    const hub = new HubClient({
      endpoint: url,
      retries,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 1,
      now: () => Date.parse('2026-01-01T00:00:00Z'),
    });
    return { hub, sleeps };
  }

  it('a 429 with Retry-After: 7 waits 7 s, then succeeds', async () => {
    script = [{ status: 429, headers: { 'Retry-After': '7' } }];
    const { hub, sleeps } = client();
    const info = await hub.repoInfo(REPO, 'main');
    assert.equal(info.commit, INFO.sha);
    assert.deepEqual(sleeps, [7000]);
    assert.equal(requests, 2);
  });

  it('a 503 with Retry-After as an HTTP date waits until then', async () => {
    script = [{ status: 503, headers: { 'Retry-After': 'Thu, 01 Jan 2026 00:00:30 GMT' } }];
    const { hub, sleeps } = client();
    await hub.repoInfo(REPO, 'main');
    assert.deepEqual(sleeps, [30_000]);
  });

  it('a Retry-After longer than 120 s is capped', async () => {
    script = [{ status: 429, headers: { 'Retry-After': '3600' } }];
    const { hub, sleeps } = client();
    await hub.repoInfo(REPO, 'main');
    assert.deepEqual(sleeps, [RETRY_AFTER_CAP_MS]);
  });

  it('503s back off (1, 2, 4, 8 s ceilings), then the Hub is unreachable', async () => {
    script = Array.from({ length: 5 }, () => ({ status: 503 }));
    const { hub, sleeps } = client();
    const error = await hub.repoInfo(REPO, 'main').then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof HubUnreachable, String(error));
    assert.ok(error instanceof TemporaryFailure);
    assert.match(error.message, /answered HTTP 503/);
    assert.deepEqual(sleeps, [1000, 2000, 4000, 8000]);
    assert.equal(requests, 5);
  });

  it('500s that outlast the retries are a TemporaryFailure naming what failed', async () => {
    script = Array.from({ length: 3 }, () => ({ status: 500 }));
    const { hub, sleeps } = client(2);
    const error = await hub.repoInfo(REPO, 'main').then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof TemporaryFailure && !(error instanceof HubUnreachable), String(error));
    assert.match(error.message, new RegExp(`^the file list of ${REPO}@main: .* answered HTTP 500$`));
    assert.deepEqual(sleeps, [1000, 2000]);
  });

  it('a 404 is not retried', async () => {
    script = [{ status: 404, headers: { 'Retry-After': '7' } }];
    const { hub, sleeps } = client();
    const error = await hub.repoInfo(REPO, 'main').then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, /^No model tiny-org\/tiny-vl on /);
    assert.deepEqual(sleeps, []);
    assert.equal(requests, 1);
  });

  it('another 4xx is not retried either', async () => {
    script = [{ status: 400 }];
    const { hub, sleeps } = client();
    await assert.rejects(hub.repoInfo(REPO, 'main'), TemporaryFailure);
    assert.deepEqual(sleeps, []);
    assert.equal(requests, 1);
  });
});
