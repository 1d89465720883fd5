// The catalog pipeline: walk → hash → cache → preprocess → infer → parse →
// cache → row. Rows leave in input order; work runs concurrently behind them.
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import type { Writable } from 'node:stream';
import PQueue from 'p-queue';
import { ask, answerValue, type Answer } from './answer.js';
import type { Backend, GenerationParams } from './backends/backend.js';
import type { CacheStore, CachedResult } from './cache/store.js';
import type { CatalogRow } from './emit/columns.js';
import { fileSink, OutputClosed, stdoutSink, type Sink } from './emit/sink.js';
import { createWriter, type Format } from './emit/writers.js';
import { ExitCode, exitCodeFor, FileFailure } from './errors.js';
import { inShard, type Shard } from './shard.js';
import { fingerprint, jobSpec } from './fingerprint.js';
import { readRegularFile, sha256 } from './hash.js';
import { compileValidator } from './parse.js';
import type { PreprocessOptions } from './preprocess.js';
import { okCount, type Progress, type Tally } from './progress.js';
import { renderPrompt, type Lang } from './prompt/render.js';
import type { Template } from './prompt/template.js';
import { Slots } from './slots.js';
import { walk, type FileEntry, type WalkOptions } from './walk.js';

export interface CatalogJob {
  inputs: string[];
  walk: Omit<WalkOptions, 'onSkip'>;
  template: Template;
  lang: Lang;
  variables: Record<string, string>;
  generation: GenerationParams;
  preprocess: PreprocessOptions;
  refresh: boolean;
  output: { file?: string; format: Format; bom: boolean };
  /** The command line with secrets removed, for the runs table. */
  args: string[];
  /** How long an interrupted run waits for requests in flight. */
  graceMs: number;
  /** This machine's part of the walk. */
  shard?: Shard;
}

export interface RunContext {
  backend: Backend;
  store: CacheStore;
  stdout: Writable;
  progress: Progress;
  warn: (message: string) => void;
  /** First interrupt: take no new work, finish what is in flight. */
  stop: AbortSignal;
  /** Second interrupt: abandon requests in flight now. */
  abort: AbortSignal;
}

export interface RunOutcome {
  exitCode: ExitCode;
  tally: Tally;
}

interface Slot {
  row?: CatalogRow;
  /** Settles when the file is done; to no row when an interrupt cut it off. */
  promise?: Promise<CatalogRow | undefined>;
}

