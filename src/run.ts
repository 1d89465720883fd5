// One catalog run, top-down. The stages live in pipeline/:
//   walk (cli, before the model loads: pipeline/walk.ts, shard.ts)
//   → identify and cache (file-rows.ts: a walked file's stamp or hash; job-cache.ts: this job's view of the cache)
//   → prepare (file-rows.ts reads and hashes; document-rows.ts opens documents and renders pages)
//   → infer (answers.ts: cache, identical images in flight, the backend)
//   → parse (answer.ts, once per answer; rows.ts makes the rows)
//   → store (job-cache.ts) → write rows (ordered-writer.ts, in input order) → tally (tally.ts, progress.ts).
// run-control.ts owns the run's limits and its cancellation. Rows leave in
// input order; work runs concurrently behind them.
import type { Writable } from 'node:stream';
import type { Backend, GenerationParams } from './backends/backend.js';
import { ReviewStore } from './cache/reviews.js';
import type { CacheStore } from './cache/store.js';
import { wantsBom } from './emit/bom.js';
import type { CatalogRow } from './emit/columns.js';
import { fileSink, OutputClosed, stdoutSink, type Sink } from './emit/sink.js';
import { createWriter, type Format } from './emit/writers.js';
import type { PreprocessOptions } from './image/preprocess.js';
import { Documents, type PageOptions } from './pages/document.js';
import { groupPages } from './pages/group.js';
import { Answers } from './pipeline/answers.js';
import { DocumentRows } from './pipeline/document-rows.js';
import { FileRows } from './pipeline/file-rows.js';
import { IdentityBackfill } from './pipeline/identity-backfill.js';
import { fingerprint, jobSpec } from './pipeline/fingerprint.js';
import { JobCache } from './pipeline/job-cache.js';
import type { RunStats } from './pipeline/metrics.js';
import { OrderedWriter } from './pipeline/ordered-writer.js';
import { compileValidator } from './pipeline/parse.js';
import { okCount, type Progress, type Tally } from './pipeline/progress.js';
import { RowReviews } from './pipeline/row-reviews.js';
import { RunControl } from './pipeline/run-control.js';
import { reportConcurrency } from './pipeline/levels.js';
import { Rows } from './pipeline/rows.js';
import { countRows, newTally, tallyCounts } from './pipeline/tally.js';
import type { FileEntry } from './pipeline/walk.js';
import type { Lang } from './prompt/render.js';
import { placeholders, type Template } from './prompt/template.js';
import { ExitCode, exitCodeFor } from './support/errors.js';
import { t } from './i18n/index.js';

export interface CatalogJob {
  /** What the walk finds (this shard's part), in path order, a batch at a time, as the run takes them. */
  files: AsyncIterable<FileEntry[]>;
  /** The walk's first pass's count of them: the progress total until the walk has ended. */
  expectedFiles: number;
  /** Folders below the inputs that could not be listed: the catalog misses their files. */
  unreadable: { dir: string; reason: string }[];
  /** Identifies the inputs across runs (a hash of the resolved paths and the shard). */
  inputsKey: string;
  /** The inputs as the user gave them, for messages. */
  inputsLabel: string;
  template: Template;
  lang: Lang;
  variables: Record<string, string>;
  generation: GenerationParams;
  preprocess: PreprocessOptions;
  refresh: boolean;
  /** Open again the documents whose own failures the cache remembers. */
  retryFailed: boolean;
  /** bom: --bom / --no-bom, else undefined (emit/bom.ts decides by where the CSV goes). */
  output: { file?: string; format: Format; bom?: boolean };
  /** The command line with secrets removed, for the runs table. */
  args: string[];
  /** How long an interrupted run waits for requests in flight. */
  graceMs: number;
  /** Which pages of PDFs and multi-page TIFFs, and how they are rendered. */
  pages: PageOptions;
  /** One row per document, its pages' answers joined. */
  groupPages: boolean;
}

export interface RunContext {
  backend: Backend;
  store: CacheStore;
  stdout: Writable;
  progress: Progress;
  warn: (message: string) => void;
  /** For what must reach a person even under --quiet (a shrunken archive, unreadable folders). */
  loud: (message: string) => void;
  /** First interrupt: take no new work, finish what is in flight. */
  stop: AbortSignal;
  /** Second interrupt: abandon requests in flight now. */
  abort: AbortSignal;
  /** Filled in as the run goes, for --metrics-file; complete also when the run throws. */
  stats: RunStats;
  /** Tells a person the error that ends the run, before its summary (the CLI then does not tell it again). */
  tellError?: (error: unknown) => void;
}

