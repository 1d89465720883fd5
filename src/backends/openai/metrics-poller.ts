// Reads one endpoint's /metrics every pollMs for --concurrency auto. The first read is
// the probe: a server without the gauges (a 404, a page that is not Prometheus text, a
// hosted API) is asked once and never again, without a word. Three failed reads in a row
// after that also end the polling; the level then follows answers per second.
import { parseServerLoad } from './server-metrics.js';
import type { ServerLoad } from './level-controller.js';

export const DEFAULT_POLL_MS = 250;
const FAILURES_BEFORE_GIVING_UP = 3;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PollerOptions {
  /** GETs the metrics URL: the body of a 2xx answer, else undefined (never throws). */
  read: () => Promise<string | undefined>;
  /** The wait before the next read, asked after each one. */
  pollMs: () => number;
  timers: Timers;
  onLoad: (load: ServerLoad) => void;
  /** The server had metrics and stopped answering them. */
  onLost: () => void;
}

export class MetricsPoller {
  /** absent: the probe found none; lost: they stopped. */
  state: 'new' | 'probing' | 'polling' | 'absent' | 'lost' | 'closed' = 'new';
  private timer: unknown;
  private failures = 0;

  constructor(private readonly options: PollerOptions) {}

  /** The probe, once; later calls do nothing. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'probing';
    void this.read();
  }

  close(): void {
    this.state = 'closed';
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<void> {
    const text = await this.options.read();
    if (this.state === 'closed') return;
    const load = text === undefined ? undefined : parseServerLoad(text);
    if (load === undefined) {
      if (this.state === 'probing') {
        this.state = 'absent';
        return;
      }
      if (++this.failures >= FAILURES_BEFORE_GIVING_UP) {
        this.state = 'lost';
        this.options.onLost();
        return;
      }
    } else {
      this.state = 'polling';
      this.failures = 0;
      this.options.onLoad(load);
    }
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = undefined;
      void this.read();
    }, this.options.pollMs());
  }
}
