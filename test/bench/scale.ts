// Scale: 100,000 tiny distinct images in a two-level tree of 100 folders of
// 1,000. A cold run over the first 20,000 and one over all 100,000 say whether
// memory grows with the number of files (it should not: rows stream out); then
// fully cached re-runs of the 100,000 are timed beside `find` listing the same
// tree with size, mtime and inode, the floor for "look at every file once".
import path from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { removeDb, runCatalogTally, type BenchContext, type CatalogTally } from './context.js';
import { ensureImageTree } from './fixtures.js';
import { check, runTimed } from './proc.js';
import { fmt, judge, max, median, type Measure } from './report.js';

export const SCALE_COUNT = 100_000;
export const SCALE_PER_FOLDER = 1_000;
/** Leaf folders per top-level group: one group (20 folders, 20,000 files) is the small run. */
export const SCALE_FOLDERS_PER_GROUP = 20;
export const SCALE_SIZE = 16;
/** Distinct encoded images; every file is one of them with its own APP15 segment. */
export const SCALE_BASES = 500;
export const SCALE_RSS_TARGET_MB = 300;
export const SCALE_RSS_GROWTH_TARGET = 1.2;
export const SCALE_CACHED_FIND_TARGET = 5;
const MIN_CACHED_RUNS = 3;

const mb = (kb: number | undefined): number | undefined => (kb === undefined ? undefined : (kb * 1024) / 1e6);

