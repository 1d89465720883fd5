// Cold throughput on 12 MP JPEGs: the whole glm-vision pipeline against an
// instant loopback server, side by side with vipsthumbnail doing only the
// decode + resize + JPEG encode to the same size.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_MAX_PIXELS, JPEG_QUALITY, fitToBudget } from '../../src/image/preprocess.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { countWhere, firstError, removeDb, runCatalog, sharpConcurrencyInChild, type BenchContext } from './context.js';
import { ensureLargeJpegs } from './fixtures.js';
import { check, runTimed } from './proc.js';
import { fmt, judge, median } from './report.js';

export const LARGE_COUNT = 40;
export const LARGE_MEGAPIXELS = 12;
export const RATIO_TARGET = 0.7;

/** vipsthumbnail on PATH, with its version line, or undefined. */
export function findVipsthumbnail(): { bin: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const bin = path.join(dir, 'vipsthumbnail');
    if (dir && existsSync(bin)) {
      let version = 'unknown';
      try {
        version = execFileSync(bin, ['--vips-version'], { encoding: 'utf8', timeout: 10_000 }).trim();
      } catch {
        try {
          version = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
        } catch {
          /* keep 'unknown' */
        }
      }
      return { bin, version };
    }
  }
  return undefined;
}

/** Splits files round-robin into k lists (none empty). */
function split<T>(items: T[], k: number): T[][] {
  const parts: T[][] = Array.from({ length: Math.min(k, items.length) }, () => []);
  items.forEach((item, i) => parts[i % parts.length]?.push(item));
  return parts;
}

