// `catalog --dry-run`: the plan of a run (files, what the cache answers, pages, requests, prompt
// tokens, a time from this cache's past runs), with no request, no cache write and no catalog.
// The cache is opened read-only (a missing one is an empty one, not created); no lock is taken.
import { existsSync } from 'node:fs';
import { openReadOnly } from '../cache/existing.js';
import { lastLocalJob } from '../cache/jobs.js';
import { defaultCachePath, openDatabase } from '../cache/open.js';
import { runPace, type RunPace } from '../cache/run-pace.js';
import { CacheStore } from '../cache/store.js';
import type { CatalogOptions } from '../config/options.js';
import { planRun, type DryRunPlan } from '../pipeline/dry-run.js';
import { fingerprint, jobSpec, stableJson } from '../pipeline/fingerprint.js';
import { JobCache } from '../pipeline/job-cache.js';
import { inShard, shardOf } from '../pipeline/shard.js';
import { planWalk } from '../pipeline/walk.js';
import { placeholders } from '../prompt/template.js';
import { ExitCode, NoInput, UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
import { backendKind, type BackendKind } from './catalog-backend.js';
import { inputPaths, nothingFound } from './catalog-inputs.js';
import { jobSettings, type JobSettings } from './catalog-job.js';
import { INFER_MODEL } from './defaults.js';
import type { CliIO } from './io.js';

/** The job a run would use: exact for a server; for the local engine, the last local job with the same settings. */
async function jobOf(kind: BackendKind, flags: CatalogOptions, settings: JobSettings, store: CacheStore): Promise<string | undefined> {
  const { template, variables, generation, preprocess } = settings;
  if (kind === 'openai') {
    const model = flags.model ?? (flags.flavor === 'infer' ? INFER_MODEL : undefined);
    if (!model) throw new UsageError(t('dryrun:model.required'));
    const { openaiFingerprint } = await import('../backends/openai/index.js');
    return fingerprint(jobSpec(openaiFingerprint(flags.flavor, model), template, variables, generation, preprocess));
  }
  const ours = stableJson({ ...jobSpec({}, template, variables, generation, preprocess), backend: null });
  return lastLocalJob(store.db, (spec) => stableJson({ ...spec, backend: null }) === ours);
}

interface Report extends DryRunPlan {
  /** Estimated seconds, from past runs; null when there are none. */
  estimatedSeconds: number | null;
  pastRuns: number;
}

function duration(seconds: number): string {
  if (seconds < 90) return t('dryrun:duration.s', { n: Math.round(seconds) });
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? t('dryrun:duration.min', { n: minutes }) : t('dryrun:duration.h', { h: Math.floor(minutes / 60), min: minutes % 60 });
}

function describe(r: Report, pace: RunPace | undefined): string[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  const time = pace === undefined || r.estimatedSeconds === null
    ? t('dryrun:time.none')
    : t('dryrun:time', {
      duration: duration(r.estimatedSeconds), seconds: pace.secondsPerRequest.toFixed(2), runs: pace.runs,
      ofJob: pace.sameJob ? t('dryrun:time.ofJob') : '',
    });
  return [
    t('dryrun:title'),
    t('dryrun:files', { n: n(r.files) }),
    ...(r.pages ? [t('dryrun:pages', { n: n(r.pages) })] : []),
    t('dryrun:cached', { n: n(r.cached) }),
    ...(r.failing ? [t('dryrun:failing', { n: n(r.failing) })] : []),
    t('dryrun:requests', { n: n(r.requests) }),
    t('dryrun:tokens', { n: n(r.promptTokens) }),
    time,
  ];
}

export async function dryRun(paths: string[], label: string, flags: CatalogOptions, io: CliIO): Promise<ExitCode> {
  const warn = (message: string): void => {
    if (!flags.quiet) io.stderr.write(`${t('cli:error.prefix', { message })}\n`);
  };
  const kind = backendKind(flags);
  const settings = jobSettings(flags, kind, io, warn);
  const inputs = await inputPaths(paths, flags, io);
  const dbPath = flags.cache ?? defaultCachePath(io.env);
  // Read only: a dry run changes nothing, and a cache that is not there is not created.
  const store = new CacheStore(existsSync(dbPath) ? openReadOnly(dbPath, 'cache').db : openDatabase(':memory:'));
  try {
    let unreadable = 0;
    const walk = await planWalk(inputs, {
      ...settings.walkOptions,
      onSkip: (p, why) => warn(`skipping ${p}: ${why}`),
      onUnreadable: () => void unreadable++,
    });
    const { shard } = settings;
    const found = await walk.count(shard ? (rel) => inShard(rel, shard) : undefined);
    if (found.found === 0 && !flags.allowEmpty) throw new NoInput(nothingFound(label, flags, unreadable));
    const jobId = await jobOf(kind, flags, settings, store);
    const cache = new JobCache(store, {
      // No job: nothing is answered (--refresh, or a local model this cache has not used with these settings).
      jobId: flags.refresh ? '' : jobId ?? '', pages: settings.pages, usesPageText: placeholders(settings.template.body).includes('page_text'),
      retryFailed: !!flags.retryFailed, refresh: !!flags.refresh, cutOff: () => false,
    });
    const plan = await planRun({
      files: shard ? shardOf(walk.files(), shard) : walk.files(),
      template: settings.template, lang: settings.lang, variables: settings.variables, pages: settings.pages,
      maxPixels: settings.preprocess.maxPixels,
    }, cache);
    const pace = runPace(store.db, jobId ?? '');
    const report: Report = {
      ...plan,
      estimatedSeconds: pace === undefined ? null : Math.round(plan.requests * pace.secondsPerRequest),
      pastRuns: pace?.runs ?? 0,
    };
    if (flags.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else io.stderr.write(`${t('cli:error.prefix', { message: describe(report, pace).join('\n') })}\n`);
    return ExitCode.ok;
  } finally {
    store.close();
  }
}
