// `glm-vision catalog`: turns checked flags into a job and runs it.
import type { Writable } from 'node:stream';
import type { Backend } from '../backends/backend.js';
import { OutputClosed } from '../emit/sink.js';
import { newRunStats, writeMetrics, type MetricsFile, type RunStats } from '../pipeline/metrics.js';
import { openDatabase, defaultCachePath, isBusy } from '../cache/open.js';
import { lockCache } from '../cache/run-lock.js';
import { CacheStore } from '../cache/store.js';
import { t } from '../i18n/index.js';
import { ExitCode, exitCodeFor, NoInput, TemporaryFailure } from '../support/errors.js';
import { createProgress } from '../pipeline/progress.js';
import { runCatalog, type CatalogJob } from '../run.js';
import { planWalk } from '../pipeline/walk.js';
import { inShard, shardOf } from '../pipeline/shard.js';
import type { CatalogFlags, CatalogOptions } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import type { CliIO } from './io.js';
import { backendKind, makeBackend } from './catalog-backend.js';
import { jobSettings } from './catalog-job.js';
import { checkMetricsFile, checkOutputFolder, inputPaths, inputsKey, inputsLabel, nothingFound, outputFormat, recordedArgs } from './catalog-inputs.js';
import { tellError } from './error-line.js';
import { trapInterrupts } from './signals.js';

export type { CatalogFlags };

const GRACE_MS = 30_000;

export async function catalogCommand(paths: string[], given: CatalogFlags, argv: string[], io: CliIO): Promise<ExitCode> {
  const label = inputsLabel(paths, given);
  if (given.dryRun) {
    const { dryRun } = await import('./catalog-dry-run.js');
    return dryRun(paths, label, { ...parseFlags('catalog', given), setFrom: given.setFrom }, io);
  }
  const stats = newRunStats(Date.now());
  const metrics = given.metricsFile === undefined
    ? undefined
    : { file: checkMetricsFile(given.metricsFile, io.cwd), inputs: label };
  let exitCode: ExitCode = ExitCode.internal;
  try {
    const flags: CatalogOptions = { ...parseFlags('catalog', given), setFrom: given.setFrom };
    exitCode = await catalog(paths, label, flags, argv, io, stats);
    return exitCode;
  } catch (error) {
    exitCode = error instanceof OutputClosed ? ExitCode.ok : exitCodeFor(error);
    throw error;
  } finally {
    if (metrics) await saveMetrics(metrics, stats, exitCode, io);
  }
}

/** A run that worked but whose metrics cannot be written is a failure (74); a failed run keeps its own code. */
async function saveMetrics(target: MetricsFile, stats: RunStats, exitCode: ExitCode, io: CliIO): Promise<void> {
  try {
    await writeMetrics(target, stats, exitCode, Date.now());
  } catch (error) {
    if (exitCode === ExitCode.ok || exitCode === ExitCode.someFailed) throw error;
    io.stderr.write(`${t('cli:error.prefix', { message: (error as Error).message })}\n`);
  }
}

const asRunErrors = new WeakMap<object, Error>();
/** SQLite's "database is locked" as the temporary failure it is (the same object each time: it may be told before it is thrown). */
function runError(error: unknown): unknown {
  if (!isBusy(error)) return error;
  const known = asRunErrors.get(error as object);
  if (known) return known;
  const mapped = new TemporaryFailure(t('cli:catalog.cacheLocked', { why: (error as Error).message }));
  asRunErrors.set(error as object, mapped);
  return mapped;
}

/** Where a run's rows go and whether it shows progress: catalog's own, or ask's (rows kept, no progress or summary). */
export interface RunView {
  stdout: Writable;
  progress: boolean;
}

export async function catalog(
  paths: string[], label: string, flags: CatalogOptions, argv: string[], io: CliIO, stats: RunStats,
  view: RunView = { stdout: io.stdout, progress: true },
): Promise<ExitCode> {
  const warn = (message: string): void => {
    if (!flags.quiet) io.stderr.write(`glm-vision: ${message}\n`);
  };
  const loud = (message: string): void => void io.stderr.write(`glm-vision: ${message}\n`);
  const kind = backendKind(flags);
  const { lang, template, variables, generation, preprocess, shard, walkOptions, pages } = jobSettings(flags, kind, io, warn);
  const toStdout = flags.output === undefined || flags.output === '-';
  const output = { ...(toStdout ? {} : { file: flags.output }), format: outputFormat(flags), bom: flags.bom };
  if (!toStdout) checkOutputFolder(output.file as string, io.cwd);
  const inputs = await inputPaths(paths, flags, io);
  const dbPath = flags.cache ?? defaultCachePath(io.env);
  const store = new CacheStore(openDatabase(dbPath));
  let backend: Backend;
  let job: CatalogJob;
  let unlock: () => Promise<void> = async () => undefined;
  try {
    unlock = await lockCache(dbPath, flags.lock, () => warn(t('cli:catalog.waitingForLock', { cache: dbPath })));
    // Walked before the model is loaded or a request sent: a missing or empty input ends the run here.
    const unreadable: CatalogJob['unreadable'] = [];
    const walk = await planWalk(inputs, {
      ...walkOptions,
      onSkip: (p, why) => warn(t('cli:catalog.skipping', { path: p, why })),
      onUnreadable: (dir, reason) => void unreadable.push({ dir, reason }),
    });
    // The first pass counts (names only); the run streams the second.
    const found = await walk.count(shard ? (rel) => inShard(rel, shard) : undefined);
    stats.unreadableFolders = unreadable.length;
    if (found.found === 0 && !flags.allowEmpty) throw new NoInput(nothingFound(label, flags, unreadable.length));
    job = {
      files: shard ? shardOf(walk.files(), shard) : walk.files(),
      expectedFiles: found.kept,
      unreadable,
      inputsKey: inputsKey(inputs, flags, io.cwd, shard),
      inputsLabel: label,
      template,
      lang,
      variables,
      generation,
      preprocess,
      refresh: !!flags.refresh,
      retryFailed: !!flags.retryFailed,
      output,
      args: recordedArgs(argv, shard),
      graceMs: GRACE_MS,
      pages,
      groupPages: !!flags.groupPages,
    };
    backend = await makeBackend(kind, flags, io, warn, job.preprocess, store, template);
  } catch (error) {
    await unlock();
    store.close();
    throw error;
  }
  const interrupts = trapInterrupts({
    first: (signal) => {
      const values = { signal, seconds: GRACE_MS / 1000, file: output.file };
      warn(toStdout ? t('cli:catalog.interrupt', values) : t('cli:catalog.interruptFile', values));
    },
  });
  try {
    const { exitCode } = await runCatalog(job, {
      backend, store, stdout: view.stdout, warn, loud, stats,
      progress: createProgress(io.stderr, !!flags.quiet || !view.progress),
      stop: interrupts.stop, abort: interrupts.abort,
      tellError: (error) => tellError(runError(error), io),
    });
    return exitCode;
  } catch (error) {
    throw runError(error);
  } finally {
    interrupts.release();
    await backend.close();
    store.close();
    await unlock();
  }
}
