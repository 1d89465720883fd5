// Dynamic batching: single requests in, batches out. A batch is bounded by
// rows, visual tokens and how long the oldest request may wait. Requests that
// share a shape (image grid and prompt length) go together, so most batches
// need no padding; the rest are filled in arrival order.

export interface BatchItem {
  /** Requests with equal keys batch without padding. */
  key: string;
  visualTokens: number;
}

export interface BatcherOptions {
  /** Most rows in one batch. */
  batchSize: number;
  /** Most visual tokens in one batch (one request is always allowed). */
  tokenBudget: number;
  /** How long the oldest request waits for company before a partial batch runs. */
  waitMs: number;
}

/** The timer functions the batcher uses; tests pass a fake to drive time explicitly. */
export interface BatcherTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  /** Called with what setTimeout returned, or undefined when no timer is set. */
  clearTimeout(handle: unknown): void;
}

const realTimers: BatcherTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

interface Pending<I, R> {
  item: I;
  since: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I extends BatchItem, R> {
  private readonly queue: Pending<I, R>[] = [];
  private running = false;
  private timer: unknown;
  private closed = false;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<R[]>,
    private readonly options: BatcherOptions,
    private readonly now: () => number = () => performance.now(),
    private readonly timers: BatcherTimers = realTimers,
  ) {}

  submit(item: I): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the batcher is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, since: this.now(), resolve, reject });
      // Requests submitted in the same tick are grouped together.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Rejects everything still waiting. */
  close(reason: unknown): void {
    this.closed = true;
    this.timers.clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) p.reject(reason);
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const oldest = this.queue[0] as Pending<I, R>;
    const waited = this.now() - oldest.since;
    if (!this.fullBatchReady() && waited < this.options.waitMs) {
      this.timer = this.timers.setTimeout(() => this.pump(), this.options.waitMs - waited);
      return;
    }
    const batch = this.take();
    this.running = true;
    this.run(batch.map((p) => p.item)).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i] as R)),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    ).finally(() => {
      this.running = false;
      this.pump();
    });
  }

  private fullBatchReady(): boolean {
    let tokens = 0;
    for (const [i, p] of this.queue.entries()) {
      tokens += p.item.visualTokens;
      if (i + 1 >= this.options.batchSize || tokens >= this.options.tokenBudget) return true;
    }
    return false;
  }

  /** The oldest request's shape first, then others in arrival order. */
  private take(): Pending<I, R>[] {
    const key = (this.queue[0] as Pending<I, R>).item.key;
    const order = [...this.queue.filter((p) => p.item.key === key), ...this.queue.filter((p) => p.item.key !== key)];
    const batch: Pending<I, R>[] = [];
    let tokens = 0;
    for (const p of order) {
      if (batch.length >= this.options.batchSize) break;
      if (batch.length > 0 && tokens + p.item.visualTokens > this.options.tokenBudget) continue;
      batch.push(p);
      tokens += p.item.visualTokens;
    }
    for (const p of batch) this.queue.splice(this.queue.indexOf(p), 1);
    return batch;
  }
}
