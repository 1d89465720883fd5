// What batch export and batch submit share: the job made from catalog's flags, the walk, and the
// export run into request files, under the cache's run lock.
import { authorization, probeFlavor, splitCredentials, type ResolvedFlavor } from '../backends/openai/index.js';
import { BatchStore } from '../cache/batches.js';
import { defaultCachePath, openDatabase } from '../cache/open.js';
import { lockCache } from '../cache/run-lock.js';
import { CacheStore } from '../cache/store.js';
import { runExport, type ExportCounts } from '../batch/export-run.js';
import { RequestFiles, type RequestFile } from '../batch/request-files.js';
import type { BatchExportOptions } from '../config/options.js';
import { inShard, shardOf } from '../pipeline/shard.js';
import { planWalk } from '../pipeline/walk.js';
import { NoInput, UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
import { inputPaths, inputsLabel } from './catalog-inputs.js';
import { jobSettings } from './catalog-job.js';
import { apiKeyFrom } from './defaults.js';
import type { CliIO } from './io.js';
import { trapInterrupts } from './signals.js';

/** The flags export and submit share (submit writes no -o file of its own). */
type MakerOptions = Omit<BatchExportOptions, 'output'>;

export interface Exported {
  counts: ExportCounts;
  files: RequestFile[];
  flavor: ResolvedFlavor;
  /** Stopped by SIGINT/SIGTERM: nothing was written. */
  interrupted: boolean;
}

/** The quirks to write the requests with: as given, or (auto) as the online run would find them at the first endpoint. */
async function resolveFlavor(flags: MakerOptions, model: string, io: CliIO, warn: (m: string) => void): Promise<ResolvedFlavor> {
  if (flags.flavor !== 'auto') return flags.flavor;
  const endpoint = flags.endpoint[0];
  if (endpoint === undefined) {
    warn(t('batch:export.flavor_guess'));
    return 'generic';
  }
  const target = splitCredentials(endpoint);
  const auth = authorization(apiKeyFrom(flags, io.env), target);
  const probe = await probeFlavor(target.url.replace(/\/+$/, ''), {
    fetch: globalThis.fetch, headers: auth === undefined ? {} : { authorization: auth }, model,
    signal: new AbortController().signal, timeoutMs: flags.timeout * 1000,
  });
  if (probe.problem !== undefined) warn(t('batch:export.flavor_unknown', { url: target.url, problem: probe.problem }));
  return probe.flavor;
}

/**
 * Exports the requests the cache does not answer into files named after `first` (relative to
 * `cwd`), then hands them to `use` while the cache is still open and locked; commits the files
 * when `keep`, else discards them (submit uploads them from their temporary names).
 */
export async function exportRequests<T>(
  paths: string[], flags: MakerOptions, io: CliIO, target: { first: string; cwd: string },
  use: (exported: Exported, stores: { cache: CacheStore; batches: BatchStore }) => Promise<T>,
): Promise<T> {
  const warn = (message: string): void => {
    if (!flags.quiet) io.stderr.write(`glm-vision: ${message}\n`);
  };
  const settings = jobSettings(flags, 'openai', io, warn);
  const model = flags.model;
  if (!model) throw new UsageError(t('batch:export.model'));
  const flavor = await resolveFlavor(flags, model, io, warn);
  if (flavor === 'infer') throw new UsageError(t('batch:flavor_infer'));
  const inputs = await inputPaths(paths, flags, io);
  const dbPath = flags.cache ?? defaultCachePath(io.env);
  const cache = new CacheStore(openDatabase(dbPath));
  const batches = new BatchStore(cache.db);
  let unlock: () => Promise<void> = async () => undefined;
  const interrupts = trapInterrupts({ first: (signal) => warn(t('batch:export.interrupted', { signal })) });
  try {
    unlock = await lockCache(dbPath, flags.lock, () => warn(t('batch:export.waiting', { cache: dbPath })));
    const walk = await planWalk(inputs, {
      ...settings.walkOptions,
      onSkip: (p, why) => warn(t('batch:export.skipping', { path: p, why })),
      onUnreadable: (dir, reason) => warn(t('batch:export.unreadable', { dir, reason })),
    });
    const { shard } = settings;
    const found = await walk.count(shard ? (rel) => inShard(rel, shard) : undefined);
    if (found.found === 0) throw new NoInput(t('batch:export.nothing', { inputs: inputsLabel(paths, flags) }));
    const files = new RequestFiles(target.first, { maxRequests: flags.maxRequests, maxBytes: flags.maxBytes }, target.cwd);
    let exported: Exported;
    try {
      const counts = await runExport({
        ...settings, files: shard ? shardOf(walk.files(), shard) : walk.files(),
        retryFailed: !!flags.retryFailed, flavor: { given: flags.flavor, resolved: flavor }, model,
      }, cache, { isPending: (id) => batches.isPending(id), add: (id, line) => files.add(id, line) }, interrupts);
      exported = interrupts.stop.aborted
        ? { counts, files: [], flavor, interrupted: true }
        : { counts, files: await files.commit(), flavor, interrupted: false };
      if (exported.interrupted) await files.discard();
    } catch (error) {
      await files.discard();
      throw error;
    }
    return await use(exported, { cache, batches });
  } finally {
    interrupts.release();
    cache.close();
    await unlock();
  }
}

/** The export's summary lines (stderr), and its failures, a line each; `submittedTo`: batch submit's service. */
export function describeExport(e: Exported, submittedTo?: string): string[] {
  const { counts } = e;
  const values = {
    requests: t('batch:export.requests', { count: counts.requests }),
    files: t('batch:export.files', { count: e.files.length }),
    cached: t('batch:export.rows', { count: counts.cached }),
    pending: counts.pending ? t('batch:export.pending', { count: counts.pending }) : '',
    failed: counts.failed.length ? t('batch:export.failed', { count: counts.failed.length }) : '',
  };
  const lines = [submittedTo === undefined ? t('batch:export.wrote', values) : t('batch:export.submitted', { ...values, endpoint: submittedTo })];
  for (const f of counts.failed.slice(0, 50)) {
    lines.push(f.page === null ? t('batch:export.failure', { path: f.path, error: f.error }) : t('batch:export.failure_page', { path: f.path, page: f.page, error: f.error }));
  }
  if (counts.failed.length > 50) lines.push(t('batch:more', { count: counts.failed.length - 50 }));
  return lines;
}
