// Whether the client kept the server fed. The server waits on the client when the
// inference queue has room and no image ready while images are still being prepared:
// reading, hashing and shrinking them is then what limits the run, not the server.
import type { Tally } from './progress.js';
import { t } from '../i18n/index.js';

/** What SupplyWatch reads of a queue (p-queue's fields). */
export interface QueueState {
  readonly pending: number;
  readonly size: number;
  readonly concurrency: number;
}

/** Starved at least this share of the busy time: the client is the bottleneck. */
export const STARVED_SHARE = 0.5;
/** Fewer images than this say nothing either way. */
const MIN_IMAGES = 32;

export class SupplyWatch {
  private last: number;
  private busyMs = 0;
  private starvedMs = 0;
  private state: 'idle' | 'busy' | 'starved' = 'idle';
  /** Images handed to the inference queue. */
  private handed = 0;

  constructor(
    private readonly prepare: QueueState,
    private readonly infer: QueueState,
    private readonly now: () => number,
  ) {
    this.last = now();
  }

  /** An image was handed to the inference queue. */
  handedOver(): void {
    this.handed++;
    this.update();
  }

  /** Called whenever either queue changes. */
  update(): void {
    const now = this.now();
    const elapsed = now - this.last;
    if (this.state !== 'idle') this.busyMs += elapsed;
    if (this.state === 'starved') this.starvedMs += elapsed;
    this.last = now;
    const preparing = this.prepare.pending > 0 || this.prepare.size > 0;
    const inferring = this.infer.pending > 0 || this.infer.size > 0;
    const room = this.infer.size === 0 && this.infer.pending < this.infer.concurrency;
    this.state = preparing && room ? 'starved' : preparing || inferring ? 'busy' : 'idle';
  }

  /** The verdict: undefined unless the client held the server back; else its share of the time and the rate it prepared at. */
  verdict(): { starvedShare: number; imagesPerSecond: number } | undefined {
    this.update();
    if (this.handed < MIN_IMAGES || this.busyMs <= 0) return undefined;
    const starvedShare = this.starvedMs / this.busyMs;
    if (starvedShare < STARVED_SHARE) return undefined;
    return { starvedShare, imagesPerSecond: this.handed / (this.busyMs / 1000) };
  }
}

/** The summary's line when the client was the bottleneck. */
export function supplyLine(v: { starvedShare: number; imagesPerSecond: number }, cpus: number, tally: Tally): string | undefined {
  if (tally.done - tally.cached === 0) return undefined;
  return t('pipeline:supply.clientBound', {
    share: Math.round(v.starvedShare * 100), rate: v.imagesPerSecond.toFixed(1), count: cpus,
  });
}
