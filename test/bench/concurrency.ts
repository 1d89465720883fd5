// Keeping a server busy: the real CLI against a loopback server with K slots and a fixed
// service time L (requests past K wait in its queue, as vLLM's do), measured from the
// server's first request to its last answer, ramp-up included. The default settings
// (--concurrency auto) beside fixed -j 16 and -j K, in the same run; with and without
// /metrics; and against a free tier that answers 429 above N in flight.
//
// The client's own pace on this machine is measured first (an instant server, -j 64),
// and L is chosen so that K/L is CLIENT_SHARE of it: the figures are then about keeping
// the server busy, not about how fast 2 shared cores prepare images.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startSlotServer, type SlotServerOptions } from '../helpers/slot-server.js';
import { removeDb, runCatalogWith, type BenchContext } from './context.js';
import { ensureSmallImages } from './fixtures.js';
import { fmt, judge } from './report.js';

const IMAGES = 2_000;
const SLOTS = [8, 32, 128, 256] as const;
const CLIENT_SHARE = 0.1;
const SHARE_TARGET = 0.95;
const FREE_TIER = { slots: 64, limit: 8, seconds: 25 };

interface Measured {
  /** Server time used / time taken: (n × L / K) / (last answer − first request). */
  share: number;
  spanS: number;
  peakWaiting: number;
  /** --metrics-file's glm_vision_last_run_concurrency_peak, under auto. */
  peak?: number;
}

