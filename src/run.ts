// The catalog pipeline: walk → hash → cache → preprocess → infer → parse →
// cache → row. Rows leave in input order; work runs concurrently behind them.
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import type { Writable } from 'node:stream';
import PQueue from 'p-queue';
import { ask, answerValue, type Answer } from './pipeline/answer.js';
import type { Backend, GenerationParams, ImageInput, SourceInfo } from './backends/backend.js';
import type { CacheHit, CacheStore, CachedResult, ImageInfo } from './cache/store.js';
import type { CatalogRow } from './emit/columns.js';
import { fileSink, OutputClosed, stdoutSink, type Sink } from './emit/sink.js';
import { createWriter, type Format } from './emit/writers.js';
import { ExitCode, exitCodeFor, FileFailure, TransientFileFailure } from './support/errors.js';
import { fingerprint, jobSpec } from './pipeline/fingerprint.js';
import { plural } from './support/words.js';
import { readRegularFile, sha256 } from './pipeline/hash.js';
import {
  Documents, kindByName, pageIdentity, pageRecord, renderKey, type Detected, type Document, type DocumentKind, type PageOptions,
} from './pages/document.js';
import { groupPages } from './pages/group.js';
import { PDF_RENDERER } from './pages/pdf-protocol.js';
import { describeSelection, selectPages } from './pages/select.js';
import { compileValidator } from './pipeline/parse.js';
import type { PreprocessOptions } from './image/preprocess.js';
import { okCount, type Progress, type Tally } from './pipeline/progress.js';
import { renderPrompt, type Lang } from './prompt/render.js';
import { placeholders, type Template } from './prompt/template.js';
import { Semaphore } from './support/semaphore.js';
import type { FileEntry } from './pipeline/walk.js';
import type { RunStats } from './pipeline/metrics.js';

export interface CatalogJob {
  /** What the walk found (this shard's part), sorted by path. */
  files: FileEntry[];
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
  output: { file?: string; format: Format; bom: boolean };
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
}

export interface RunOutcome {
  exitCode: ExitCode;
  tally: Tally;
}

interface Slot {
  /** A file's rows: one, or one per page (none when an interrupt cut it off). */
  rows?: CatalogRow[];
  /** Settles when the file is done. */
  promise?: Promise<CatalogRow[] | undefined>;
}

