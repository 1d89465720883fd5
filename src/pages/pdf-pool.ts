// A few rendering threads, started on the first PDF. A document stays on the
// thread that opened it; new documents go to the least busy thread. A thread
// takes two requests at a time (libvips decodes one's scan while PDFium works
// on the other), and runs one request's PDFium work at a time.
//
// Limits, so that no file can take the machine, and a busy machine does not
// change a row:
// - memory: the run's budget (--render-memory) is split between the threads.
//   Of each thread's share, PDFium's WASM heap may take all but a quarter (its
//   maximum is set in the module before it is compiled: a page that needs
//   more ends in an exception), and the thread's V8 heap is capped at the rest
//   (worker resourceLimits; pdf-lib's reading of the file lives there).
// - CPU: a request may use --render-cpu-limit seconds of its thread's own CPU
//   time. The thread marks on a shared clock whose PDF work it runs and the
//   thread's CPU clock then; the pool reads the thread's CPU clock from
//   /proc/self/task/<tid>/stat (a thread inside a synchronous WASM render
//   cannot answer a message). Where there is no /proc (not Linux) wall time is
//   counted instead.
// A document over a limit is an error row (DocumentLimit) and its thread is
// stopped; the other documents on that thread are reopened on a fresh one.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import PQueue from 'p-queue';
import { workerUrl } from '../support/worker-threads.js';
import { DocumentLimit, TransientFileFailure } from '../support/errors.js';
import { reviveError } from '../support/worker-errors.js';
import { CLOCK, type PdfReply, type PdfRequest, type PdfWorkerData, type RenderedPage } from './pdf-protocol.js';
import { limitMessage, renderBudget, stallSeconds, threadHeaps, type RenderBudget, type RenderLimits } from './pdf-budget.js';
import { hasCpuClock, readClock } from './pdf-thread-clock.js';

type Pending = {
  resolve: (reply: PdfReply) => void;
  reject: (error: unknown) => void;
  /** 'page 3', 'opening the PDF': for a limit's message. */
  what: string;
  onWarnings: ((lines: string[]) => void) | undefined;
};
type Request = PdfRequest extends infer R ? (R extends PdfRequest ? Omit<R, 'id'> : never) : never;

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  queue: PQueue;
  documents: number;
  dead: boolean;
  /** Shared with the thread: see CLOCK. */
  clock: Int32Array;
  epochMs: number;
}

/** The thread went away under a request (another file's limit, a crash): the request may be retried elsewhere. */
class ThreadStopped extends Error {}

export interface PdfDocument {
  readonly pages: number;
  render(page: number, options: { dpi: number; maxPixels: number }): Promise<RenderedPage>;
  close(): Promise<void>;
}

export type { RenderLimits } from './pdf-budget.js';
// In config/constants.ts, so that the command line's options need not load this pool.
export { DEFAULT_RENDER_CPU_LIMIT_S, DEFAULT_RENDER_MEMORY_MB, MIN_THREAD_MEMORY_MB } from '../config/constants.js';

/** How often the pool reads the busy threads' CPU clocks. */
const WATCH_MS = 100;

