// What one catalog run may hold at once and how it stops. The limits bound
// memory (images staged ahead of the model, documents open) and work (the
// prepare and inference queues); the signals carry the two interrupts and a
// fatal error to every queued and in-flight step.
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import PQueue from 'p-queue';
import { Semaphore } from '../support/semaphore.js';
import { SupplyWatch } from './supply.js';

export class RunControl {
  /** Reading, hashing, decoding and rendering: CPU work, one per core (at least 2). */
  readonly prepare: PQueue;
  /** Requests to the backend, as many as it takes at once (under --concurrency auto, that changes). */
  readonly infer: PQueue;
  /** Whether preparation kept the inference queue fed. */
  readonly supply: SupplyWatch;
  /** Images read, decoded or rendered but not yet with the model. */
  readonly staged: Semaphore;
  /** Documents open (each holds its file, and PDFium its parsed objects). */
  readonly openDocuments: Semaphore;
  private readonly hard = new AbortController();
  private readonly onAbort: () => void;
  private fatalError: { error: unknown } | undefined;
  private ended = false;

  constructor(
    /** First interrupt: take no new work, finish what is in flight. */
    private readonly stop: AbortSignal,
    /** Second interrupt: abandon requests in flight now. */
    private readonly abort: AbortSignal,
    inferConcurrency: number,
    cpus = os.availableParallelism(),
    now: () => number = () => performance.now(),
  ) {
    this.prepare = new PQueue({ concurrency: Math.max(2, cpus) });
    this.infer = new PQueue({ concurrency: inferConcurrency });
    this.supply = new SupplyWatch(this.prepare, this.infer, now);
    for (const queue of [this.prepare, this.infer]) {
      queue.on('active', () => this.supply.update());
      queue.on('next', () => this.supply.update());
    }
    this.infer.on('add', () => this.supply.handedOver());
    this.prepare.on('add', () => this.supply.update());
    this.staged = new Semaphore(Math.max(4, 2 * cpus));
    this.openDocuments = new Semaphore(Math.max(2, cpus));
    // Every queued and in-flight request listens to this one signal.
    setMaxListeners(0, this.hard.signal);
    this.onAbort = () => this.hard.abort(abort.reason);
    abort.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Aborted by a second interrupt, a fatal error or the end of the run: what in-flight work listens to. */
  get signal(): AbortSignal {
    return this.hard.signal;
  }

  get fatal(): { error: unknown } | undefined {
    return this.fatalError;
  }

  /** An interrupt came (either one). */
  interrupted(): boolean {
    return this.stop.aborted || this.abort.aborted;
  }

  /** Whether the first interrupt came: the run ends with exit 130. */
  stopRequested(): boolean {
    return this.stop.aborted;
  }

  /** No new work: interrupted, failed, or ended. */
  stopNow(): boolean {
    return this.ended || this.stop.aborted || this.fatalError !== undefined;
  }

  /** The backend's concurrency changed (--concurrency auto): the inference queue follows. */
  setInferConcurrency(n: number): void {
    this.infer.concurrency = Math.max(1, n);
  }

  /** An error that is not one file's ends the run; queued and in-flight work stops. */
  fail(error: unknown): void {
    this.fatalError ??= { error };
    this.hard.abort(error);
  }

  /** Stops queued and in-flight work without deciding the run's fate (the error reaches the file's task, which does). */
  abortWork(reason: unknown): void {
    this.hard.abort(reason);
  }

  /** Stops what is still running (after an interrupt's grace, or when the run throws). */
  cancel(reason: unknown): void {
    this.ended = true;
    this.hard.abort(reason);
  }

  close(): void {
    this.abort.removeEventListener('abort', this.onAbort);
    this.prepare.clear();
    this.infer.clear();
  }
}
