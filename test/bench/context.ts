// What every bench section shares, and how it runs the real CLI.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, parseJsonl, ROOT } from '../helpers/cli.js';
import { check, runTimed, type RssMethod, type TimedResult } from './proc.js';
import type { Report } from './report.js';

export { ROOT };

export interface BenchContext {
  /** Where fixtures and results.json live (.bench/ or $GLM_VISION_BENCH_DIR). */
  root: string;
  /** A temporary folder for caches, catalogs and thumbnails; removed at the end. */
  scratch: string;
  /** VIPS_CONCURRENCY for both sides. */
  threads: number;
  /** os.availableParallelism(). */
  cpus: number;
  /** Repetitions of each timed run. */
  runs: number;
  rss: RssMethod;
  report: Report;
  log: (message: string) => void;
}

export interface CatalogRun extends TimedResult {
  rows: Record<string, unknown>[];
}

/** The environment a CLI child gets: nothing from ours but PATH, plus the thread count. */
export function childEnv(ctx: BenchContext): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: ctx.scratch, LANG: 'C.UTF-8', VIPS_CONCURRENCY: String(ctx.threads) };
}

/**
 * `node bin/glm-vision.js catalog DIR ...` with a given cache, timed from
 * process start to exit; the JSONL catalog is read back and then deleted.
 */
export async function runCatalog(
  ctx: BenchContext,
  o: { input: string; endpoint: string; cache: string; name: string; timeoutMs: number; rss?: RssMethod },
): Promise<CatalogRun> {
  return runCatalogWith(ctx, {
    args: [o.input, '--endpoint', o.endpoint, '--model', 'bench', '--flavor', 'vllm'],
    cache: o.cache, name: o.name, timeoutMs: o.timeoutMs, rss: o.rss,
  });
}

/**
 * `node bin/glm-vision.js catalog ARGS... --cache DB -q -o <tmp>.jsonl`, timed
 * from process start to exit; the JSONL catalog is read back and then deleted.
 */
export async function runCatalogWith(
  ctx: BenchContext,
  o: CatalogRunOptions,
): Promise<CatalogRun> {
  return timedCatalog(ctx, o, async (out, r) => ({ ...r, rows: parseJsonl(await readFile(out, 'utf8')) }));
}

export interface CatalogRunOptions {
  args: string[];
  cache: string;
  name: string;
  timeoutMs: number;
  rss?: RssMethod;
  /** Exit codes that are no failure of the run (default 0; 1 where truncated rows are expected, then checked row by row). */
  okCodes?: readonly number[];
}

/** Runs the catalog into a temporary JSONL file, hands it to `read`, then deletes it. */
async function timedCatalog<T>(
  ctx: BenchContext,
  o: CatalogRunOptions,
  read: (out: string, r: TimedResult) => Promise<T>,
): Promise<T> {
  const out = path.join(ctx.scratch, `${o.name}.jsonl`);
  const args = [BIN, 'catalog', ...o.args, '--cache', o.cache, '-q', '-o', out];
  try {
    const r = check(
      `glm-vision catalog (${o.name})`,
      await runTimed(process.execPath, args, { cwd: ROOT, env: childEnv(ctx), timeoutMs: o.timeoutMs, rss: o.rss ?? 'none', scratch: ctx.scratch }),
      o.okCodes,
    );
    return await read(out, r);
  } finally {
    await rm(out, { force: true });
  }
}

export interface CatalogTally extends TimedResult {
  rows: number;
  /** Rows with status ok and cached false / true. */
  fresh: number;
  cached: number;
  /** The first row that is not ok, as "file: status error", or ''. */
  firstError: string;
}

/**
 * runCatalogWith for big runs: the JSONL catalog is streamed and counted line
 * by line (never held in memory as rows), then deleted.
 */
export async function runCatalogTally(
  ctx: BenchContext,
  o: CatalogRunOptions,
): Promise<CatalogTally> {
  return timedCatalog(ctx, o, async (out, r) => {
    const tally = { rows: 0, fresh: 0, cached: 0, firstError: '' };
    for await (const line of createInterface({ input: createReadStream(out, 'utf8'), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      const row = JSON.parse(line) as Record<string, unknown>;
      tally.rows++;
      if (row.status === 'ok') {
        if (row.cached === true) tally.cached++;
        else if (row.cached === false) tally.fresh++;
      } else if (!tally.firstError) {
        tally.firstError = `${String(row.SourceFile)}: ${String(row.status)} ${String(row.error)}`;
      }
    }
    return { ...r, ...tally };
  });
}

/** Removes an SQLite cache with its WAL and shared-memory files. */
export async function removeDb(file: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm', '-journal'].map((s) => rm(file + s, { force: true })));
}

export function countWhere(rows: Record<string, unknown>[], pred: (r: Record<string, unknown>) => boolean): number {
  let n = 0;
  for (const r of rows) if (pred(r)) n++;
  return n;
}

export function firstError(rows: Record<string, unknown>[]): string {
  const bad = rows.find((r) => r.status !== 'ok');
  return bad ? `${String(bad.SourceFile)}: ${String(bad.status)} ${String(bad.error)}` : '';
}

/**
 * sharp.concurrency() as a CLI child would see it. sharp ignores
 * VIPS_CONCURRENCY and uses 1 thread per image on glibc without jemalloc
 * unless MALLOC_ARENA_MAX is set, so this can differ from ctx.threads.
 */
export function sharpConcurrencyInChild(ctx: BenchContext): number | undefined {
  try {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import sharp from 'sharp'; process.stdout.write(String(sharp.concurrency()))"],
      { cwd: ROOT, env: childEnv(ctx), encoding: 'utf8', timeout: 30_000 },
    );
    const n = Number(out.trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
