// A few rendering threads, started on the first PDF. A document stays on the
// thread that opened it; new documents go to the least busy thread. A thread
// takes two requests at a time (one decodes in libvips while pdf.js works on
// the other), no more, so a time limit measures little but the request itself.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import PQueue from 'p-queue';
import { workerUrl } from '../worker-threads.js';
import { FileFailure } from '../errors.js';
import type { PdfReply, PdfRequest, RenderedPage } from './pdf-protocol.js';

type Pending = { resolve: (reply: PdfReply) => void; reject: (error: unknown) => void };
type Request = PdfRequest extends infer R ? (R extends PdfRequest ? Omit<R, 'id'> : never) : never;

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  queue: PQueue;
  documents: number;
  dead: boolean;
}

/** The thread went away under a request (another file's time limit, a crash): the request may be retried elsewhere. */
class ThreadStopped extends Error {}

/** This file kept pdf.js busy past the limit: the file fails, its thread is stopped. */
class TimedOut extends FileFailure {}

export interface PdfDocument {
  readonly pages: number;
  render(page: number, options: { dpi: number; maxPixels: number }): Promise<RenderedPage>;
  close(): Promise<void>;
}

/** How long opening a PDF or rendering one page may take before its thread is stopped (a pathological file). */
const PDF_TIMEOUT_MS = 120_000;

export class PdfPool {
  private readonly threads: (Thread | undefined)[];
  private nextId = 0;

  constructor(
    private readonly maxInputPixels: number,
    size = Math.min(4, os.availableParallelism()),
    private readonly timeoutMs = PDF_TIMEOUT_MS,
  ) {
    this.threads = Array.from({ length: Math.max(1, size) }, () => undefined);
  }

  /** Opens one PDF; a file's fault rejects with a FileFailure naming it. */
  async open(data: Buffer): Promise<PdfDocument> {
    const doc = { thread: this.thread(this.pick()), id: 0, pages: 0, closed: false, gaveUp: undefined as string | undefined };
    const openOn = async (): Promise<void> => {
      // A copy: pdf.js takes ownership of what it is given, and a reopen needs the bytes again.
      const copy = new Uint8Array(data);
      doc.id = this.nextId++;
      const reply = await this.send(doc.thread, { type: 'open', data: copy, maxInputPixels: this.maxInputPixels }, 'opening the PDF', doc.id, [copy.buffer]);
      if (!('pages' in reply)) throw new Error('unexpected reply to open');
      doc.pages = reply.pages;
    };
    /** Runs `step` on the document's thread; once more on a fresh thread if that thread was stopped for another file. */
    const onLiveThread = async <T>(step: () => Promise<T>): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        // One page past the limit is enough: the rest of the file is not tried.
        if (doc.gaveUp !== undefined) throw new FileFailure(doc.gaveUp);
        try {
          return await step();
        } catch (error) {
          if (error instanceof TimedOut) doc.gaveUp = error.message;
          if (!(error instanceof ThreadStopped)) throw error;
          if (attempt > 0) throw new FileFailure(`the PDF renderer stopped while reading this file (${error.message})`);
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
          const r = await this.send(doc.thread, { type: 'render', doc: doc.id, page, ...options, maxInputPixels: this.maxInputPixels }, `page ${page}`);
          if (!('page' in r)) throw new Error('unexpected reply to render');
          return r.page;
        }),
      close: async () => {
        if (doc.closed) return;
        doc.closed = true;
        doc.thread.documents--;
        if (!doc.thread.dead) await this.send(doc.thread, { type: 'close', doc: doc.id }, 'closing the PDF').catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
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
    // Its own stdout: nothing pdf.js prints may land in the catalog on our stdout.
    const worker = new Worker(url, { execArgv, stdout: true });
    worker.stdout.pipe(process.stderr);
    worker.unref();
    const thread: Thread = { worker, pending: new Map(), queue: new PQueue({ concurrency: 2 }), documents: 0, dead: false };
    const stopped = (why: string): void => {
      thread.dead = true;
      for (const p of thread.pending.values()) p.reject(new ThreadStopped(why));
      thread.pending.clear();
    };
    worker.on('message', (reply: PdfReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (!('error' in reply)) p.resolve(reply);
      else p.reject(reply.error.fileFault ? new FileFailure(reply.error.message) : new Error(reply.error.message));
    });
    worker.on('error', (error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    this.threads[index] = thread;
    return thread;
  }

  /** One request, queued behind the thread's earlier ones, with its own time limit. */
  private send(thread: Thread, request: Request, what: string, id = this.nextId++, transfer: ArrayBuffer[] = []): Promise<PdfReply> {
    return thread.queue.add(() => {
      let timer: NodeJS.Timeout | undefined;
      return new Promise<PdfReply>((resolve, reject) => {
        if (thread.dead) {
          reject(new ThreadStopped('stopped before this request'));
          return;
        }
        thread.pending.set(id, { resolve, reject });
        // pdf.js cannot be interrupted: a file that keeps it busy this long costs its thread.
        timer = setTimeout(() => {
          thread.pending.delete(id);
          reject(new TimedOut(`${what} took longer than ${this.timeoutMs / 1000} s; the PDF renderer gave up on this file`));
          void thread.worker.terminate();
        }, this.timeoutMs);
        timer.unref();
        // Requests in flight keep the process alive; an idle pool does not.
        thread.worker.ref();
        thread.worker.postMessage({ ...request, id }, transfer);
      }).finally(() => {
        clearTimeout(timer);
        if (thread.pending.size === 0) thread.worker.unref();
      });
    });
  }
}