export interface RunOutcome {
  exitCode: ExitCode;
  tally: Tally;
}

export async function runCatalog(job: CatalogJob, ctx: RunContext): Promise<RunOutcome> {
  const { backend, store, stats } = ctx;
  const { template } = job;
  const spec = jobSpec(backend.fingerprint(), template, job.variables, job.generation, job.preprocess);
  const jobId = fingerprint(spec);
  const runId = startRun(job, ctx, jobId, spec);
  const tally = newTally(job.expectedFiles);
  const started = Date.now();

  // The stages, each with one job (see the top of this file).
  const control = new RunControl(ctx.stop, ctx.abort, backend.concurrency);
  backend.onConcurrency?.((n) => control.setInferConcurrency(n));
  const cache = new JobCache(store, {
    jobId, pages: job.pages, usesPageText: placeholders(template.body).includes('page_text'),
    retryFailed: job.retryFailed, refresh: job.refresh, cutOff: () => control.signal.aborted || control.interrupted(),
  });
  const validate = template.schema ? compileValidator(template.schema) : undefined;
  const rows = new Rows(template.name, jobId, validate, job.generation.maxTokens);
  const reviews = new RowReviews(new ReviewStore(store.db), jobId, template.fields.length > 0);
  const answers = new Answers(backend, cache, control, template, job.generation, validate, stats);
  const documents = new Documents(job.pages);
  const documentRows = new DocumentRows(job, documents, cache, answers, rows, control, stats, reviews);
  const backfill = new IdentityBackfill(cache);
  const fileRows = new FileRows(job, documents, documentRows, cache, answers, rows, control, reviews);
  const counted = (found: CatalogRow[]): CatalogRow[] => {
    countRows(tally, found);
    ctx.progress.update(tally);
    return found;
  };

  let sink: Sink | undefined;
  let line: OrderedWriter | undefined;
  let exitCode: ExitCode;
  let failure: { error: unknown } | undefined;
  try {
    sink = job.output.file ? await fileSink(job.output.file) : stdoutSink(ctx.stdout);
    const writer = await createWriter(sink, { format: job.output.format, fields: template.fields, bom: wantsBom(job.output.bom, sink) });
    // One row per file: pages joined (always for exiftool, whose rows are files).
    const group = job.groupPages || job.output.format === 'exiftool';
    line = new OrderedWriter(writer, (r) => (group ? groupPages(r, job.output.format === 'jsonl') : r), Math.max(64, (backend.maxConcurrency ?? backend.concurrency) * 4));
    ctx.progress.start(job.expectedFiles);

    const stopNow = (): boolean => control.stopNow();
    // The walk streams in batches; the cache is asked about each batch in one go as the loop reaches it.
    let walked = 0;
    let walkEnded = true;
    walk: for await (const batch of job.files) {
      walked += batch.length;
      const hits = cache.lookupMany(batch);
      backfill.note(batch, hits);
      for (const [i, file] of batch.entries()) {
        if (stopNow()) {
          walkEnded = false;
          break walk;
        }
        const known = fileRows.fromCache(file, hits[i]);
        if (known) {
          // Mostly no promise: a cached re-run passes here for every file.
          const wait = line.known(counted(known), stopNow);
          if (wait) await wait;
          continue;
        }
        const release = await control.staged.hold();
        if (stopNow()) {
          release();
          walkEnded = false;
          break walk;
        }
        await line.pending(fileRows.catalog(file, release).then(counted, (error: unknown) => {
          // Cut off by an interrupt: this file simply gets no rows.
          if (control.interrupted() && control.signal.aborted && control.fatal === undefined) return undefined;
          control.fail(error);
          throw error;
        }), stopNow);
      }
    }
    if (walkEnded) {
      // Files that vanished, or could not be stat'ed, between the two passes of the walk.
      tally.total += walked - job.expectedFiles;
      stats.filesFound = walked;
    }

    if (stopNow() && control.fatal === undefined) {
      // Interrupted: give requests in flight a bounded time to land in the cache.
      const grace = new Promise((resolve) => setTimeout(resolve, job.graceMs).unref());
      await Promise.race([Promise.all(line.unfinished()), grace]);
      control.abortWork(new Error('interrupted'));
    }
    await Promise.all(line.unfinished());
    if (control.fatal) throw control.fatal.error;
    if (control.stopRequested()) {
      exitCode = ExitCode.interrupted;
      if (sink.atomic) {
        // A file is replaced only by a whole catalog: the old one stays, the answers are in the cache.
        await sink.discard();
      } else {
        // A stream already has the rows before the cut: add what finished, in order.
        await line.finishedAfterCut();
        await sink.commit();
      }
    } else {
      await line.finish();
      const incomplete = tally.failed > 0 || tally.truncated > 0 || job.unreadable.length > 0;
      exitCode = incomplete ? ExitCode.someFailed : ExitCode.ok;
      await sink.commit();
    }
  } catch (error) {
    control.cancel(error);
    await Promise.all(line?.unfinished() ?? []);
    if (!(error instanceof OutputClosed)) {
      failure = { error };
      await sink?.discard();
      store.endRun(runId, tallyCounts(tally), exitCodeFor(error));
      throw error;
    }
    exitCode = ExitCode.ok;
  } finally {
    control.close();
    await documents.close();
    const wire = backend.stats?.();
    Object.assign(stats, {
      rows: { ok: okCount(tally), error: tally.failed, truncated: tally.truncated },
      cached: tally.cached,
      pages: tally.pages,
      requests: wire?.requests ?? answers.requests,
      retries: wire?.retries ?? 0,
    });
    // The error first: a summary line above it would read as the run's outcome.
    ctx.progress.stop(tally, Date.now() - started, () => {
      if (failure) ctx.tellError?.(failure.error);
    });
    reportConcurrency(backend, control, tally, ctx.warn, stats);
    reportUnreadable(job.unreadable, ctx.loud);
  }
  // After the catalog is written: the catalog is never late for it.
  if (exitCode === ExitCode.ok || exitCode === ExitCode.someFailed) await backfill.run(() => ctx.stop.aborted, ctx.warn);
  store.endRun(runId, tallyCounts(tally), exitCode);
  return { exitCode, tally };
}