export async function coldThroughput(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const set = await ensureLargeJpegs(ctx.root, LARGE_COUNT, LARGE_MEGAPIXELS, log);
  if (set.generated) log(`  generated in ${(set.generateMs / 1000).toFixed(1)} s`);
  const n = set.files.length;
  const meta = await sharp(set.files[0]).metadata();
  const srcW = meta.width ?? 0;
  const srcH = meta.height ?? 0;
  const target = fitToBudget(srcW, srcH, DEFAULT_MAX_PIXELS);
  // Same parallelism as the pipeline's prepare queue: max(2, cores) decodes at once.
  const procs = Math.max(2, ctx.cpus);

  // Warm the page cache so neither side pays for the first read from disk.
  for (const f of set.files) await readFile(f);

  const vips = findVipsthumbnail();
  report.env.vipsthumbnail = vips?.version ?? null;
  const sharpThreads = sharpConcurrencyInChild(ctx);
  report.env.sharpConcurrencyInChild = sharpThreads ?? null;
  // When sharp does not use VIPS_CONCURRENCY, also time vipsthumbnail with sharp's effective per-image thread count.
  const matched = sharpThreads !== undefined && sharpThreads !== ctx.threads ? sharpThreads : undefined;
  report.notes.push(
    `cold: N = ${n} distinct ${srcW}×${srcH} JPEGs (q85, ${fmt(set.totalBytes / n / 1e6)} MB each on average, page cache warm); ` +
      `default --max-pixels ${DEFAULT_MAX_PIXELS} → fitToBudget = ${target.width}×${target.height}, JPEG q${JPEG_QUALITY}.`,
  );
  report.notes.push(
    `cold glm-vision: node bin/glm-vision.js catalog DIR --flavor vllm --cache <fresh db> -q -o <tmp>.jsonl against the in-process ` +
      `loopback fake server (instant replies); wall clock from spawn to exit, so it includes node start-up, walk, SHA-256, SQLite, ` +
      `metadata + resize + encode, base64 and HTTP.`,
  );

  const server = await startFakeOpenAI();
  const ours: number[] = [];
  const oursRss: number[] = [];
  const par: number[] = [];
  const single: number[] = [];
  const parMatched: number[] = [];
  try {
    const oneOurs = async (run: number): Promise<void> => {
      const cache = path.join(ctx.scratch, `cold-${run}.db`);
      const before = server.chatRequests().length;
      try {
        const r = await runCatalog(ctx, {
          input: set.dir, endpoint: server.url, cache, name: `cold-${run}`, timeoutMs: 300_000,
          rss: ctx.rss,
        });
        const ok = countWhere(r.rows, (row) => row.status === 'ok' && row.cached === false);
        const sent = server.chatRequests().length - before;
        if (r.rows.length !== n || ok !== n) throw new Error(`cold run ${run}: ${ok}/${r.rows.length} fresh ok rows, expected ${n}. ${firstError(r.rows)}`);
        if (sent !== n) throw new Error(`cold run ${run}: the server got ${sent} inference requests, expected ${n}`);
        const img = server.chatRequests()[before];
        if (img?.imageBytes === undefined) throw new Error('cold run: no image in the request');
        ours.push(n / (r.wallMs / 1000));
        if (r.peakRssKb !== undefined) oursRss.push(r.peakRssKb);
        log(`  glm-vision run ${run + 1}: ${fmt(r.wallMs / 1000)} s, ${fmt(n / (r.wallMs / 1000))} img/s`);
      } finally {
        await removeDb(cache);
      }
    };

    const oneVips = async (run: number, processes: number, threads = ctx.threads): Promise<number> => {
      if (!vips) return NaN;
      const outDir = path.join(ctx.scratch, `vips-${processes}-${threads}-${run}`);
      await mkdir(outDir, { recursive: true });
      const env = { PATH: process.env.PATH, HOME: ctx.scratch, LANG: 'C.UTF-8', VIPS_CONCURRENCY: String(threads) };
      // "!" forces the exact size (our pipeline resizes with fit: 'fill'); without it
      // vipsthumbnail would fit inside the box and make a slightly smaller image.
      const args = ['--size', `${target.width}x${target.height}!`, '-o', path.join(outDir, `%s.jpg[Q=${JPEG_QUALITY}]`)];
      try {
        const t0 = performance.now();
        await Promise.all(
          split(set.files, processes).map(async (files) =>
            check('vipsthumbnail', await runTimed(vips.bin, [...args, ...files], { env, timeoutMs: 300_000 })),
          ),
        );
        const wallMs = performance.now() - t0;
        const made = await readdir(outDir);
        if (made.length !== n) throw new Error(`vipsthumbnail wrote ${made.length} files, expected ${n}`);
        if (run === 0 && processes === procs) {
          const m = await sharp(path.join(outDir, made[0] as string)).metadata();
          if (m.width !== target.width || m.height !== target.height) {
            throw new Error(`vipsthumbnail made ${m.width}×${m.height}, expected ${target.width}×${target.height}`);
          }
        }
        const rate = n / (wallMs / 1000);
        log(`  vipsthumbnail ×${processes} (VIPS_CONCURRENCY=${threads}) run ${run + 1}: ${fmt(wallMs / 1000)} s, ${fmt(rate)} img/s`);
        return rate;
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    };

    log(`cold throughput: ${n} × ${LARGE_MEGAPIXELS} MP, ${ctx.runs} alternating runs, VIPS_CONCURRENCY=${ctx.threads}`);
    for (let run = 0; run < ctx.runs; run++) {
      await oneOurs(run);
      if (vips) {
        par.push(await oneVips(run, procs));
        if (procs > 1) single.push(await oneVips(run, 1));
        if (matched !== undefined) parMatched.push(await oneVips(run, procs, matched));
      }
    }
  } finally {
    await server.close();
  }

  const oursMed = median(ours);
  report.measures.push({
    id: 'cold.glmvision', measure: `cold ${LARGE_MEGAPIXELS} MP: glm-vision (median of ${ctx.runs})`,
    value: oursMed, unit: 'img/s', target: '-', verdict: '-', runs: ours,
  });
  if (oursRss.length) {
    report.measures.push({
      id: 'cold.glmvision.rss', measure: `cold ${LARGE_MEGAPIXELS} MP: glm-vision peak RSS (median)`,
      value: (median(oursRss) * 1024) / 1e6, unit: 'MB', display: `${fmt((median(oursRss) * 1024) / 1e6, 0)} MB`, target: '-', verdict: '-',
      runs: oursRss.map((kb) => (kb * 1024) / 1e6),
    });
  }
  if (!vips) {
    report.measures.push({
      id: 'cold.ratio', measure: 'cold ratio glm-vision / vipsthumbnail', unit: 'x', display: 'skipped',
      target: `>= ${RATIO_TARGET.toFixed(2)}x`, verdict: 'skip',
    });
    report.notes.push('vipsthumbnail not found: install it with `apt-get install libvips-tools` (Debian/Ubuntu) to get the ratio.');
    return;
  }
  const parMed = median(par);
  report.measures.push({
    id: 'cold.vips.parallel', measure: `cold ${LARGE_MEGAPIXELS} MP: vipsthumbnail, ${procs} processes (median)`,
    value: parMed, unit: 'img/s', target: '-', verdict: '-', runs: par,
  });
  let singleMed: number | undefined;
  if (single.length) {
    singleMed = median(single);
    report.measures.push({
      id: 'cold.vips.single', measure: `cold ${LARGE_MEGAPIXELS} MP: vipsthumbnail, 1 process (median)`,
      value: singleMed, unit: 'img/s', target: '-', verdict: '-', runs: single,
    });
  }
  let matchedMed: number | undefined;
  if (parMatched.length && matched !== undefined) {
    matchedMed = median(parMatched);
    report.measures.push({
      id: 'cold.vips.parallel.matched', measure: `cold ${LARGE_MEGAPIXELS} MP: vipsthumbnail, ${procs} processes, ${matched} thread(s) each`,
      value: matchedMed, unit: 'img/s', target: '-', verdict: '-', runs: parMatched,
    });
  }
  const ratio = oursMed / parMed;
  report.measures.push({
    id: 'cold.ratio', measure: `cold ratio glm-vision / vipsthumbnail ×${procs}`, value: ratio, unit: 'x',
    display: `${fmt(ratio)}x`, target: `>= ${RATIO_TARGET.toFixed(2)}x`, verdict: judge(ratio, '>=', RATIO_TARGET),
  });
  if (singleMed !== undefined) {
    const r1 = oursMed / singleMed;
    report.measures.push({
      id: 'cold.ratio.single', measure: 'cold ratio glm-vision / vipsthumbnail ×1 (info)', value: r1, unit: 'x',
      display: `${fmt(r1)}x`, target: '-', verdict: '-',
    });
  }
  if (matchedMed !== undefined) {
    const rm1 = oursMed / matchedMed;
    report.measures.push({
      id: 'cold.ratio.matched', measure: `cold ratio glm-vision / vipsthumbnail ×${procs}, ${matched} thread(s) (info)`, value: rm1,
      unit: 'x', display: `${fmt(rm1)}x`, target: '-', verdict: '-',
    });
    report.notes.push(
      `sharp ignores VIPS_CONCURRENCY here: on glibc without jemalloc it forces sharp.concurrency() to 1 unless MALLOC_ARENA_MAX ` +
        `is set, and a CLI child reports ${matched}. So glm-vision really runs ${procs} images × ${matched} libvips thread(s); ` +
        `vipsthumbnail ×${procs} with VIPS_CONCURRENCY=${matched} is timed too (info) as the like-for-like thread count.`,
    );
  }
  report.notes.push(
    `cold vipsthumbnail: ${vips.bin} --size ${target.width}x${target.height}! -o DIR/%s.jpg[Q=${JPEG_QUALITY}] (decode with ` +
      `shrink-on-load, resize, encode; no hashing, cache or HTTP). The pipeline decodes up to max(2, cores) = ${procs} images at ` +
      `once, so the ratio is against ${procs} vipsthumbnail processes run in parallel over a round-robin split of the files; ` +
      `the single-process figure is shown for information. Same VIPS_CONCURRENCY=${ctx.threads} on both sides. ` +
      `Runs alternate glm-vision / vipsthumbnail ×${procs} / ×1${matched !== undefined ? ` / ×${procs} at ${matched} thread(s)` : ''}, ` +
      `${ctx.runs} times; medians reported. This VM is noisy: absolute img/s moved by up to ~1.7× between bench invocations, ` +
      `the alternating ratio much less.`,
  );
  report.notes.push(
    `libvips differs: vipsthumbnail uses the system ${vips.version}; sharp bundles libvips ${sharp.versions.vips} ` +
      `(different JPEG codec builds), so the ratio compares tools, not just pipelines.`,
  );
}