export class PdfPool {
  private readonly threads: (Thread | undefined)[];
  private readonly budget: RenderBudget;
  private nextId = 0;
  private watcher: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxInputPixels: number,
    size = Math.min(4, os.availableParallelism()),
    /** A number: the CPU limit in ms, as this argument was before there was a memory limit. */
    limits: Partial<RenderLimits> | number = {},
  ) {
    this.budget = renderBudget(size, limits);
    this.threads = Array.from({ length: this.budget.threads }, () => undefined);
  }

  /** Opens one PDF; a file's fault rejects with a FileFailure naming it. What the libraries print about it goes to `onWarning`. */
  async open(data: Buffer, onWarning?: (message: string) => void): Promise<PdfDocument> {
    const doc = { thread: this.thread(this.pick()), id: 0, pages: 0, closed: false, gaveUp: undefined as DocumentLimit | undefined };
    // Each message once per document, however many pages repeat it.
    const seen = new Set<string>();
    const onWarnings = (lines: string[]): void => {
      for (const line of lines) {
        if (seen.has(line)) continue;
        seen.add(line);
        onWarning?.(line);
      }
    };
    const openOn = async (): Promise<void> => {
      // A copy: the thread takes the one it is given, and a reopen needs the bytes again.
      const copy = new Uint8Array(data);
      doc.id = this.nextId++;
      const request = { type: 'open', data: copy, maxInputPixels: this.maxInputPixels } as const;
      const reply = await this.send(doc.thread, request, 'opening the PDF', onWarnings, doc.id, [copy.buffer]);
      if (!('pages' in reply)) throw new Error('unexpected reply to open');
      doc.pages = reply.pages;
    };
    /** Runs `step` on the document's thread; once more on a fresh thread if that thread was stopped for another file. */
    const onLiveThread = async <T>(step: () => Promise<T>): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        // One page over a limit is enough: the rest of the file is not tried.
        if (doc.gaveUp) throw new DocumentLimit(doc.gaveUp.message, doc.gaveUp.limit);
        try {
          return await step();
        } catch (error) {
          if (error instanceof DocumentLimit) doc.gaveUp = error;
          if (!(error instanceof ThreadStopped)) throw error;
          // Stopped twice under it by other files: not this file's fault, so not remembered.
          if (attempt > 0) throw new TransientFileFailure(`the PDF renderer stopped while reading this file (${error.message})`);
          doc.thread.documents--;
          doc.thread = this.thread(this.pick());
          doc.thread.documents++;
          await openOn();
        }
      }
    };
    doc.thread.documents++;
    try {
      await onLiveThread(openOn);
    } catch (error) {
      doc.thread.documents--;
      throw error;
    }
    return {
      pages: doc.pages,
      render: (page, options) =>
        onLiveThread(async () => {
          const request = { type: 'render', doc: doc.id, page, ...options, maxInputPixels: this.maxInputPixels } as const;
          const r = await this.send(doc.thread, request, `page ${page}`, onWarnings);
          if (!('page' in r)) throw new Error('unexpected reply to render');
          return r.page;
        }),
      close: async () => {
        if (doc.closed) return;
        doc.closed = true;
        doc.thread.documents--;
        if (!doc.thread.dead) await this.send(doc.thread, { type: 'close', doc: doc.id }, 'closing the PDF', onWarnings).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.watcher);
    await Promise.all(this.threads.map((t) => t?.worker.terminate()));
  }

  private pick(): number {
    let best = 0;
    let load = Infinity;
    this.threads.forEach((t, i) => {
      const l = t && !t.dead ? t.documents + t.queue.size + t.queue.pending : 0;
      if (l < load) [best, load] = [i, l];
    });
    return best;
  }

  private thread(index: number): Thread {
    const existing = this.threads[index];
    if (existing && !existing.dead) return existing;
    const { url, execArgv } = workerUrl('pdf-worker', import.meta.url);
    const clock = new Int32Array(new SharedArrayBuffer(CLOCK.slots * Int32Array.BYTES_PER_ELEMENT));
    clock[CLOCK.request] = -1;
    const epochMs = Date.now();
    const { v8Mb, wasmMemoryMb } = threadHeaps(this.budget.capMb);
    const workerData: PdfWorkerData = { clock: clock.buffer as SharedArrayBuffer, epochMs, wasmMemoryMb };
    // Its own stdout and stderr: nothing a library prints may land in the catalog or on the terminal raw.
    const worker = new Worker(url, {
      execArgv, stdout: true, stderr: true, workerData, resourceLimits: { maxOldGenerationSizeMb: v8Mb },
    });
    worker.unref();
    const thread: Thread = { worker, pending: new Map(), queue: new PQueue({ concurrency: 2 }), documents: 0, dead: false, clock, epochMs };
    // Output that bypassed the console goes with the request whose PDF work was running, if any.
    const printed = (chunk: Buffer): void => {
      const lines = chunk.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
      thread.pending.get(Atomics.load(clock, CLOCK.request))?.onWarnings?.(lines);
    };
    worker.stdout.on('data', printed);
    worker.stderr.on('data', printed);
    const stopped = (why: string): void => {
      thread.dead = true;
      for (const p of thread.pending.values()) p.reject(new ThreadStopped(why));
      thread.pending.clear();
    };
    worker.on('message', (reply: PdfReply) => {
      const p = thread.pending.get(reply.id);
      // A stopped thread's requests are tried again on a fresh one (see ThreadStopped), whatever it answers.
      if (!p || thread.dead) return;
      thread.pending.delete(reply.id);
      if (reply.warnings?.length) p.onWarnings?.(reply.warnings);
      if (!('error' in reply)) {
        p.resolve(reply);
        return;
      }
      if (reply.error.limit === 'memory') {
        this.overLimit(thread, p, 'memory');
        return;
      }
      p.reject(reviveError(reply.error));
      if (reply.error.broken) this.stop(thread);
    });
    worker.on('error', (error) => {
      // Its heap reached the cap: the request whose PDF work was running is the one that needed it.
      const request = Atomics.load(clock, CLOCK.request);
      const culprit = thread.pending.get(request);
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' && culprit) {
        thread.pending.delete(request);
        this.overLimit(thread, culprit, 'memory');
      }
      stopped(error.message);
    });
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    this.threads[index] = thread;
    return thread;
  }

  /** The request fails with the limit it went over; its thread, perhaps left holding its garbage or still busy, is stopped. */
  private overLimit(thread: Thread, culprit: Pending, limit: 'cpu' | 'memory' | 'stall'): void {
    const message = limitMessage(this.budget, culprit.what, limit, hasCpuClock(thread.clock));
    culprit.reject(new DocumentLimit(message, limit));
    this.stop(thread);
  }

  private stop(thread: Thread): void {
    thread.dead = true;
    void thread.worker.terminate();
  }

  private watch(): void {
    let busy = false;
    for (const thread of this.threads) {
      if (!thread || thread.dead || thread.pending.size === 0) continue;
      busy = true;
      const now = readClock(thread.clock, thread.epochMs);
      const culprit = now && thread.pending.get(now.request);
      if (!now || !culprit) continue;
      const { limits } = this.budget;
      const limit = now.seconds > limits.cpuSeconds ? 'cpu' : now.wall > stallSeconds(limits) ? 'stall' : undefined;
      if (limit === undefined) continue;
      thread.pending.delete(now.request);
      this.overLimit(thread, culprit, limit);
    }
    if (!busy) {
      clearInterval(this.watcher);
      this.watcher = undefined;
    }
  }

  /** One request, queued behind the thread's earlier ones. */
  private send(
    thread: Thread, request: Request, what: string, onWarnings?: (lines: string[]) => void, id = this.nextId++, transfer: ArrayBuffer[] = [],
  ): Promise<PdfReply> {
    return thread.queue.add(() =>
      new Promise<PdfReply>((resolve, reject) => {
        if (thread.dead) {
          reject(new ThreadStopped('stopped before this request'));
          return;
        }
        thread.pending.set(id, { resolve, reject, what, onWarnings });
        if (!this.watcher) {
          this.watcher = setInterval(() => this.watch(), WATCH_MS);
          this.watcher.unref();
        }
        // Requests in flight keep the process alive; an idle pool does not.
        thread.worker.ref();
        thread.worker.postMessage({ ...request, id }, transfer);
      }).finally(() => {
        if (thread.pending.size === 0) thread.worker.unref();
      }),
    );
  }
}
