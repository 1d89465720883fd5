// batch export's run: catalog's stages (walk, identify, prepare: file-rows.ts, document-rows.ts,
// answers.ts) over the same cache, with one change: an image the cache does not answer is written
// to a request file instead of being sent. Its request is the one the online run would send, and
// its custom_id the key the online answer would be cached under.
import type { Backend, GenerationParams, InferRequest } from '../backends/backend.js';
import { batchLine, openaiFingerprint, type ResolvedFlavor } from '../backends/openai/index.js';
import { ReviewStore } from '../cache/reviews.js';
import type { CacheStore } from '../cache/store.js';
import type { Flavor } from '../config/constants.js';
import type { CatalogRow } from '../emit/columns.js';
import { preprocess, type PreprocessOptions } from '../image/preprocess.js';
import { Documents, type PageOptions } from '../pages/document.js';
import { Answers, type Asker } from '../pipeline/answers.js';
import { DocumentRows } from '../pipeline/document-rows.js';
import { FileRows } from '../pipeline/file-rows.js';
import { fingerprint, jobSpec } from '../pipeline/fingerprint.js';
import { JobCache } from '../pipeline/job-cache.js';
import { newRunStats } from '../pipeline/metrics.js';
import { compileValidator } from '../pipeline/parse.js';
import { RowReviews } from '../pipeline/row-reviews.js';
import { RunControl } from '../pipeline/run-control.js';
import { Rows } from '../pipeline/rows.js';
import type { FileEntry } from '../pipeline/walk.js';
import type { Lang } from '../prompt/render.js';
import { placeholders, type Template } from '../prompt/template.js';
import { FileFailure } from '../support/errors.js';
import { customId } from './custom-id.js';

export interface ExportJob {
  files: AsyncIterable<FileEntry[]>;
  template: Template;
  lang: Lang;
  variables: Record<string, string>;
  generation: GenerationParams;
  preprocess: PreprocessOptions;
  pages: PageOptions;
  retryFailed: boolean;
  /** As given (it is part of the job's fingerprint), and as the requests are written for. */
  flavor: { given: Flavor; resolved: ResolvedFlavor };
  model: string;
}

export interface ExportSink {
  /** Whether a request is already in a batch that has not come back (batch submit leaves it out). */
  isPending(customId: string): boolean;
  add(customId: string, line: string): Promise<void>;
}

export interface ExportCounts {
  job: string;
  /** Images and pages written as requests (identical ones once). */
  requests: number;
  /** Rows the cache answered. */
  cached: number;
  /** Requests left out because a batch not yet imported holds them. */
  pending: number;
  /** Files or pages that failed (unreadable, undecodable, over a limit), with why. */
  failed: { path: string; page: number | null; error: string }[];
}

/** The row error of an image that went to the request file: not a failure. */
const DEFERRED = 'written to a batch file';
/** Files in progress at once, beyond which the walk waits. */
const IN_FLIGHT = 256;
/** Requests built at once: building is quick (the image is already prepared). */
const WRITERS = 16;

/** A backend that only prepares images, as the openai backend does; its answers come from the batch. */
function preparingBackend(job: ExportJob): Backend {
  return {
    kind: 'openai',
    concurrency: WRITERS,
    prepare: (input) => preprocess(input, job.preprocess),
    fingerprint: () => openaiFingerprint(job.flavor.given, job.model),
    infer: () => Promise.reject(new Error('batch export sends no request')),
    close: async () => undefined,
  };
}

export async function runExport(
  job: ExportJob, store: CacheStore, sink: ExportSink, signals: { stop: AbortSignal; abort: AbortSignal },
): Promise<ExportCounts> {
  const backend = preparingBackend(job);
  const spec = jobSpec(backend.fingerprint(), job.template, job.variables, job.generation, job.preprocess);
  const jobId = fingerprint(spec);
  // import finds the prompt, schema and limits of a result's job here.
  store.registerJob(jobId, spec);
  const counts: ExportCounts = { job: jobId, requests: 0, cached: 0, pending: 0, failed: [] };
  const { template } = job;
  const stats = newRunStats(Date.now());
  const control = new RunControl(signals.stop, signals.abort, backend.concurrency);
  const cache = new JobCache(store, {
    jobId, pages: job.pages, usesPageText: placeholders(template.body).includes('page_text'),
    retryFailed: job.retryFailed, refresh: false, cutOff: () => control.signal.aborted || control.interrupted(),
  });
  const validate = template.schema ? compileValidator(template.schema) : undefined;
  const rows = new Rows(template.name, jobId, validate, job.generation.maxTokens);
  const reviews = new RowReviews(new ReviewStore(store.db), jobId, template.fields.length > 0);
  const asker: Asker = async (key: string, request: InferRequest) => {
    const id = customId(jobId, key);
    if (sink.isPending(id)) {
      counts.pending++;
    } else {
      await sink.add(id, batchLine(id, job.flavor.resolved, job.model, request));
      counts.requests++;
    }
    // Files with the same image share this outcome, and its one request.
    throw new FileFailure(DEFERRED);
  };
  const answers = new Answers(backend, cache, control, template, job.generation, validate, stats, asker);
  const documents = new Documents(job.pages);
  const documentRows = new DocumentRows(job, documents, cache, answers, rows, control, stats, reviews);
  const fileRows = new FileRows(job, documents, documentRows, cache, answers, rows, control, reviews);
  const count = (found: CatalogRow[]): void => {
    for (const row of found) {
      if (row.status !== 'error') counts.cached++;
      else if (row.error !== DEFERRED) counts.failed.push({ path: row.SourceFile, page: row.page, error: row.error ?? 'failed' });
    }
  };

  const inFlight = new Set<Promise<void>>();
  try {
    walk: for await (const batch of job.files) {
      const hits = cache.lookupMany(batch);
      for (const [i, file] of batch.entries()) {
        if (control.stopNow()) break walk;
        const known = fileRows.fromCache(file, hits[i]);
        if (known) {
          count(known);
          continue;
        }
        const release = await control.staged.hold();
        const task: Promise<void> = fileRows.catalog(file, release).then(count, (error: unknown) => control.fail(error));
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
        if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
    if (control.fatal) throw control.fatal.error;
  } finally {
    control.cancel(new Error('export ended'));
    await Promise.all(inFlight);
    control.close();
    await documents.close();
  }
  return counts;
}
