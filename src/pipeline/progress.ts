// Progress on stderr: a bar on a TTY, otherwise a plain line at most every 10 s.
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import { t } from '../i18n/index.js';

export interface Tally {
  done: number;
  total: number;
  cached: number;
  failed: number;
  /** Answers cut off at the token limit: not failures, but not whole either. */
  truncated: number;
  /** How many of the rows done are pages of documents. */
  pages: number;
}

export interface Progress {
  start(total: number): void;
  update(tally: Tally): void;
  /** `before` runs once the bar is gone, before the summary: for an error that ended the run. */
  stop(tally: Tally, elapsedMs: number, before?: () => void): void;
}

function rate(tally: Tally, elapsedMs: number): number {
  const inferred = tally.done - tally.cached;
  return elapsedMs > 0 ? inferred / (elapsedMs / 1000) : 0;
}

/** Whole answers: neither failed nor cut off. */
export function okCount(tally: Tally): number {
  return tally.done - tally.failed - tally.truncated;
}

export function summaryLine(tally: Tally, elapsedMs: number): string {
  const { done, total } = tally;
  const items = tally.pages ? t('pipeline:summary.items', { done, total, count: tally.pages }) : t('pipeline:summary.files', { done, total });
  const values = {
    items, ok: okCount(tally), truncated: tally.truncated, cached: tally.cached, failed: tally.failed,
    seconds: (elapsedMs / 1000).toFixed(1), speed: t('pipeline:summary.speed', { rate: rate(tally, elapsedMs).toFixed(2) }),
  };
  return t(tally.truncated ? 'pipeline:summary.lineTruncated' : 'pipeline:summary.line', values);
}

export function createProgress(stderr: Writable & { isTTY?: boolean }, quiet: boolean, now = Date.now): Progress {
  if (quiet) return { start() {}, update() {}, stop: (_t, _elapsed, before) => before?.() };
  const started = now();
  if (stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stderr as NodeJS.WriteStream,
        format: '{bar} {value}/{total} | cached {cached} | failed {failed} | {speed} img/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total) => bar.start(total, 0, { cached: 0, failed: 0, speed: '0.00' }),
      update: (t) => {
        // Documents add their pages to the total as they are opened.
        if (t.total !== bar.getTotal()) bar.setTotal(t.total);
        bar.update(t.done, { cached: t.cached, failed: t.failed, speed: rate(t, now() - started).toFixed(2) });
      },
      stop: (t, elapsed, before) => {
        bar.update(t.done, { cached: t.cached, failed: t.failed, speed: rate(t, elapsed).toFixed(2) });
        bar.stop();
        before?.();
        stderr.write(`${summaryLine(t, elapsed)}\n`);
      },
    };
  }
  let last = started;
  return {
    start: () => {},
    update: (t) => {
      if (now() - last < 10_000) return;
      last = now();
      stderr.write(`glm-vision: ${t.done}/${t.total} done, ${t.cached} cached, ${t.failed} failed, ${rate(t, last - started).toFixed(2)} images/s\n`);
    },
    stop: (t, elapsed, before) => {
      before?.();
      stderr.write(`${summaryLine(t, elapsed)}\n`);
    },
  };
}
