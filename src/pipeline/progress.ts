// Progress on stderr: a bar on a TTY, otherwise a timestamped line at most every
// 10 s. Everything else a run prints on stderr goes through print(), so that on
// a terminal it lands above the bar, never over it.
import type { Writable } from 'node:stream';
import { t } from '../i18n/index.js';
import { EtaWindow, fitBar, formatDuration, formatRate, isoTimestamp, runRate, type BarPart, type Rate } from './progress-format.js';

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
  /** Lines for a person (warnings, notices): on a terminal, printed above the bar and the bar redrawn. */
  print(text: string): void;
  /** What the run waits on besides answers (the model loading), shown in place of the rate; undefined when over. */
  phase(text: string | undefined): void;
}

export interface ProgressOptions {
  /** The clock: the rate, the ETA and the log lines' timestamps. */
  now?: () => number;
  /** Least time between two drawings of the bar (default 100 ms; 0 draws on every update). */
  redrawMs?: number;
}

type Stderr = Writable & { isTTY?: boolean; columns?: number };

/** Whole answers: neither failed nor cut off. */
export function okCount(tally: Tally): number {
  return tally.done - tally.failed - tally.truncated;
}

function rateText(rate: Rate, short: boolean): string {
  const key = rate.unit === 'files' ? 'progress:rate.files' : short ? 'progress:rate.imagesShort' : 'progress:rate.images';
  return t(key, { rate: formatRate(rate.perSecond) });
}

export function summaryLine(tally: Tally, elapsedMs: number): string {
  const rate = runRate(tally, elapsedMs);
  return t('progress:line', {
    text: t('progress:summary.line', {
      done: tally.done, total: tally.total, ok: okCount(tally), cached: tally.cached, failed: tally.failed,
      items: tally.pages ? t('progress:summary.items', { pages: t('progress:summary.pages', { count: tally.pages }) }) : t('progress:summary.files'),
      truncated: tally.truncated ? t('progress:summary.truncated', { n: tally.truncated }) : '',
      seconds: (elapsedMs / 1000).toFixed(1),
      speed: rate ? t('progress:summary.speed', { rate: rateText(rate, false) }) : '',
    }),
  });
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

export function createProgress(stderr: Stderr, quiet: boolean, options: ProgressOptions = {}): Progress {
  const now = options.now ?? Date.now;
  if (quiet) {
    return { start() {}, update() {}, stop: (_t, _elapsed, before) => before?.(), phase() {}, print: (text) => void stderr.write(withNewline(text)) };
  }
  return stderr.isTTY ? terminalProgress(stderr, now, options.redrawMs ?? 100) : logProgress(stderr, now);
}

/** The ETA's text, once rows have been done over a measurable time. */
function etaText(eta: EtaWindow, tally: Tally): string | undefined {
  if (tally.done >= tally.total) return undefined;
  const seconds = eta.seconds(tally.total - tally.done);
  return seconds === undefined ? undefined : t('progress:eta', { time: formatDuration(seconds) });
}

function terminalProgress(out: Stderr, now: () => number, redrawMs: number): Progress {
  let tally: Tally = { done: 0, total: 0, cached: 0, failed: 0, truncated: 0, pages: 0 };
  let started = now();
  let active = false;
  let shown = false;
  let phase: string | undefined;
  let lastDraw = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let eta = new EtaWindow();

  const line = (): string => {
    const parts: BarPart[] = [
      { text: t('progress:bar.cached', { n: tally.cached }), keep: 1 },
      { text: t('progress:bar.failed', { n: tally.failed }), keep: tally.failed > 0 ? 4 : 2 },
    ];
    if (phase !== undefined) {
      parts.push({ text: phase, keep: 6 });
    } else {
      const rate = runRate(tally, now() - started);
      if (rate) parts.push({ text: rateText(rate, true), keep: 3 });
      const left = etaText(eta, tally);
      if (left) parts.push({ text: left, keep: 5 });
    }
    return fitBar(out.columns || 80, tally.total > 0 ? tally.done / tally.total : 0, `${tally.done}/${tally.total}`, parts);
  };
  const draw = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (!active) return;
    out.write(`\r${line()}\x1b[K`);
    shown = true;
    lastDraw = now();
  };
  const clear = (): void => {
    if (shown) out.write('\r\x1b[K');
    shown = false;
  };
  const redraw = (): void => {
    const wait = lastDraw + redrawMs - now();
    if (wait <= 0) draw();
    else timer ??= setTimeout(draw, wait).unref();
  };
  return {
    start: (total) => {
      tally = { ...tally, total };
      started = now();
      eta = new EtaWindow();
      eta.add(started, 0);
      active = true;
      draw();
    },
    update: (next) => {
      tally = { ...next };
      eta.add(now(), next.done);
      if (active) redraw();
    },
    stop: (last, elapsed, before) => {
      tally = { ...last };
      phase = undefined;
      if (active) {
        draw();
        out.write('\n');
        shown = false;
        active = false;
      }
      before?.();
      out.write(`${summaryLine(last, elapsed)}\n`);
    },
    print: (text) => {
      if (!shown) return void out.write(withNewline(text));
      clear();
      out.write(withNewline(text));
      draw();
    },
    phase: (text) => {
      phase = text;
      if (active) draw();
    },
  };
}

function logProgress(out: Stderr, now: () => number): Progress {
  const started = now();
  let last = started;
  const eta = new EtaWindow();
  eta.add(started, 0);
  const stamp = (): string => isoTimestamp(new Date(now()));
  return {
    start: () => {},
    update: (tally) => {
      eta.add(now(), tally.done);
      if (now() - last < 10_000) return;
      last = now();
      const rate = runRate(tally, last - started);
      const more = [rate && rateText(rate, false), etaText(eta, tally)].filter((p) => !!p);
      const text = t('progress:log.line', { done: tally.done, total: tally.total, cached: tally.cached, failed: tally.failed }) +
        more.map((part) => t('progress:log.more', { part })).join('');
      out.write(`${stamp()} ${t('progress:line', { text })}\n`);
    },
    stop: (tally, elapsed, before) => {
      before?.();
      out.write(`${summaryLine(tally, elapsed)}\n`);
    },
    print: (text) => void out.write(withNewline(text)),
    phase: (text) => {
      if (text !== undefined) out.write(`${stamp()} ${t('progress:line', { text })}\n`);
    },
  };
}
