// --concurrency auto's controller against a simulated server with K slots and a fixed
// service time, on a fake clock: nothing here waits for real time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AutoLevels, nextReadMs } from '../src/backends/openai/auto-levels.js';
import type { Endpoint } from '../src/backends/openai/endpoint-pool.js';
import { LevelController } from '../src/backends/openai/level-controller.js';
import { MetricsPoller } from '../src/backends/openai/metrics-poller.js';
import { metricsUrl, parseServerLoad } from '../src/backends/openai/server-metrics.js';
import { FakeClock } from './helpers/fake-clock.js';

interface Sim {
  slots: number;
  serviceMs: number;
  requests: number;
  /** Read the server's queue every so often (metrics mode). */
  metricsEveryMs?: number;
  /** Refuse with 429 when this many are already in flight at the server. */
  rejectAbove?: number;
  retryAfterMs?: number;
  max?: number;
}

interface SimResult {
  answeredAt: number[];
  sentAt: number[];
  rejectedAt: number[];
  peakWaiting: number;
  /** The most waiting on the server once the first answer came back. */
  peakWaitingAfterRamp: number;
  peakInFlight: number;
  sentBeforeFirstAnswer: number;
  controller: LevelController;
}

/** One endpoint's controller feeding a K-slot FIFO server until every request is answered. */
function simulate(o: Sim): SimResult {
  const clock = new FakeClock();
  const c = new LevelController({ initial: 8, max: o.max ?? 512 });
  const r: SimResult = {
    answeredAt: [], sentAt: [], rejectedAt: [], peakWaiting: 0, peakWaitingAfterRamp: 0, peakInFlight: 0, sentBeforeFirstAnswer: 0, controller: c,
  };
  let remaining = o.requests;
  let inFlight = 0;
  let running = 0;
  const queue: (() => void)[] = [];
  const serve = (sent: { sentAt: number; inFlightAtSend: number }) => (): void => {
    running++;
    clock.setTimeout(() => {
      running--;
      queue.shift()?.();
      inFlight--;
      r.answeredAt.push(clock.now());
      c.completed(clock.now(), sent);
      pump();
    }, o.serviceMs);
  };
  const pump = (): void => {
    while (remaining > 0 && c.admits(clock.now(), inFlight)) {
      remaining--;
      inFlight++;
      c.sent(inFlight);
      r.sentAt.push(clock.now());
      r.peakInFlight = Math.max(r.peakInFlight, inFlight);
      if (r.answeredAt.length === 0) r.sentBeforeFirstAnswer++;
      const inFlightAtSend = inFlight;
      if (o.rejectAbove !== undefined && running + queue.length >= o.rejectAbove) {
        inFlight--;
        remaining++;
        r.rejectedAt.push(clock.now());
        c.rejected(clock.now(), o.retryAfterMs === undefined ? { inFlightAtSend } : { inFlightAtSend, retryAfterMs: o.retryAfterMs });
        if (c.pausedUntil > clock.now()) clock.setTimeout(pump, c.pausedUntil - clock.now());
        continue;
      }
      const start = serve({ sentAt: clock.now(), inFlightAtSend });
      if (running < o.slots) start();
      else {
        queue.push(start);
        r.peakWaiting = Math.max(r.peakWaiting, queue.length);
        if (r.answeredAt.length > 0) r.peakWaitingAfterRamp = Math.max(r.peakWaitingAfterRamp, queue.length);
      }
    }
  };
  if (o.metricsEveryMs !== undefined) {
    const every = o.metricsEveryMs;
    const poll = (): void => {
      if (remaining === 0 && inFlight === 0) return;
      c.observed(clock.now(), { running, waiting: queue.length }, inFlight);
      pump();
      clock.setTimeout(poll, nextReadMs(c, every));
    };
    poll();
  }
  pump();
  while (remaining > 0 || inFlight > 0) clock.advance(1000);
  return r;
}

/** Answers per second between two times. */
function rate(answeredAt: number[], from: number, to: number): number {
  return answeredAt.filter((t) => t > from && t <= to).length / ((to - from) / 1000);
}

const slack = (k: number): number => Math.max(8, k / 4);

