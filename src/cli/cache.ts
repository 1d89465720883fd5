// `glm-vision cache stats|export|prune|vacuum|merge`: looking after the cache database.
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cutoffFrom } from '../cache/duration.js';
import { openExistingCache, openReadOnly } from '../cache/existing.js';
import { fileSize } from '../support/words.js';
import { exportResults } from '../cache/export.js';
import { loadJobs, resolveJobs } from '../cache/jobs.js';
import { mergeCaches, openSources, type MergeCounts } from '../cache/merge.js';
import { defaultCachePath, openDatabase } from '../cache/open.js';
import { pruneCache, type PruneCriteria } from '../cache/prune.js';
import { lockCache, type LockMode } from '../cache/run-lock.js';
import { cacheStats, renderStats } from '../cache/stats.js';
import { vacuumCache } from '../cache/vacuum.js';
import { Interrupted } from '../cache/write-transaction.js';
import { isStdoutDash, outputSink, type Sink } from '../emit/sink.js';
import { ExitCode, UsageError } from '../support/errors.js';
import { sharedSettings } from './config.js';
import type { CliIO } from './io.js';
import type { CacheStatsFlags, ExportFlags, PruneFlags, WriteFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { trapInterrupts } from './signals.js';

export type { CacheStatsFlags, ExportFlags, PruneFlags, WriteFlags };

/** What every cache tool has. */
interface CacheFlags {
  cache?: string;
  config?: string | false;
}

/** --cache, else $GLM_VISION_CACHE, else the config file's, else the default: as catalog decides. */
export function cachePath(flags: CacheFlags, io: CliIO): string {
  const { cache } = sharedSettings(flags, ['cache'], io);
  return path.resolve(io.cwd, cache ?? defaultCachePath(io.env));
}

function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs a command that writes to the cache: under the run lock (never beside a catalog run), with
 * SIGINT/SIGTERM turned into a rollback and exit 130.
 */
async function withWriteAccess(
  file: string,
  lock: LockMode,
  io: CliIO,
  work: (signal: AbortSignal) => Promise<void>,
  /** What a first Ctrl-C does, for commands that cannot stop half way (VACUUM). */
  firstSignal = 'stopping without changing the cache',
): Promise<number> {
  const unlock = await lockCache(file, lock, () =>
    io.stderr.write(`glm-vision: waiting for the glm-vision run using the cache ${file} to finish\n`),
  );
  const { stop, release } = trapInterrupts({
    first: (signal) => {
      io.stderr.write(`glm-vision: ${signal}: ${firstSignal}; press Ctrl-C again to stop at once (the cache stays as it was)\n`);
    },
    second: (signal) => {
      // SQLite drops an unfinished transaction, and the lock is released on exit.
      release();
      process.kill(process.pid, signal);
    },
  });
  try {
    await work(stop);
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    io.stderr.write(`glm-vision: ${error.message}; the cache ${file} was left as it was\n`);
    return ExitCode.interrupted;
  } finally {
    release();
    await unlock();
  }
}

function closeAfter<T>(db: Database.Database, use: (db: Database.Database) => T): T {
  try {
    return use(db);
  } finally {
    db.close();
  }
}

export function cacheStatsCommand(flags: CacheStatsFlags, io: CliIO): number {
  const file = cachePath(flags, io);
  const lastRuns = parseFlags('cache stats', flags).runs;
  const stats = closeAfter(openReadOnly(file, '--cache').db, (db) => cacheStats(db, file, lastRuns));
  if (flags.json) printJson(io, stats);
  else io.stdout.write(renderStats(stats));
  return ExitCode.ok;
}


export async function cacheExportCommand(flags: ExportFlags, io: CliIO): Promise<number> {
  const file = cachePath(flags, io);
  const { db } = openReadOnly(file, '--cache');
  let sink: Sink | undefined;
  try {
    const jobs = resolveJobs(loadJobs(db), flags.job, file);
    sink = await outputSink(flags.output, io.stdout, { cwd: io.cwd });
    const count = await exportResults(db, sink, { jobs, models: flags.model });
    await sink.commit();
    if (!flags.quiet) io.stderr.write(`glm-vision: exported ${count} results from ${file}${flags.output !== undefined && !isStdoutDash(flags.output) ? ` to ${flags.output}` : ''}\n`);
    return ExitCode.ok;
  } catch (error) {
    // OutputClosed (`| head`) included: main() takes it as the reader having what it wanted.
    await sink?.discard();
    throw error;
  } finally {
    db.close();
  }
}


function pruneCriteria(flags: PruneFlags, io: CliIO, now: number): Omit<PruneCriteria, 'jobs'> {
  const criteria: Omit<PruneCriteria, 'jobs'> = {};
  if (flags.olderThan !== undefined) criteria.olderThan = cutoffFrom('--older-than', flags.olderThan, now);
  if (flags.unusedFor !== undefined) criteria.unusedSince = cutoffFrom('--unused-for', flags.unusedFor, now);
  if (flags.relativeTo !== undefined && !flags.missing) throw new UsageError('--relative-to goes with --missing');
  if (flags.force && !flags.missing) throw new UsageError('--force goes with --missing');
  if (flags.missing) {
    let relativeTo: string | undefined;
    if (flags.relativeTo !== undefined) {
      relativeTo = path.resolve(io.cwd, flags.relativeTo);
      if (!existsSync(relativeTo)) throw new UsageError(`No such folder for --relative-to: ${flags.relativeTo}`);
    }
    criteria.missing = { relativeTo, force: !!flags.force };
  }
  if (criteria.olderThan === undefined && criteria.unusedSince === undefined && !criteria.missing && flags.job.length === 0) {
    throw new UsageError('Nothing to prune: give --older-than DURATION, --unused-for DURATION, --missing or --job FINGERPRINT');
  }
  return criteria;
}

export async function cachePruneCommand(flags: PruneFlags, io: CliIO): Promise<number> {
  const file = cachePath(flags, io);
  const criteria = pruneCriteria(flags, io, Date.now());
  const db = openExistingCache(file);
  try {
    return await withWriteAccess(file, parseFlags('cache prune', flags).lock, io, async (signal) => {
      const jobs = resolveJobs(loadJobs(db), flags.job, file);
      const report = await pruneCache(db, file, { ...criteria, jobs }, { dryRun: !!flags.dryRun, signal });
      if (flags.json) return printJson(io, { cache: file, ...report });
      const verb = report.dry_run ? 'that would be removed' : 'removed';
      const r = report.results;
      const lines = [
        report.dry_run ? `dry run: nothing was removed from ${file}` : `pruned ${file}`,
        `results ${verb}: ${r.total} (${r.older_than} too old, ${r.unused} of unused jobs, ${r.job} of --job, ${r.missing} of files gone)`,
        `image records ${verb}: ${report.images} (no answer uses them)`,
      ];
      const f = report.files;
      if (f) {
        lines.push(`file index: ${f.checked} paths checked, ${f.missing} gone (${report.dry_run ? 'would be forgotten' : 'forgotten'})${f.unreadable ? `, ${f.unreadable} could not be checked (kept)` : ''}`);
        if (report.pages) lines.push(`document pages ${verb}: ${report.pages} (their files are gone)`);
        if (report.reviews) lines.push(`reviews ${verb}: ${report.reviews} (no indexed file has their image any more)`);
        if (f.relative_skipped) {
          lines.push(`file index: ${f.relative_skipped} relative paths not checked (kept); give --relative-to DIR, the folder the catalog ran in`);
        }
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    });
  } finally {
    db.close();
  }
}

export async function cacheVacuumCommand(flags: WriteFlags, io: CliIO): Promise<number> {
  const file = cachePath(flags, io);
  // Opening checks the file is a cache and brings an older schema up to date.
  openExistingCache(file).close();
  return withWriteAccess(file, parseFlags('cache vacuum', flags).lock, io, async () => {
    const report = await vacuumCache(file);
    if (flags.json) return printJson(io, { cache: file, ...report });
    const saved = report.before.total - report.after.total;
    io.stdout.write(
      `${file}: ${fileSize(report.before.total)} before, ${fileSize(report.after.total)} after (${fileSize(Math.max(0, saved))} freed)\n` +
        (report.wal_busy ? 'a reader kept part of the WAL; it is emptied at the next run or vacuum\n' : ''),
    );
  }, 'finishing the vacuum, which cannot stop half way');
}

function describeCounts(c: MergeCounts): string {
  return [
    `results ${c.results.added} added, ${c.results.replaced} replaced, ${c.results.kept} kept`,
    `jobs ${c.jobs.added} added`,
    `images ${c.images.added} added`,
    `pages ${c.pages.added} added`,
    `file index ${c.files.added} added, ${c.files.updated} updated, ${c.files.kept} kept`,
    `content identities ${c.contents.added} added`,
    `reviews ${c.reviews.added} added, ${c.reviews.replaced} replaced, ${c.reviews.kept} kept`,
    `runs ${c.runs.added} added`,
  ].join('; ');
}

export async function cacheMergeCommand(others: string[], flags: WriteFlags, io: CliIO): Promise<number> {
  const file = cachePath(flags, io);
  const sources = openSources(file, others.map((o) => path.resolve(io.cwd, o)));
  let db: Database.Database | undefined;
  try {
    // The target may be new: merging shards into an empty cache is the usual first step.
    const target = existsSync(file) ? openExistingCache(file) : openDatabase(file);
    db = target;
    return await withWriteAccess(file, parseFlags('cache merge', flags).lock, io, async (signal) => {
      const report = await mergeCaches(target, file, sources, { signal });
      if (flags.json) return printJson(io, { cache: file, ...report });
      const lines = report.sources.map((s) => `${s.file}: ${describeCounts(s)}`);
      if (report.sources.length > 1) lines.push(`total: ${describeCounts(report)}`);
      io.stdout.write(`merged into ${file}\n${lines.join('\n')}\n`);
    });
  } finally {
    for (const s of sources) s.db.close();
    db?.close();
  }
}
