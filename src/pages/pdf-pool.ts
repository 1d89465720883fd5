// A few rendering threads, started on the first PDF. A document stays on the
// thread that opened it; new documents go to the least busy thread.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../backends/onnx/preprocess-pool.js';
import { FileFailure } from '../errors.js';
import type { PdfReply, PdfRequest, RenderedPage } from './pdf-protocol.js';

type Pending = { resolve: (reply: PdfReply) => void; reject: (error: unknown) => void };
type Request = PdfRequest extends infer R ? (R extends PdfRequest ? Omit<R, 'id'> : never) : never;

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  documents: number;
  dead: boolean;
}

export interface PdfDocument {
  readonly pages: number;
  render(page: number, options: { dpi: number; maxPixels: number }): Promise<RenderedPage>;
  close(): Promise<void>;
}

/** How long opening a PDF or rendering one page may take before its thread is stopped (a pathological file). */
export const PDF_TIMEOUT_MS = 120_000;

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
    const index = this.pick();
    const thread = this.thread(index);
    // A copy: the pipeline keeps its buffer, and pdf.js takes ownership of what it is given.
    const copy = new Uint8Array(data);
    const id = this.nextId++;
    const reply = await this.send(thread, { type: 'open', data: copy, maxInputPixels: this.maxInputPixels }, 'opening the PDF', id, [copy.buffer]);
    if (!('pages' in reply)) throw new Error('unexpected reply to open');
    thread.documents++;
    let closed = false;
    return {
      pages: reply.pages,
      render: async (page, options) => {
        const r = await this.send(thread, { type: 'render', doc: id, page, ...options, maxInputPixels: this.maxInputPixels }, `page ${page}`);
        if (!('page' in r)) throw new Error('unexpected reply to render');
        return r.page;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        thread.documents--;
        if (!thread.dead) await this.send(thread, { type: 'close', doc: id }, 'closing the PDF').catch(() => undefined);
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
      const l = t && !t.dead ? t.documents + t.pending.size : 0;
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
    const thread: Thread = { worker, pending: new Map(), documents: 0, dead: false };
    const fail = (error: Error): void => {
      thread.dead = true;
      const failure = new FileFailure(`the PDF renderer stopped while reading this file: ${error.message}`);
      for (const p of thread.pending.values()) p.reject(failure);
      thread.pending.clear();
    };
    worker.on('message', (reply: PdfReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (!('error' in reply)) p.resolve(reply);
      else p.reject(reply.error.fileFault ? new FileFailure(reply.error.message) : new Error(reply.error.message));
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.threads[index] = thread;
    return thread;
  }

  private send(thread: Thread, request: Request, what: string, id = this.nextId++, transfer: ArrayBuffer[] = []): Promise<PdfReply> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<PdfReply>((resolve, reject) => {
      if (thread.dead) {
        reject(new FileFailure('the PDF renderer stopped while reading this file'));
        return;
      }
      thread.pending.set(id, { resolve, reject });
      // pdf.js cannot be interrupted: a file that keeps it busy this long costs its thread.
      timer = setTimeout(() => {
        thread.pending.delete(id);
        reject(new FileFailure(`${what} took longer than ${this.timeoutMs / 1000} s; the PDF renderer gave up on this file`));
        thread.dead = true;
        void thread.worker.terminate();
      }, this.timeoutMs);
      timer.unref();
      // Pending requests keep the process alive; an idle pool does not.
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage({ ...request, id }, transfer);
    }).finally(() => {
      clearTimeout(timer);
      if (thread.pending.size === 0) thread.worker.unref();
    });
  }
}