describe('--concurrency auto: the controller', () => {
  it('ramps up from answers per second alone and holds near the knee', () => {
    for (const slots of [8, 32, 128]) {
      const serviceMs = 100;
      const r = simulate({ slots, serviceMs, requests: 200 * slots });
      const end = r.answeredAt.at(-1) ?? 0;
      const ideal = (slots * 1000) / serviceMs;
      assert.ok(rate(r.answeredAt, end / 2, end) >= 0.95 * ideal, `K=${slots}: ${rate(r.answeredAt, end / 2, end)} answers/s in the second half, ideal ${ideal}`);
      const level = r.controller.level;
      assert.ok(level >= slots && level <= 2.5 * slots, `K=${slots}: held at ${level}`);
      assert.equal(r.controller.source, 'throughput');
    }
  });

  it('with the server metrics, fills the batch before any answer and keeps a small queue', () => {
    for (const slots of [8, 32, 128, 256]) {
      const r = simulate({ slots, serviceMs: 1000, requests: 20 * slots, metricsEveryMs: 50 });
      const ideal = slots;
      const end = r.answeredAt.at(-1) ?? 0;
      assert.ok(r.sentBeforeFirstAnswer >= slots, `K=${slots}: only ${r.sentBeforeFirstAnswer} sent before the first answer`);
      assert.ok(r.peakWaiting <= slots + slack(slots), `K=${slots}: ${r.peakWaiting} waiting on the server`);
      assert.ok(r.peakWaitingAfterRamp <= slack(slots), `K=${slots}: ${r.peakWaitingAfterRamp} waiting after the ramp`);
      assert.ok((r.answeredAt.length / (end / 1000)) >= 0.9 * ideal, `K=${slots}: ${r.answeredAt.length / (end / 1000)} answers/s overall, ideal ${ideal}`);
      const level = r.controller.level;
      assert.ok(level >= slots && level <= slots + slack(slots), `K=${slots}: held at ${level}`);
      assert.equal(r.controller.source, 'metrics');
    }
  });

  it('with the server metrics, a short run uses at least 96% of the server, ramp-up included', () => {
    // The bench's shape: 2,000 requests; K/L = 46 answers/s; /metrics every 250 ms, sooner while climbing.
    for (const slots of [32, 128, 256]) {
      const serviceMs = (slots * 1000) / 46;
      const r = simulate({ slots, serviceMs, requests: 2000, metricsEveryMs: 250 });
      const share = (2000 * serviceMs) / slots / ((r.answeredAt.at(-1) ?? 0) - (r.sentAt[0] ?? 0));
      assert.ok(share >= 0.96, `K=${slots}: ${(share * 100).toFixed(1)}% of the server used`);
      assert.ok(r.peakWaiting <= slots + slack(slots), `K=${slots}: ${r.peakWaiting} waiting on the server`);
    }
  });

  it('backs off on 429, waits out Retry-After, and rarely knocks again', () => {
    for (const metricsEveryMs of [undefined, 50]) {
      const r = simulate({ slots: 64, serviceMs: 100, requests: 6000, rejectAbove: 6, retryAfterMs: 1000, ...(metricsEveryMs ? { metricsEveryMs } : {}) });
      for (const t of r.rejectedAt) {
        assert.ok(!r.sentAt.some((s) => s > t && s < t + 1000), `a request left within the Retry-After that began at ${t} ms`);
      }
      const late = r.rejectedAt.filter((t) => t >= 10_000).length;
      const lateSent = r.sentAt.filter((t) => t >= 10_000).length;
      assert.ok(lateSent > 1000 && late <= 0.02 * lateSent, `${late} of ${lateSent} requests refused after 10 s`);
      assert.ok(r.controller.level <= 7, `level ${r.controller.level} above the server's 6`);
    }
  });

  it('never goes above --max-concurrency', () => {
    for (const metricsEveryMs of [undefined, 50]) {
      const r = simulate({ slots: 256, serviceMs: 100, requests: 4000, max: 20, ...(metricsEveryMs ? { metricsEveryMs } : {}) });
      assert.equal(r.peakInFlight, 20);
      assert.equal(r.controller.peak, 20);
    }
  });

  it('a Retry-After stops new requests until it has passed', () => {
    const c = new LevelController({ initial: 8, max: 64 });
    assert.ok(c.admits(0, 0));
    c.rejected(100, { inFlightAtSend: 5, retryAfterMs: 2000 });
    assert.equal(c.level, 4);
    assert.ok(!c.admits(2099, 0));
    assert.ok(c.admits(2100, 0));
    assert.ok(!c.admits(2100, 4));
  });
});