export async function runCatalog(job: CatalogJob, ctx: RunContext): Promise<RunOutcome> {
  const { backend, store, stats } = ctx;
  const template = job.template;
  const files = job.files;
  const spec = jobSpec(backend.fingerprint(), template, job.variables, job.generation, job.preprocess);
  const jobId = fingerprint(spec);
  store.registerJob(jobId, spec);
  stats.filesFound = files.length;
  const previous = store.lastFinishedRun(job.inputsKey, jobId);
  if (previous) stats.previousFiles = previous.files;
  // An unmounted share or a renamed folder looks like an archive that shrank overnight.
  if (previous && files.length < previous.files / 2) {
    ctx.loud(
      `found ${plural(files.length, 'file')}; the last run over ${job.inputsLabel} found ${previous.files.toLocaleString('en-US')}` +
        ` (on ${new Date(previous.endedAt).toISOString().slice(0, 10)}): is a share unmounted or a folder renamed?`,
    );
  }
  // A --refresh ignores answers older than itself, or than the same --refresh that was cut off.
  let refreshSince: number | null = null;
  if (job.refresh) {
    const resumed = store.unfinishedRefresh(job.inputsKey, jobId);
    refreshSince = resumed ?? Date.now();
    store.ignoreAnswersBefore(refreshSince);
    if (resumed !== undefined) {
      ctx.warn(`carrying on the --refresh begun ${new Date(resumed).toISOString()}, which did not finish: answers since then are kept`);
    }
  }
  const runId = store.startRun(job.args, jobId, job.inputsKey, files.length, refreshSince);

  const validate = template.schema ? compileValidator(template.schema) : undefined;
  const tally: Tally = { done: 0, total: files.length, cached: 0, failed: 0, truncated: 0, pages: 0 };
  const started = Date.now();
  const hard = new AbortController();
  // Every queued and in-flight request listens to this one signal.
  setMaxListeners(0, hard.signal);
  const onAbort = (): void => hard.abort(ctx.abort.reason);
  ctx.abort.addEventListener('abort', onAbort, { once: true });
  let fatal: unknown;
  let stopped = false;
  const interrupted = (): boolean => ctx.stop.aborted || ctx.abort.aborted;
  const stopNow = (): boolean => stopped || ctx.stop.aborted || fatal !== undefined;

  const base = (file: FileEntry): CatalogRow => ({
    SourceFile: file.path, page: null, pages: null, sha256: null, bytes: file.size, width: null, height: null, format: null,
    status: 'error', cached: false, error: null, prompt: template.name, model: '',
    output: null, tokens_in: null, tokens_out: null, latency_ms: null,
  });

  const resultRow = (row: CatalogRow, r: CachedResult, cached: boolean, answer?: Answer): CatalogRow => {
    const { value, note } = answer ?? answerValue(r.output, r.status, validate, job.generation.maxTokens);
    return {
      ...row, status: r.status, cached, error: note, model: r.model, prompt: r.prompt, output: value,
      tokens_in: r.tokensIn, tokens_out: r.tokensOut, latency_ms: r.latencyMs,
    };
  };
  const imageFacts = (image: ImageInfo | undefined): Pick<CatalogRow, 'width' | 'height' | 'format'> =>
    ({ width: image?.width ?? null, height: image?.height ?? null, format: image?.format ?? null });

  const hits = store.lookupMany(files, jobId);
  const documents = new Documents(job.pages);
  const usesPageText = placeholders(template.body).includes('page_text');

  const prepareQueue = new PQueue({ concurrency: Math.max(2, os.availableParallelism()) });
  const inferQueue = new PQueue({ concurrency: backend.concurrency });
  // Images read, decoded or rendered but not yet being inferred.
  const staged = new Semaphore(Math.max(4, 2 * os.availableParallelism()));
  // Open documents (each holds its file, and PDFium its parsed objects).
  const openDocuments = new Semaphore(Math.max(2, os.availableParallelism()));
  const inflight = new Map<string, Promise<Answer>>();
  let inferCalls = 0;
  const counted: Pick<Backend, 'infer'> = {
    infer: (request, signal) => {
      inferCalls++;
      return backend.infer(request, signal);
    },
  };

  /**
   * The answer for one image (a file or a page) under its cache key: from the
   * cache, from an identical image already in flight, or from the model. The
   * staged slot is given back once the image is with the model.
   */
  const answerFor = async (
    key: string, input: ImageInput, prompt: string, release: () => void,
    remember: (source: SourceInfo) => void,
  ): Promise<{ result: CachedResult; cached: boolean; answer?: Answer }> => {
    const step = await prepareQueue.add(async () => {
      const hit = store.result(key, jobId);
      if (hit) return { kind: 'cached' as const, hit };
      const shared = inflight.get(key);
      if (shared) return { kind: 'shared' as const, shared };
      let settle!: { resolve: (a: Answer) => void; reject: (e: unknown) => void };
      const promise = new Promise<Answer>((resolve, reject) => (settle = { resolve, reject }));
      promise.catch(() => undefined);
      inflight.set(key, promise);
      try {
        const prepared = await backend.prepare(input);
        remember(prepared.source);
        return { kind: 'fresh' as const, prepared, settle };
      } catch (error) {
        inflight.delete(key);
        settle.reject(error);
        throw error;
      }
    });
    if (step.kind === 'cached') return { result: step.hit, cached: true };
    if (step.kind === 'shared') {
      release();
      return { result: await step.shared, cached: true };
    }
    const { prepared, settle } = step;
    try {
      const request = {
        image: prepared.image, system: template.system, prompt, generation: job.generation,
        schema: template.schema, schemaName: template.name,
      };
      const answer = await inferQueue.add(() => {
        release();
        return ask(counted, request, validate, template.name, hard.signal);
      }, { signal: hard.signal });
      store.saveResult(key, jobId, answer);
      stats.tokensIn += answer.tokensIn ?? 0;
      stats.tokensOut += answer.tokensOut ?? 0;
      settle.resolve(answer);
      return { result: answer, cached: false, answer };
    } catch (error) {
      settle.reject(error);
      // Not this file's fault (wrong settings, servers gone): stop queued requests before p-queue starts the next.
      if (!(error instanceof FileFailure)) hard.abort(error);
      throw error;
    } finally {
      inflight.delete(key);
      backend.release?.(prepared.image);
    }
  };

  /** A staged slot held by one image, given back at most once. */
  const holdSlot = (): (() => void) => {
    let holding = true;
    return () => {
      if (holding) staged.release();
      holding = false;
    };
  };

  const failedRow = (row: CatalogRow, error: unknown): CatalogRow => {
    if (!(error instanceof FileFailure)) throw error;
    return { ...row, status: 'error', error: error.message };
  };

  /** The same error row as when the failure was met, from the cache. */
  const cachedFailure = (row: CatalogRow, error: string): CatalogRow => ({ ...row, status: 'error', cached: true, error });

  /** A remembered failure of a document (page 0) or page under this run's render settings, unless retrying them. */
  const knownFailure = (sha: string, render: string, page: number): string | undefined =>
    job.retryFailed ? undefined : store.failure(sha, render, page);

  /**
   * Remembers a failure met opening or rendering a document when it is the file's own: a FileFailure
   * from the renderer, the TIFF decoder or the limits. Not a TransientFileFailure (the renderer
   * stopped under it), nothing else (interrupts, internal errors), and nothing in a run being cut off.
   */
  const remember = (sha: string, render: string, page: number, error: unknown): void => {
    const own = error instanceof FileFailure && !(error instanceof TransientFileFailure);
    if (own && !hard.signal.aborted && !interrupted()) store.rememberFailure(sha, render, page, error.message);
  };

  /** It worked this time. Only a retry can meet a remembered failure, so only a retry writes (not every page rendered). */
  const forget = (sha: string, render: string, page: number): void => {
    if (job.retryFailed || job.refresh) store.forgetFailure(sha, render, page);
  };

  /**
   * A document's rows when the cache knows them all, without reading the file: every selected page
   * answered or failed before, or the selection itself refused (from the remembered page count), or
   * the document failed to open before.
   */
  const cachedDocument = (file: FileEntry, sha: string, kind: DocumentKind): CatalogRow[] | undefined => {
    const count = store.documentPages(sha);
    const rows = count === undefined ? undefined : cachedPages(file, sha, kind, count);
    if (rows) return rows;
    const failed = knownFailure(sha, failureKey(kind, job.pages), 0);
    return failed === undefined ? undefined : [cachedFailure({ ...base(file), sha256: sha, format: kind }, failed)];
  };

  const cachedPages = (file: FileEntry, sha: string, kind: DocumentKind, count: number): CatalogRow[] | undefined => {
    let selected: number[];
    try {
      selected = selectedPages(count);
    } catch (error) {
      // A refused selection is decided by the page count: retrying counts the pages again.
      if (job.retryFailed || job.refresh) return undefined;
      return [{ ...failedRow({ ...base(file), sha256: sha, format: kind, pages: count }, error), cached: true }];
    }
    const render = renderKey(kind, job.pages);
    const failKey = failureKey(kind, job.pages);
    const rows: CatalogRow[] = [];
    for (const page of selected) {
      const record = store.page(sha, render, page);
      const result = record && store.result(pageIdentity(record, usesPageText), jobId);
      const failed = result ? undefined : knownFailure(sha, failKey, page);
      if (record && result) rows.push(resultRow(pageRow(file, sha, page, count, kind, record), result, true));
      else if (failed !== undefined) rows.push(cachedFailure(pageRow(file, sha, page, count, kind), failed));
      else return undefined;
    }
    return rows;
  };

  const selectedPages = (count: number): number[] => {
    const selected = selectPages(job.pages.pages, count);
    if (count === 0) throw new FileFailure('the document has no pages');
    if (selected.length === 0) {
      throw new FileFailure(`--pages ${describeSelection(job.pages.pages)} selects none of its ${plural(count, 'page')}`);
    }
    if (selected.length > job.pages.maxPages) {
      throw new FileFailure(
        `${plural(selected.length, 'page')} selected, more than --max-pages ${job.pages.maxPages}` +
          (selected.length < count ? ` (the document has ${count})` : ''),
      );
    }
    return selected;
  };

  const pageRow = (
    file: FileEntry, sha: string, page: number, pages: number, kind: DocumentKind, size?: { width: number; height: number },
  ): CatalogRow => ({
    ...base(file), sha256: sha, page, pages, format: kind, width: size?.width ?? null, height: size?.height ?? null,
  });

  /** Every selected page of an open document, each through the cache and the model, in page order. */
  const catalogPages = async (file: FileEntry, sha: string, doc: Document): Promise<CatalogRow[]> => {
    // Before the selection is checked: a refused one is then answered from the cache next time.
    store.rememberDocument(sha, doc.pages);
    const selected = selectedPages(doc.pages);
    const render = renderKey(doc.kind, job.pages);
    const failKey = failureKey(doc.kind, job.pages);
    const tasks: Promise<CatalogRow>[] = [];
    // Not a file's fault (the servers are gone, an abort): no more pages, and the run stops once all have settled.
    let failure: { error: unknown } | undefined;
    for (const page of selected) {
      if (stopNow() || failure) break;
      const row = pageRow(file, sha, page, doc.pages, doc.kind);
      const known = store.page(sha, render, page);
      const hit = known && store.result(pageIdentity(known, usesPageText), jobId);
      if (known && hit) {
        tasks.push(Promise.resolve(resultRow({ ...row, width: known.width, height: known.height }, hit, true)));
        continue;
      }
      const failed = hit ? undefined : knownFailure(sha, failKey, page);
      if (failed !== undefined) {
        tasks.push(Promise.resolve(cachedFailure(row, failed)));
        continue;
      }
      await staged.acquire();
      const release = holdSlot();
      if (failure) {
        release();
        break;
      }
      const task = (async () => {
        try {
          const rendered = await prepareQueue.add(() => doc.renderPage(page), { signal: hard.signal }).catch((error: unknown) => {
            remember(sha, failKey, page, error);
            throw error;
          });
          forget(sha, failKey, page);
          const record = pageRecord(rendered);
          store.rememberPage(sha, render, page, record);
          Object.assign(row, { width: record.width, height: record.height });
          const key = pageIdentity(record, usesPageText);
          const prompt = renderPrompt(template, file, job.lang, job.variables, { page_text: rendered.text });
          const out = await answerFor(key, rendered.image, prompt, release, () =>
            store.rememberImage(key, { bytes: rendered.image.pixels.byteLength, width: record.width, height: record.height, format: doc.kind }));
          return resultRow(row, out.result, out.cached, out.answer);
        } catch (error) {
          return failedRow(row, error);
        } finally {
          release();
        }
      })();
      task.catch((error: unknown) => (failure ??= { error }));
      tasks.push(task);
    }
    // Every page settles before the document is closed under them.
    const settled = await Promise.allSettled(tasks);
    if (failure) throw failure.error;
    const rows = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    // Cut off by an interrupt: the finished pages are cached, the file gets no rows this time.
    return rows.length < selected.length ? [] : rows;
  };

  /** A document's rows; the caller holds an open-document slot. */
  const catalogDocument = async (file: FileEntry, sha: string, detected: Detected, data: Buffer): Promise<CatalogRow[]> => {
    // Unchanged but touched, copied or renamed: the pages are known.
    const known = cachedDocument(file, sha, detected.kind);
    if (known) return known;
    const failKey = failureKey(detected.kind, job.pages);
    let doc: Document | undefined;
    try {
      stats.documentsOpened++;
      doc = await documents.open(data, detected).catch((error: unknown) => {
        remember(sha, failKey, 0, error);
        throw error;
      });
      forget(sha, failKey, 0);
      return await catalogPages(file, sha, doc);
    } catch (error) {
      return [failedRow({ ...base(file), sha256: sha, format: detected.kind, pages: doc?.pages ?? null }, error)];
    } finally {
      await doc?.close();
    }
  };

  const processMiss = async (file: FileEntry): Promise<CatalogRow[]> => {
    const row = base(file);
    let release = holdSlot();
    // A document's pages take staged slots of their own; the document itself waits for an
    // open-document slot, before it is read when its name says what it is.
    let documentSlot = false;
    const holdDocument = async (): Promise<void> => {
      release();
      if (!documentSlot) await openDocuments.acquire();
      documentSlot = true;
    };
    try {
      // TIFFs are mostly single images: only a PDF waits for its slot unread.
      if (kindByName(file.path) === 'pdf') await holdDocument();
      // Interrupted while it waited: no row, as for any file not started.
      if (stopNow()) return [];
      const { data, sha } = await prepareQueue.add(async () => {
        const data = await readRegularFile(file.fsPath ?? file.path);
        return { data, sha: sha256(data) };
      }, { signal: hard.signal });
      row.sha256 = sha;
      store.rememberHash(file, sha);
      const detected = await documents.detect(data, file.path);
      if (detected) {
        await holdDocument();
        if (stopNow()) return [];
        return await catalogDocument(file, sha, detected, data);
      }
      if (documentSlot) {
        // A one-page TIFF: an image after all.
        openDocuments.release();
        documentSlot = false;
        await staged.acquire();
        release = holdSlot();
      }
      const prompt = renderPrompt(template, file, job.lang, job.variables);
      const out = await answerFor(sha, data, prompt, release, (source) =>
        store.rememberImage(sha, { bytes: data.length, ...source }));
      return [resultRow({ ...row, ...imageFacts(store.image(sha)) }, out.result, out.cached, out.answer)];
    } catch (error) {
      return [failedRow(row, error)];
    } finally {
      release();
      if (documentSlot) openDocuments.release();
    }
  };

  /** Rows for a file the walk found, when the cache alone can give them. */
  const fromCache = (file: FileEntry, hit: CacheHit | undefined): CatalogRow[] | undefined => {
    if (hit) return [resultRow({ ...base(file), sha256: hit.sha256, ...imageFacts(hit.image) }, hit.result, true)];
    const kind = kindByName(file.path);
    const sha = kind && store.knownHash(file);
    if (!kind || !sha) return undefined;
    return cachedDocument(file, sha, kind);
  };

  let sink: Sink | undefined;
  let exitCode: ExitCode;
  const slots: Slot[] = [];
  const unfinished = (): Promise<unknown>[] =>
    slots.flatMap((s) => (s.promise && !s.rows ? [s.promise.catch(() => undefined)] : []));
  // One row per file: pages joined (always for exiftool, whose rows are files).
  const group = job.groupPages || job.output.format === 'exiftool';
  const shape = (rows: CatalogRow[]): CatalogRow[] => (group ? groupPages(rows, job.output.format === 'jsonl') : rows);
  try {
    sink = job.output.file ? await fileSink(job.output.file) : stdoutSink(ctx.stdout);
    const writer = await createWriter(sink, { format: job.output.format, fields: template.fields, bom: job.output.bom });
    ctx.progress.start(files.length);

    let next = 0;
    const count = (rows: CatalogRow[]): CatalogRow[] => {
      // A document counts as many items as it has rows (an interrupted one still counts as one, not done).
      tally.total += Math.max(1, rows.length) - 1;
      for (const row of rows) {
        tally.done++;
        if (row.page !== null) tally.pages++;
        if (row.cached) tally.cached++;
        if (row.status === 'error') tally.failed++;
        if (row.status === 'truncated') tally.truncated++;
      }
      ctx.progress.update(tally);
      return rows;
    };
    const flush = async (wait: boolean): Promise<void> => {
      while (next < slots.length) {
        const slot = slots[next] as Slot;
        if (!slot.rows) {
          if (!wait || !slot.promise) return;
          await slot.promise.catch(() => undefined);
          if (!slot.rows) return;
        }
        const ready: CatalogRow[] = [];
        for (let s = slots[next]; s?.rows; s = slots[++next]) {
          ready.push(...shape(s.rows));
          slots[next] = {};
        }
        await writer.write(ready);
      }
    };
    const window = Math.max(64, backend.concurrency * 4);

    for (const [i, file] of files.entries()) {
      if (stopNow()) break;
      const known = fromCache(file, hits[i]);
      if (known) {
        slots.push({ rows: count(known) });
      } else {
        await staged.acquire();
        if (stopNow()) {
          staged.release();
          break;
        }
        const slot: Slot = {};
        slot.promise = processMiss(file).then(
          (rows) => (slot.rows = count(rows)),
          (error: unknown) => {
            // Cut off by an interrupt: this file simply gets no rows.
            if (interrupted() && hard.signal.aborted && fatal === undefined) return undefined;
            fatal ??= error;
            hard.abort(error);
            throw error;
          },
        );
        slot.promise.catch(() => undefined);
        slots.push(slot);
      }
      // A run of cached rows is written in batches; anything else at once.
      if (!known || slots.length - next >= 256) await flush(false);
      while (slots.length - next > window && !stopNow()) await flush(true);
    }

    if (stopNow() && fatal === undefined) {
      // Interrupted: give requests in flight a bounded time to land in the cache.
      const grace = new Promise((resolve) => setTimeout(resolve, job.graceMs).unref());
      await Promise.race([Promise.all(unfinished()), grace]);
      hard.abort(new Error('interrupted'));
    }
    await Promise.all(unfinished());
    if (fatal !== undefined) throw fatal;
    if (ctx.stop.aborted) {
      exitCode = ExitCode.interrupted;
      if (sink.atomic) {
        // A file is replaced only by a whole catalog: the old one stays, the answers are in the cache.
        await sink.discard();
      } else {
        // A stream already has the rows before the cut: add what finished, in order.
        await writer.write(slots.slice(next).flatMap((s) => (s.rows ? shape(s.rows) : [])));
        await sink.commit();
      }
    } else {
      await flush(true);
      const incomplete = tally.failed > 0 || tally.truncated > 0 || job.unreadable.length > 0;
      exitCode = incomplete ? ExitCode.someFailed : ExitCode.ok;
      await sink.commit();
    }
  } catch (error) {
    stopped = true;
    hard.abort(error);
    await Promise.all(unfinished());
    if (!(error instanceof OutputClosed)) {
      await sink?.discard();
      store.endRun(runId, tallyCounts(tally), exitCodeFor(error));
      throw error;
    }
    exitCode = ExitCode.ok;
  } finally {
    ctx.abort.removeEventListener('abort', onAbort);
    prepareQueue.clear();
    inferQueue.clear();
    await documents.close();
    const wire = backend.stats?.();
    Object.assign(stats, {
      rows: { ok: okCount(tally), error: tally.failed, truncated: tally.truncated },
      cached: tally.cached,
      pages: tally.pages,
      requests: wire?.requests ?? inferCalls,
      retries: wire?.retries ?? 0,
    });
    ctx.progress.stop(tally, Date.now() - started);
    reportUnreadable(job.unreadable, ctx.loud);
  }
  store.endRun(runId, tallyCounts(tally), exitCode);
  return { exitCode, tally };
}