export async function runCatalog(job: CatalogJob, ctx: RunContext): Promise<RunOutcome> {
  const { backend, store } = ctx;
  const template = job.template;
  const walked = await walk(job.inputs, { ...job.walk, onSkip: (p, why) => ctx.warn(`skipping ${p}: ${why}`) });
  const shard = job.shard;
  const files = shard ? walked.filter((f) => inShard(f.relativePath, shard)) : walked;
  const spec = jobSpec(backend.fingerprint(), template, job.variables, job.generation, job.preprocess);
  const jobId = fingerprint(spec);
  store.registerJob(jobId, spec);
  const runId = store.startRun(job.args, jobId);

  const validate = template.schema ? compileValidator(template.schema) : undefined;
  const tally: Tally = { done: 0, total: files.length, cached: 0, failed: 0, truncated: 0 };
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
    SourceFile: file.path, sha256: null, bytes: file.size, width: null, height: null, format: null,
    status: 'error', cached: false, error: null, prompt: template.name, model: '',
    output: null, tokens_in: null, tokens_out: null, latency_ms: null,
  });

  const resultRow = (
    row: CatalogRow, sha: string, r: CachedResult, cached: boolean, answer?: Answer, image = store.image(sha),
  ): CatalogRow => {
    const { value, note } = answer ?? answerValue(r.output, r.status, validate, job.generation.maxTokens);
    return {
      ...row, sha256: sha, width: image?.width ?? null, height: image?.height ?? null, format: image?.format ?? null,
      status: r.status, cached, error: note, model: r.model, prompt: r.prompt, output: value,
      tokens_in: r.tokensIn, tokens_out: r.tokensOut, latency_ms: r.latencyMs,
    };
  };

  const hits = job.refresh ? [] : store.lookupMany(files, jobId);

  const prepareQueue = new PQueue({ concurrency: Math.max(2, os.availableParallelism()) });
  const inferQueue = new PQueue({ concurrency: backend.concurrency });
  // Images read or decoded but not yet being inferred.
  const staged = new Slots(Math.max(4, 2 * os.availableParallelism()));
  const inflight = new Map<string, Promise<Answer>>();

  const processMiss = async (file: FileEntry): Promise<CatalogRow> => {
    const row = base(file);
    let holding = true;
    const release = (): void => {
      if (holding) staged.release();
      holding = false;
    };
    try {
      const step = await prepareQueue.add(async () => {
        const data = await readRegularFile(file.fsPath ?? file.path);
        const sha = sha256(data);
        row.sha256 = sha;
        store.rememberHash(file, sha);
        const hit = job.refresh ? undefined : store.result(sha, jobId);
        if (hit) return { kind: 'cached' as const, sha, hit };
        const shared = inflight.get(sha);
        if (shared) return { kind: 'shared' as const, sha, shared };
        let settle!: { resolve: (a: Answer) => void; reject: (e: unknown) => void };
        const promise = new Promise<Answer>((resolve, reject) => (settle = { resolve, reject }));
        promise.catch(() => undefined);
        inflight.set(sha, promise);
        try {
          const prepared = await backend.prepare(data);
          store.rememberImage(sha, { bytes: data.length, ...prepared.source });
          return { kind: 'fresh' as const, sha, prepared, settle, promise };
        } catch (error) {
          inflight.delete(sha);
          settle.reject(error);
          throw error;
        }
      });
      if (step.kind === 'cached') {
        release();
        return resultRow(row, step.sha, step.hit, true);
      }
      if (step.kind === 'shared') {
        release();
        return resultRow(row, step.sha, await step.shared, true);
      }
      const { sha, prepared, settle } = step;
      Object.assign(row, prepared.source);
      try {
        const request = {
          image: prepared.image,
          system: template.system,
          prompt: renderPrompt(template, file, job.lang, job.variables),
          generation: job.generation,
          schema: template.schema,
          schemaName: template.name,
        };
        const answer = await inferQueue.add(() => {
          release();
          return ask(backend, request, validate, template.name, hard.signal);
        }, { signal: hard.signal });
        store.saveResult(sha, jobId, answer);
        settle.resolve(answer);
        return resultRow(row, sha, answer, false, answer);
      } catch (error) {
        settle.reject(error);
        throw error;
      } finally {
        inflight.delete(sha);
        backend.release?.(prepared.image);
      }
    } catch (error) {
      if (!(error instanceof FileFailure)) throw error;
      return { ...row, status: 'error', error: error.message };
    } finally {
      release();
    }
  };

  let sink: Sink | undefined;
  let exitCode: ExitCode;
  const slots: Slot[] = [];
  const unfinished = (): Promise<unknown>[] =>
    slots.flatMap((s) => (s.promise && !s.row ? [s.promise.catch(() => undefined)] : []));
  try {
    sink = job.output.file ? await fileSink(job.output.file) : stdoutSink(ctx.stdout);
    const writer = await createWriter(sink, { format: job.output.format, fields: template.fields, bom: job.output.bom });
    ctx.progress.start(files.length);

    let next = 0;
    const count = (row: CatalogRow): CatalogRow => {
      tally.done++;
      if (row.cached) tally.cached++;
      if (row.status === 'error') tally.failed++;
      if (row.status === 'truncated') tally.truncated++;
      ctx.progress.update(tally);
      return row;
    };
    const flush = async (wait: boolean): Promise<void> => {
      while (next < slots.length) {
        const slot = slots[next] as Slot;
        if (!slot.row) {
          if (!wait || !slot.promise) return;
          await slot.promise.catch(() => undefined);
          if (!slot.row) return;
        }
        const ready: CatalogRow[] = [];
        for (let s = slots[next]; s?.row; s = slots[++next]) {
          ready.push(s.row);
          slots[next] = {};
        }
        await writer.write(ready);
      }
    };
    const window = Math.max(64, backend.concurrency * 4);

    for (const [i, file] of files.entries()) {
      if (stopNow()) break;
      const hit = hits[i];
      if (hit) {
        slots.push({ row: count(resultRow(base(file), hit.sha256, hit.result, true, undefined, hit.image)) });
      } else {
        await staged.acquire();
        if (stopNow()) {
          staged.release();
          break;
        }
        const slot: Slot = {};
        slot.promise = processMiss(file).then(
          (row) => (slot.row = count(row)),
          (error: unknown) => {
            // Cut off by an interrupt: this file simply gets no row.
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
      if (!hit || slots.length - next >= 256) await flush(false);
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
      // Write what finished, in order; unfinished files get no row.
      await writer.write(slots.slice(next).flatMap((s) => (s.row ? [s.row] : [])));
      exitCode = ExitCode.interrupted;
    } else {
      await flush(true);
      exitCode = tally.failed > 0 ? ExitCode.someFailed : ExitCode.ok;
    }
    await sink.commit();
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
    ctx.progress.stop(tally, Date.now() - started);
  }
  store.endRun(runId, tallyCounts(tally), exitCode);
  return { exitCode, tally };
}

function tallyCounts(t: Tally): { total: number; ok: number; cached: number; failed: number } {
  return { total: t.total, ok: okCount(t), cached: t.cached, failed: t.failed };
}
