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
import { t } from '../i18n/index.js';
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
  /** A first Ctrl-C finishes the work, for commands that cannot stop half way (VACUUM). */
  finishes = false,
): Promise<number> {
  const say = (message: string): void => void io.stderr.write(`${t('cli:error.prefix', { message })}\n`);
  const unlock = await lockCache(file, lock, () => say(t('cli:cache.waiting', { file })));
  const { stop, release } = trapInterrupts({
    first: (signal) => say(t(finishes ? 'cli:cache.signalVacuum' : 'cli:cache.signal', { signal })),
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
    say(t('cli:cache.interrupted', { message: error.message, file }));
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
  const stats = closeAfter(openReadOnly(file, 'cache').db, (db) => cacheStats(db, file, lastRuns));
  if (flags.json) printJson(io, stats);
  else io.stdout.write(renderStats(stats));
  return ExitCode.ok;
}


export async function cacheExportCommand(flags: ExportFlags, io: CliIO): Promise<number> {
  const file = cachePath(flags, io);
  const { db } = openReadOnly(file, 'cache');
  let sink: Sink | undefined;
  try {
    const jobs = resolveJobs(loadJobs(db), flags.job, file);
    sink = await outputSink(flags.output, io.stdout, { cwd: io.cwd });
    const count = await exportResults(db, sink, { jobs, models: flags.model });
    await sink.commit();
    if (!flags.quiet) {
      const toFile = flags.output !== undefined && !isStdoutDash(flags.output);
      const message = toFile ? t('cli:cache.exportedTo', { count, file, output: flags.output }) : t('cli:cache.exported', { count, file });
      io.stderr.write(`${t('cli:error.prefix', { message })}\n`);
    }
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
  if (flags.relativeTo !== undefined && !flags.missing) throw new UsageError(t('cli:prune.relativeToWithoutMissing'));
  if (flags.force && !flags.missing) throw new UsageError(t('cli:prune.forceWithoutMissing'));
  if (flags.missing) {
    let relativeTo: string | undefined;
    if (flags.relativeTo !== undefined) {
      relativeTo = path.resolve(io.cwd, flags.relativeTo);
      if (!existsSync(relativeTo)) throw new UsageError(t('cli:prune.noFolder', { dir: flags.relativeTo }));
    }
    criteria.missing = { relativeTo, force: !!flags.force };
  }
  if (criteria.olderThan === undefined && criteria.unusedSince === undefined && !criteria.missing && flags.job.length === 0) {
    throw new UsageError(t('cli:prune.nothing'));
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
      const dry = report.dry_run;
      const r = report.results;
      const lines = [
        dry ? t('cli:prune.dryRun', { file }) : t('cli:prune.done', { file }),
        t(dry ? 'cli:prune.resultsDry' : 'cli:prune.results', { total: r.total, old: r.older_than, unused: r.unused, job: r.job, missing: r.missing }),
        t(dry ? 'cli:prune.imagesDry' : 'cli:prune.images', { count: report.images }),
      ];
      const f = report.files;
      if (f) {
        const files = f.unreadable ? (dry ? 'cli:prune.filesUnreadableDry' : 'cli:prune.filesUnreadable') : dry ? 'cli:prune.filesDry' : 'cli:prune.files';
        lines.push(t(files, { checked: f.checked, missing: f.missing, unreadable: f.unreadable }));
        if (report.pages) lines.push(t(dry ? 'cli:prune.pagesDry' : 'cli:prune.pages', { count: report.pages }));
        if (report.reviews) lines.push(t(dry ? 'cli:prune.reviewsDry' : 'cli:prune.reviews', { count: report.reviews }));
        if (f.relative_skipped) lines.push(t('cli:prune.relativeSkipped', { count: f.relative_skipped }));
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
    const sizes = { file, before: fileSize(report.before.total), after: fileSize(report.after.total), freed: fileSize(Math.max(0, saved)) };
    io.stdout.write(`${t('cli:vacuum.done', sizes)}\n${report.wal_busy ? `${t('cli:vacuum.walBusy')}\n` : ''}`);
  }, true);
}

function describeCounts(c: MergeCounts): string {
  return t('cli:merge.counts', {
    resultsAdded: c.results.added, resultsReplaced: c.results.replaced, resultsKept: c.results.kept,
    jobs: c.jobs.added, images: c.images.added, pages: c.pages.added,
    filesAdded: c.files.added, filesUpdated: c.files.updated, filesKept: c.files.kept,
    contents: c.contents.added,
    reviewsAdded: c.reviews.added, reviewsReplaced: c.reviews.replaced, reviewsKept: c.reviews.kept,
    runs: c.runs.added,
  });
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
      const lines = report.sources.map((s) => t('cli:merge.source', { file: s.file, counts: describeCounts(s) }));
      if (report.sources.length > 1) lines.push(t('cli:merge.total', { counts: describeCounts(report) }));
      io.stdout.write(`${t('cli:merge.done', { file })}\n${lines.join('\n')}\n`);
    });
  } finally {
    for (const s of sources) s.db.close();
    db?.close();
  }
}
