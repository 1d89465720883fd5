// --concurrency auto for the openai backend: each endpoint has its own level (replicas
// differ), set by its LevelController from answers, refusals and, where the server has
// them, /metrics samples. A request waits here until some endpoint has room.
import type { EndpointLevel } from '../backend.js';
import type { Endpoint } from './endpoint-pool.js';
import type { FailureInfo } from './errors.js';
import { LevelController, type Answered } from './level-controller.js';
import { MetricsPoller, type Timers } from './metrics-poller.js';

export interface AutoLevelsOptions {
  initial: number;
  /** --max-concurrency, per endpoint. */
  max: number;
  now: () => number;
  timers: Timers;
  pollMs: number;
  /** GETs an endpoint's /metrics: the body of a 2xx answer, else undefined (never throws). */
  readMetrics: (ep: Endpoint, signal: AbortSignal) => Promise<string | undefined>;
}

/** What an attempt came to, as far as its endpoint's level is concerned. */
export type Attempted = { ok: true } | { ok: false; failure: FailureInfo; retryAfterMs?: number };

interface Slot {
  controller: LevelController;
  poller: MetricsPoller;
  /** A timer that wakes waiters when a Retry-After pause ends. */
  pauseTimer?: unknown;
}

/** How much more often /metrics is read while the level climbs. */
const CLIMB_SPEEDUP = 5;

/** While the server runs all it gets, each reading may double the level: read sooner then. */
export function nextReadMs(controller: LevelController, pollMs: number): number {
  return controller.climbing ? Math.max(10, Math.round(pollMs / CLIMB_SPEEDUP)) : pollMs;
}

export class AutoLevels {
  private readonly slots = new Map<Endpoint, Slot>();
  private readonly listeners: ((total: number) => void)[] = [];
  private waiters: (() => void)[] = [];
  private total: number;
  private readonly closing = new AbortController();

  constructor(endpoints: readonly Endpoint[], private readonly options: AutoLevelsOptions) {
    for (const ep of endpoints) {
      const controller = new LevelController({ initial: options.initial, max: options.max });
      const poller = new MetricsPoller({
        read: () => options.readMetrics(ep, this.closing.signal),
        pollMs: () => nextReadMs(controller, options.pollMs),
        timers: options.timers,
        onLoad: (load) => this.changed(ep, () => controller.observed(options.now(), load, ep.inFlight)),
        onLost: () => this.changed(ep, () => controller.metricsLost(options.now())),
      });
      this.slots.set(ep, { controller, poller });
    }
    this.total = this.sum();
  }

  /** All endpoints' levels together: what the pipeline keeps in flight. */
  get level(): number {
    return this.total;
  }

  /** The most the levels can reach together. */
  get max(): number {
    return this.options.max * this.slots.size;
  }

  /** Called with the new total whenever a level changes. */
  onLevel(listener: (total: number) => void): void {
    this.listeners.push(listener);
  }

  admits(ep: Endpoint): boolean {
    const slot = this.slots.get(ep);
    return slot === undefined || slot.controller.admits(this.options.now(), ep.inFlight);
  }

  /** A request left for `ep` (counted in ep.inFlight); the first one probes its /metrics. */
  sent(ep: Endpoint): void {
    const slot = this.slots.get(ep);
    if (!slot) return;
    slot.poller.start();
    slot.controller.sent(ep.inFlight);
  }

  /**
   * How an attempt ended, once the pool has released it: an answer, a refusal (429, 503 or
   * a timeout, which lower the level), or neither (undefined: aborted; other failures).
   */
  settled(ep: Endpoint, result: Attempted | undefined, sent: Answered): void {
    const now = this.options.now();
    if (result === undefined) this.wakeAll();
    else if (result.ok || result.failure.kind === 'invalid_response') this.changed(ep, (c) => c.completed(now, sent));
    else if (result.failure.kind === 'rate_limit' || result.failure.kind === 'timeout' || result.failure.status === 503) {
      const { retryAfterMs } = result;
      this.changed(ep, (c) => c.rejected(now, retryAfterMs === undefined ? sent : { ...sent, retryAfterMs }));
    } else this.wakeAll();
  }

  /** Resolves when a level, a pause or the number in flight changed; rejects on abort. */
  waitForRoom(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as unknown);
        return;
      }
      const onAbort = (): void => reject(signal.reason as unknown);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  report(): EndpointLevel[] {
    return [...this.slots].map(([ep, { controller: c }]) => ({
      endpoint: ep.label,
      level: c.level,
      peak: c.peak,
      source: c.source,
      ...(Number.isFinite(c.ceiling) ? { ceiling: c.ceiling } : {}),
    }));
  }

  close(): void {
    this.closing.abort(new Error('the openai backend was closed'));
    for (const slot of this.slots.values()) {
      slot.poller.close();
      if (slot.pauseTimer !== undefined) this.options.timers.clearTimeout(slot.pauseTimer);
    }
    this.wakeAll();
  }

  private changed(ep: Endpoint, update: (c: LevelController) => void): void {
    const slot = this.slots.get(ep);
    if (!slot) return;
    update(slot.controller);
    this.schedulePauseEnd(slot);
    const total = this.sum();
    if (total !== this.total) {
      this.total = total;
      for (const listener of this.listeners) listener(total);
    }
    this.wakeAll();
  }

  private schedulePauseEnd(slot: Slot): void {
    const wait = slot.controller.pausedUntil - this.options.now();
    if (wait <= 0 || slot.pauseTimer !== undefined || this.closing.signal.aborted) return;
    slot.pauseTimer = this.options.timers.setTimeout(() => {
      slot.pauseTimer = undefined;
      // A later refusal may have made the pause longer.
      this.schedulePauseEnd(slot);
      this.wakeAll();
    }, wait);
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private sum(): number {
    let total = 0;
    for (const { controller } of this.slots.values()) total += controller.level;
    return total;
  }
}