export async function concurrencyTargets(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const set = await ensureSmallImages(ctx.root, IMAGES, 20, 64, log);
  let runs = 0;
  const run = async (server: Omit<SlotServerOptions, 'serviceMs'> & { serviceMs: number }, n: number, args: string[]): Promise<Measured> => {
    const name = `concurrency-${runs++}`;
    const list = path.join(ctx.scratch, `${name}.txt`);
    const cache = path.join(ctx.scratch, `${name}.db`);
    const prom = path.join(ctx.scratch, `${name}.prom`);
    await writeFile(list, `${set.files.slice(0, n).join('\n')}\n`);
    const srv = await startSlotServer(server);
    try {
      await runCatalogWith(ctx, {
        args: ['--files-from', list, '--endpoint', srv.url, '--model', 'bench', '--flavor', 'vllm', '--metrics-file', prom, ...args],
        cache, name, timeoutMs: 900_000,
      });
      const s = srv.stats;
      if (s.answered !== n || s.firstAt === undefined || s.lastAt === undefined) throw new Error(`${name}: the server answered ${s.answered} of ${n}`);
      const spanS = (s.lastAt - s.firstAt) / 1000;
      const ideal = (n * server.serviceMs) / server.slots / 1000;
      const text = await readFile(prom, 'utf8');
      const peak = /^glm_vision_last_run_concurrency_peak\{[^}]*\} (\d+)$/m.exec(text)?.[1];
      return { share: ideal / spanS, spanS, peakWaiting: s.peakWaiting, ...(peak ? { peak: Number(peak) } : {}) };
    } finally {
      await srv.close();
      await removeDb(cache);
      await rm(list, { force: true });
      await rm(prom, { force: true });
    }
  };

  // The client's pace: an instant server with room for everything.
  const calib = await run({ slots: 10_000, serviceMs: 0, metrics: false }, 400, ['-j', '64']);
  const clientRate = 400 / calib.spanS;
  const serverRate = Math.max(10, Math.round(CLIENT_SHARE * clientRate));
  report.notes.push(
    `concurrency: the client alone prepared ${fmt(clientRate, 0)} images/s (400 ${64}×64 JPEGs, -j 64, instant server); ` +
      `each server below runs K/L = ${serverRate} answers/s (${CLIENT_SHARE * 100}% of that), so L = K / ${serverRate} s. Share = ` +
      '(n × L / K) / (last answer − first request), ramp-up included; "waiting" is the most requests ever in the server\'s queue.',
  );
  log(`concurrency: client ${fmt(clientRate, 0)} images/s → servers at ${serverRate} answers/s`);

  const row = (id: string, measure: string, m: Measured, target: string, verdict: ReturnType<typeof judge>): void => {
    const level = m.peak === undefined ? '' : `, level ≤ ${m.peak}`;
    report.measures.push({
      id, measure, value: m.share * 100, unit: '%', target, verdict,
      display: `${fmt(m.share * 100, 1)}% (${fmt(m.spanS, 1)} s, waiting ≤ ${m.peakWaiting}${level})`,
    });
  };
  for (const k of SLOTS) {
    const serviceMs = Math.round((k / serverRate) * 1000);
    const limit = k + Math.max(8, k / 4);
    const base = { slots: k, serviceMs };
    const auto = await run({ ...base, metrics: 'vllm' }, IMAGES, []);
    log(`  K=${k} L=${serviceMs} ms: auto ${fmt(auto.share * 100, 1)}%, waiting ≤ ${auto.peakWaiting}, level ≤ ${auto.peak ?? '?'}`);
    row(`concurrency.k${k}.auto`, `concurrency: K=${k}, default (auto, /metrics), ${IMAGES} images`, auto, `>= ${SHARE_TARGET * 100}%`, judge(auto.share, '>=', SHARE_TARGET));
    report.measures.push({
      id: `concurrency.k${k}.waiting`, measure: `concurrency: K=${k}, most waiting on the server (auto, /metrics)`, value: auto.peakWaiting, unit: '',
      display: String(auto.peakWaiting), target: `<= ${limit}`, verdict: judge(auto.peakWaiting, '<=', limit),
    });
    if (k === 32 || k === 256) {
      const blind = await run({ ...base, metrics: false }, IMAGES, []);
      log(`  K=${k}: auto without /metrics ${fmt(blind.share * 100, 1)}%`);
      row(`concurrency.k${k}.auto-blind`, `concurrency: K=${k}, default (auto) without /metrics, ${IMAGES} images`, blind, '-', '-');
    }
    const n16 = 96;
    const j16 = await run({ ...base, metrics: 'vllm' }, n16, ['-j', '16']);
    row(`concurrency.k${k}.j16`, `concurrency: K=${k}, -j 16, ${n16} images`, j16, '-', '-');
    const nk = Math.min(IMAGES, Math.max(400, 6 * k));
    const jk = await run({ ...base, metrics: 'vllm' }, nk, ['-j', String(k)]);
    row(`concurrency.k${k}.jk`, `concurrency: K=${k}, -j ${k}, ${nk} images`, jk, '-', '-');
    log(`  K=${k}: -j 16 ${fmt(j16.share * 100, 1)}%, -j ${k} ${fmt(jk.share * 100, 1)}%`);
  }

  // A free tier: 429 with Retry-After 1 above N in flight.
  const { slots, limit, seconds } = FREE_TIER;
  const serviceMs = Math.round((limit / serverRate) * 1000);
  const n = Math.min(IMAGES, serverRate * seconds);
  const srvOptions: SlotServerOptions = { slots, serviceMs, metrics: false, rejectAbove: limit, retryAfterS: 1 };
  const free = await runFreeTier(ctx, set.files.slice(0, n), srvOptions);
  const share = free.requestsLate > 0 ? free.rejectedLate / free.requestsLate : NaN;
  report.measures.push({
    id: 'concurrency.free-tier', measure: `concurrency: 429 above ${limit} in flight (Retry-After 1 s), requests refused after the first 10 s`,
    value: share * 100, unit: '%', display: `${fmt(share * 100, 2)}% (${free.rejectedLate} of ${free.requestsLate}; ${free.rejectedAll} in all)`,
    target: '<= 2%', verdict: judge(share, '<=', 0.02),
  });
  log(`  free tier: ${free.rejectedLate} of ${free.requestsLate} refused after 10 s (${free.rejectedAll} in all)`);
}

/** The CLI against a server that refuses above N in flight: refusals and requests after its first 10 s. */
async function runFreeTier(
  ctx: BenchContext, files: string[], o: SlotServerOptions,
): Promise<{ rejectedLate: number; requestsLate: number; rejectedAll: number }> {
  const list = path.join(ctx.scratch, 'concurrency-free.txt');
  const cache = path.join(ctx.scratch, 'concurrency-free.db');
  await writeFile(list, `${files.join('\n')}\n`);
  const srv = await startSlotServer(o);
  try {
    await runCatalogWith(ctx, {
      args: ['--files-from', list, '--endpoint', srv.url, '--model', 'bench', '--flavor', 'vllm', '--retries', '20'],
      cache, name: 'concurrency-free', timeoutMs: 900_000,
    });
    const first = srv.stats.firstAt ?? 0;
    const late = (times: number[]): number => times.filter((t) => t - first >= 10_000).length;
    return { rejectedLate: late(srv.stats.rejectedAt), requestsLate: late(srv.stats.arrivedAt), rejectedAll: srv.stats.rejectedAt.length };
  } finally {
    await srv.close();
    await removeDb(cache);
    await rm(list, { force: true });
  }
}