export async function scaleRuns(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const tree = await ensureImageTree(
    ctx.root,
    { count: SCALE_COUNT, perFolder: SCALE_PER_FOLDER, foldersPerGroup: SCALE_FOLDERS_PER_GROUP, size: SCALE_SIZE, bases: SCALE_BASES },
    log,
  );
  if (tree.generated) log(`  generated in ${(tree.generateMs / 1000).toFixed(1)} s`);
  const small = tree.groups[0] as string;
  const nSmall = tree.filesPerGroup;
  const nAll = tree.files.length;
  const cachedRuns = Math.max(ctx.runs, MIN_CACHED_RUNS);
  report.notes.push(
    `scale: ${nAll} distinct ${SCALE_SIZE}×${SCALE_SIZE} JPEGs (${fmt(tree.totalBytes / nAll, 0)} bytes each on average) ` +
      `in ${nAll / SCALE_PER_FOLDER} folders of ${SCALE_PER_FOLDER}, two levels deep (${tree.groups.length} groups of ${SCALE_FOLDERS_PER_GROUP}); ` +
      `${SCALE_BASES} images encoded with sharp, each file one of them with its index in an APP15 segment, so every SHA-256 and content identity differs. ` +
      `The 20,000 run is the first group (${path.relative(ctx.root, small)}) of the same tree. Each cold run starts from an empty cache ` +
      `against its own loopback fake server and must return every row ok and fresh with one inference request per file; ` +
      `peak RSS is the CLI's node process (${ctx.rss}), wall is spawn to exit.`,
    `scale: the cached re-run reuses the 100,000 run's cache and must return ${nAll} rows, all ok and cached, with 0 inference requests; ` +
      `${cachedRuns} rounds alternate \`find DIR -type f -printf '%s %T@ %i\\n'\` (stdout to /dev/null) and the re-run, ` +
      `and the ratio is median over median; the tree is in the page cache for both.`,
  );

  const cold = async (name: string, input: string, n: number, timeoutMs: number): Promise<CatalogTally> => {
    const server = await startFakeOpenAI();
    const cache = path.join(ctx.scratch, `${name}.db`);
    try {
      log(`scale: cold run over ${n} files ...`);
      const r = await runTimedCatalog(ctx, server, { input, cache, name, timeoutMs });
      if (r.rows !== n || r.fresh !== n) throw new Error(`${name}: ${r.fresh}/${r.rows} fresh ok rows, expected ${n}. ${r.firstError}`);
      if (r.sent !== n) throw new Error(`${name}: the server got ${r.sent} inference requests, expected ${n}`);
      log(`  ${fmt(r.wallMs / 1000)} s, ${fmt(n / (r.wallMs / 1000), 0)} files/s, peak RSS ${fmt(mb(r.peakRssKb), 0)} MB`);
      return r;
    } finally {
      await server.close();
      if (name !== 'scale-100k') await removeDb(cache);
    }
  };

  const rssRow = (id: string, label: string, v: number | undefined, target: string, verdict: Measure['verdict']): Measure => ({
    id, measure: label, value: v, unit: 'MB', display: v === undefined ? 'not measured' : `${fmt(v, 0)} MB`, target,
    verdict: v === undefined ? 'skip' : verdict,
  });
  // Rows are pushed as soon as they are known, so a later failure keeps the earlier figures.
  const cache = path.join(ctx.scratch, 'scale-100k.db');
  try {
    const c20 = await cold('scale-20k', small, nSmall, 1_800_000);
    const rss20 = mb(c20.peakRssKb);
    report.measures.push(
      { id: 'scale.cold20k.wall', measure: `scale: cold run, ${nSmall} files: wall (1 run)`, value: c20.wallMs / 1000, unit: 's', target: '-', verdict: '-' },
      rssRow('scale.cold20k.rss', `scale: cold run, ${nSmall} files: peak RSS`, rss20, '-', '-'),
    );

    const c100 = await cold('scale-100k', tree.dir, nAll, 3_600_000);
    const rss100 = mb(c100.peakRssKb);
    const growth = rss20 === undefined || rss100 === undefined ? undefined : rss100 / rss20;
    report.measures.push(
      { id: 'scale.cold100k.wall', measure: `scale: cold run, ${nAll} files: wall (1 run)`, value: c100.wallMs / 1000, unit: 's', target: '-', verdict: '-' },
      rssRow('scale.cold100k.rss', `scale: cold run, ${nAll} files: peak RSS`, rss100, `< ${SCALE_RSS_TARGET_MB} MB`, judge(rss100, '<', SCALE_RSS_TARGET_MB)),
      {
        id: 'scale.rss.growth', measure: `scale: peak RSS ${nAll} / ${nSmall} files`, value: growth, unit: '×',
        display: growth === undefined ? 'not measured' : `${fmt(growth)}×`, target: `<= ${SCALE_RSS_GROWTH_TARGET}×`,
        verdict: judge(growth, '<=', SCALE_RSS_GROWTH_TARGET),
      },
    );

    const finds: number[] = [];
    const reruns: number[] = [];
    const rerunRss: number[] = [];
    const server = await startFakeOpenAI();
    try {
      log(`scale: ${cachedRuns} rounds of find and the cached re-run over ${nAll} files ...`);
      for (let run = 0; run < cachedRuns; run++) {
        const f = check(
          'find',
          await runTimed('find', [tree.dir, '-type', 'f', '-printf', '%s %T@ %i\n'], { env: { PATH: process.env.PATH, LANG: 'C' }, timeoutMs: 300_000, discardStdout: true }),
        );
        finds.push(f.wallMs / 1000);
        const r = await runTimedCatalog(ctx, server, { input: tree.dir, cache, name: `scale-cached-${run}`, timeoutMs: 900_000 });
        if (r.rows !== nAll || r.cached !== nAll) throw new Error(`cached run ${run + 1}: ${r.cached}/${r.rows} rows ok and cached, expected ${nAll}. ${r.firstError}`);
        if (r.sent !== 0) throw new Error(`cached run ${run + 1}: the server got ${r.sent} inference requests, expected 0`);
        reruns.push(r.wallMs / 1000);
        const peak = mb(r.peakRssKb);
        if (peak !== undefined) rerunRss.push(peak);
        log(`  round ${run + 1}: find ${fmt(f.wallMs / 1000)} s, cached re-run ${fmt(r.wallMs / 1000)} s (peak RSS ${fmt(peak, 0)} MB, 0 requests)`);
      }
    } finally {
      await server.close();
    }

    const findMedian = median(finds);
    const rerunMedian = median(reruns);
    const ratio = rerunMedian / findMedian;
    report.measures.push(
      {
        id: 'scale.find.wall', measure: `scale: find -printf over ${nAll} files: wall (median of ${cachedRuns})`, value: findMedian, unit: 's',
        target: '-', verdict: '-', runs: finds,
      },
      {
        id: 'scale.cached.wall', measure: `scale: cached re-run, ${nAll} files: wall (median of ${cachedRuns})`, value: rerunMedian, unit: 's',
        target: '-', verdict: '-', runs: reruns,
      },
      {
        id: 'scale.cached.worst', measure: `scale: cached re-run, ${nAll} files: wall (worst)`, value: max(reruns), unit: 's', target: '-', verdict: '-',
      },
      {
        id: 'scale.cached.ratio', measure: 'scale: cached re-run / find', value: ratio, unit: '×', display: `${fmt(ratio)}×`,
        target: `<= ${SCALE_CACHED_FIND_TARGET}×`, verdict: judge(ratio, '<=', SCALE_CACHED_FIND_TARGET),
      },
      rssRow('scale.cached.rss', `scale: cached re-run, ${nAll} files: peak RSS (median)`, rerunRss.length ? median(rerunRss) : undefined, '-', '-'),
    );
  } finally {
    await removeDb(cache);
  }
}

/** One catalog run of `input` against `server`, with the inference requests it sent. */
async function runTimedCatalog(
  ctx: BenchContext,
  server: FakeOpenAI,
  o: { input: string; cache: string; name: string; timeoutMs: number },
): Promise<CatalogTally & { sent: number }> {
  const before = server.chatRequests().length;
  const r = await runCatalogTally(ctx, {
    args: [o.input, '--endpoint', server.url, '--model', 'bench', '--flavor', 'vllm'],
    cache: o.cache, name: o.name, timeoutMs: o.timeoutMs, rss: ctx.rss,
  });
  return { ...r, sent: server.chatRequests().length - before };
}