/**
 * The settings a remembered failure of a document depends on: the render key and every other
 * rendering setting (such as a time or memory limit), but not the page selection, which is
 * checked again against the remembered page count. The glm-vision version is not part of it,
 * but the renderer is: a PDF that failed under pdf.js gets one try with PDFium.
 */
function failureKey(kind: DocumentKind, options: PageOptions): string {
  const { pages: _pages, maxPages: _maxPages, dpi: _dpi, maxPixels: _maxPixels, maxInputPixels: _maxInputPixels, ...limits } = options;
  // Values only: a callback (a warning sink, say) is no setting.
  const rest = Object.entries(limits)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `, ${k} ${String(v)}`)
    .join('');
  return `${renderKey(kind, options)}${rest}${kind === 'pdf' ? `, ${PDF_RENDERER}` : ''}`;
}

/** Even under --quiet: these files are silently missing from the catalog otherwise. */
function reportUnreadable(folders: CatalogJob['unreadable'], loud: (message: string) => void): void {
  if (folders.length === 0) return;
  const shown = folders.slice(0, 20).map((f) => `  ${f.dir} (${f.reason})`);
  if (folders.length > shown.length) shown.push(`  … and ${folders.length - shown.length} more`);
  const them = folders.length === 1 ? 'it' : 'them';
  loud(`${plural(folders.length, 'folder')} could not be read; the files in ${them} are not in the catalog:\n${shown.join('\n')}`);
}

function tallyCounts(t: Tally): { total: number; ok: number; cached: number; failed: number } {
  return { total: t.total, ok: okCount(t), cached: t.cached, failed: t.failed };
}