/**
 * Registers the job and the run in the cache: warns when the archive looks much
 * smaller than last time, and starts (or carries on) a --refresh.
 */
function startRun(job: CatalogJob, ctx: RunContext, jobId: string, spec: unknown): number {
  const { store, stats } = ctx;
  const files = job.expectedFiles;
  store.registerJob(jobId, spec);
  stats.filesFound = files;
  const previous = store.lastFinishedRun(job.inputsKey, jobId);
  if (previous) stats.previousFiles = previous.files;
  // An unmounted share or a renamed folder looks like an archive that shrank overnight.
  if (previous && files < previous.files / 2) {
    ctx.loud(t('cli:catalog.shrunk', {
      count: files, inputs: job.inputsLabel, previous: previous.files.toLocaleString('en-US'), date: new Date(previous.endedAt).toISOString().slice(0, 10),
    }));
  }
  // A --refresh ignores answers older than itself, or than the same --refresh that was cut off.
  let refreshSince: number | null = null;
  if (job.refresh) {
    const resumed = store.unfinishedRefresh(job.inputsKey, jobId);
    refreshSince = resumed ?? Date.now();
    store.ignoreAnswersBefore(refreshSince);
    if (resumed !== undefined) {
      ctx.warn(t('cli:catalog.refreshResumed', { since: new Date(resumed).toISOString() }));
    }
  }
  return store.startRun(job.args, jobId, job.inputsKey, files, refreshSince);
}

/** Even under --quiet: these files are silently missing from the catalog otherwise. */
function reportUnreadable(folders: CatalogJob['unreadable'], loud: (message: string) => void): void {
  if (folders.length === 0) return;
  const shown = folders.slice(0, 20).map((f) => `  ${f.dir} (${f.reason})`);
  if (folders.length > shown.length) shown.push(`  ${t('cli:catalog.unreadable.more', { count: folders.length - shown.length })}`);
  loud(t('cli:catalog.unreadable', { count: folders.length, folders: shown.join('\n') }));
}
