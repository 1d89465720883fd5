// The cached re-run: 20,000 small distinct images. A cold run fills the cache
// (and says how fast one process prepares small images); then fully cached
// re-runs are timed and their peak RSS measured.
import path from 'node:path';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { countWhere, firstError, removeDb, runCatalog, type BenchContext } from './context.js';
import { ensureSmallImages } from './fixtures.js';
import { fmt, judge, max, median } from './report.js';

export const SMALL_COUNT = 20_000;
export const SMALL_FOLDERS = 100;
export const SMALL_SIZE = 32;
export const CACHED_WALL_TARGET_S = 2;
export const CACHED_RSS_TARGET_MB = 300;

export async function cachedRerun(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const set = await ensureSmallImages(ctx.root, SMALL_COUNT, SMALL_FOLDERS, SMALL_SIZE, log);
  if (set.generated) log(`  generated in ${(set.generateMs / 1000).toFixed(1)} s`);
  const n = set.files.length;
  report.notes.push(
    `cached: N = ${n} distinct ${SMALL_SIZE}×${SMALL_SIZE} JPEGs in ${SMALL_FOLDERS} folders ` +
      `(${fmt(set.totalBytes / n, 0)} bytes each on average); one cold run fills a fresh cache, then ${ctx.runs} re-runs ` +
      `must return every row with cached: true and send zero inference requests.`,
  );

  const server = await startFakeOpenAI();
  const cache = path.join(ctx.scratch, 'cached.db');
  const walls: number[] = [];
  const rss: number[] = [];
  try {
    log(`cached re-run: cold fill of ${n} small images ...`);
    const before = server.chatRequests().length;
    const fill = await runCatalog(ctx, { input: set.dir, endpoint: server.url, cache, name: 'fill', timeoutMs: 900_000, rss: ctx.rss });
    const sent = server.chatRequests().length - before;
    const okFresh = countWhere(fill.rows, (r) => r.status === 'ok' && r.cached === false);
    if (fill.rows.length !== n || okFresh !== n) {
      throw new Error(`cold fill: ${okFresh}/${fill.rows.length} fresh ok rows, expected ${n}. ${firstError(fill.rows)}`);
    }
    if (sent !== n) throw new Error(`cold fill: the server got ${sent} inference requests, expected ${n}`);
    const fillRate = n / (fill.wallMs / 1000);
    log(`  cold fill: ${fmt(fill.wallMs / 1000)} s, ${fmt(fillRate)} img/s`);
    report.measures.push({
      id: 'small.cold', measure: `cold ${SMALL_SIZE}×${SMALL_SIZE}: glm-vision, ${n} files (1 run)`,
      value: fillRate, unit: 'img/s', target: '-', verdict: '-', runs: [fillRate],
    });
    if (fill.peakRssKb !== undefined) {
      report.measures.push({
        id: 'small.cold.rss', measure: `cold ${SMALL_SIZE}×${SMALL_SIZE}: peak RSS`,
        value: (fill.peakRssKb * 1024) / 1e6, unit: 'MB', display: `${fmt((fill.peakRssKb * 1024) / 1e6, 0)} MB`,
        target: '-', verdict: '-',
      });
    }

    for (let run = 0; run < ctx.runs; run++) {
      const b = server.chatRequests().length;
      const all = server.requests.length;
      const r = await runCatalog(ctx, { input: set.dir, endpoint: server.url, cache, name: `cached-${run}`, timeoutMs: 120_000, rss: ctx.rss });
      const requests = server.chatRequests().length - b;
      const cachedOk = countWhere(r.rows, (row) => row.status === 'ok' && row.cached === true);
      if (r.rows.length !== n || cachedOk !== n) {
        throw new Error(`cached run ${run + 1}: ${cachedOk}/${r.rows.length} rows ok and cached, expected ${n}. ${firstError(r.rows)}`);
      }
      if (requests !== 0) throw new Error(`cached run ${run + 1}: the server got ${requests} inference requests, expected 0`);
      const other = server.requests.length - all;
      walls.push(r.wallMs / 1000);
      if (r.peakRssKb !== undefined) rss.push((r.peakRssKb * 1024) / 1e6);
      log(`  cached run ${run + 1}: ${fmt(r.wallMs / 1000)} s, peak RSS ${r.peakRssKb === undefined ? 'n/a' : `${fmt((r.peakRssKb * 1024) / 1e6, 0)} MB`}, ${requests} inference requests (${other} in all)`);
    }
  } finally {
    await server.close();
    await removeDb(cache);
  }

  const wallTarget = `< ${CACHED_WALL_TARGET_S} s`;
  const rssTarget = `< ${CACHED_RSS_TARGET_MB} MB`;
  report.measures.push(
    {
      id: 'cached.wall.median', measure: `cached re-run ${n} files: wall (median of ${ctx.runs})`,
      value: median(walls), unit: 's', target: wallTarget, verdict: judge(median(walls), '<', CACHED_WALL_TARGET_S), runs: walls,
    },
    {
      id: 'cached.wall.worst', measure: `cached re-run ${n} files: wall (worst)`,
      value: max(walls), unit: 's', target: wallTarget, verdict: judge(max(walls), '<', CACHED_WALL_TARGET_S),
    },
  );
  if (rss.length) {
    report.measures.push(
      {
        id: 'cached.rss.median', measure: 'cached re-run: peak RSS (median)', value: median(rss), unit: 'MB',
        display: `${fmt(median(rss), 0)} MB`, target: rssTarget, verdict: judge(median(rss), '<', CACHED_RSS_TARGET_MB), runs: rss,
      },
      {
        id: 'cached.rss.worst', measure: 'cached re-run: peak RSS (worst)', value: max(rss), unit: 'MB',
        display: `${fmt(max(rss), 0)} MB`, target: rssTarget, verdict: judge(max(rss), '<', CACHED_RSS_TARGET_MB),
      },
    );
  } else {
    report.measures.push({ id: 'cached.rss.median', measure: 'cached re-run: peak RSS', unit: 'MB', display: 'not measured', target: rssTarget, verdict: 'skip' });
  }
}