describe('--concurrency auto: each endpoint its own level', () => {
  const endpoint = (label: string): Endpoint => ({
    url: label, label, inFlight: 0, failures: 0, cooldownUntil: 0, nextCooldownMs: 0, reached: false, problem: undefined,
    down: false, streak: new Set(), streakTimeoutsOnly: true,
  });

  it('refusals at one endpoint lower its level only; the total follows', () => {
    const clock = new FakeClock();
    const a = endpoint('a');
    const b = endpoint('b');
    const levels = new AutoLevels([a, b], {
      initial: 8, max: 64, now: clock.now, timers: clock, pollMs: 100, readMetrics: async () => undefined,
    });
    const totals: number[] = [];
    levels.onLevel((n) => totals.push(n));
    assert.equal(levels.level, 16);
    assert.equal(levels.max, 128);
    a.inFlight = 5;
    levels.settled(a, { ok: false, failure: { kind: 'rate_limit', endpoint: 'a', status: 429 } }, { sentAt: 0, inFlightAtSend: 5 });
    assert.deepEqual(levels.report().map((l) => [l.endpoint, l.level, l.ceiling]), [['a', 4, 4], ['b', 8, undefined]]);
    assert.deepEqual(totals, [12]);
    a.inFlight = 4;
    b.inFlight = 4;
    assert.ok(!levels.admits(a));
    assert.ok(levels.admits(b));
    levels.close();
  });

  it('a request waiting for room goes when a Retry-After pause ends', async () => {
    const clock = new FakeClock();
    const a = endpoint('a');
    const levels = new AutoLevels([a], { initial: 2, max: 8, now: clock.now, timers: clock, pollMs: 100, readMetrics: async () => undefined });
    levels.settled(a, { ok: false, failure: { kind: 'rate_limit', endpoint: 'a', status: 429 }, retryAfterMs: 500 }, { sentAt: 0, inFlightAtSend: 2 });
    assert.ok(!levels.admits(a));
    const woken = levels.waitForRoom(new AbortController().signal);
    clock.advance(499);
    assert.ok(!levels.admits(a));
    clock.advance(1);
    await woken;
    assert.ok(levels.admits(a));
    levels.close();
  });
});

describe('--concurrency auto: server metrics', () => {
  it('reads vLLM and SGLang gauges, summed over label sets', () => {
    const vllm = [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      'vllm:num_requests_running{engine="0",model_name="zai-org/GLM-4.6V-Flash"} 200.0',
      'vllm:num_requests_running{engine="1",model_name="zai-org/GLM-4.6V-Flash"} 56.0',
      'vllm:num_requests_waiting{engine="0",model_name="zai-org/GLM-4.6V-Flash"} 3.0',
      'vllm:num_requests_waiting_by_reason{reason="capacity"} 99.0',
    ].join('\n');
    assert.deepEqual(parseServerLoad(vllm), { running: 256, waiting: 3 });
    assert.deepEqual(parseServerLoad('sglang:num_running_reqs{model_name="m",tp_rank="0"} 12\nsglang:num_queue_reqs{model_name="m",tp_rank="0"} 0\n'), { running: 12, waiting: 0 });
    assert.equal(parseServerLoad('<html><body>Not Found</body></html>'), undefined);
    assert.equal(parseServerLoad('litellm_requests_total 5\n'), undefined);
    assert.equal(parseServerLoad('vllm:num_requests_running 3\n'), undefined, 'one gauge of two is not enough');
  });

  it('are on the server root, not under /v1', () => {
    assert.equal(metricsUrl('http://gpu1:8000/v1'), 'http://gpu1:8000/metrics');
    assert.equal(metricsUrl('http://gpu1:8000/v1/'), 'http://gpu1:8000/metrics');
    assert.equal(metricsUrl('https://proxy.example/vllm/v1'), 'https://proxy.example/vllm/metrics');
    assert.equal(metricsUrl('https://open.bigmodel.cn/api/paas/v4'), 'https://open.bigmodel.cn/api/paas/v4/metrics');
  });

  it('are probed once: a server without them is never asked again', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const poller = new MetricsPoller({
      read: async () => (reads++, undefined), pollMs: () => 100, timers: clock, onLoad: () => assert.fail('no load'), onLost: () => assert.fail('never had any'),
    });
    poller.start();
    poller.start();
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(10_000);
    assert.equal(reads, 1);
    assert.equal(poller.state, 'absent');
  });

  it('are read every pollMs, and given up after three failures in a row', async () => {
    const clock = new FakeClock();
    const answers = ['vllm:num_requests_running 1\nvllm:num_requests_waiting 0\n', 'vllm:num_requests_running 2\nvllm:num_requests_waiting 1\n', undefined, undefined, undefined];
    const loads: unknown[] = [];
    let lost = 0;
    const poller = new MetricsPoller({
      read: async () => answers.shift(), pollMs: () => 100, timers: clock, onLoad: (l) => loads.push(l), onLost: () => lost++,
    });
    poller.start();
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(100);
    }
    assert.deepEqual(loads, [{ running: 1, waiting: 0 }, { running: 2, waiting: 1 }]);
    assert.equal(lost, 1);
    assert.equal(poller.state, 'lost');
    assert.deepEqual(clock.pending(), []);
  });
});
