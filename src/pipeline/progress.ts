// Progress on stderr: a bar on a TTY, otherwise a timestamped line at most every
// 10 s. Everything else a run prints on stderr goes through print(), so that on
// a terminal it lands above the bar, never over it.
import type { Writable } from 'node:stream';
import { plural } from '../support/words.js';
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
  stop(tally: Tally, elapsedMs: number): void;
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
  const unit = rate.unit === 'images' ? (short ? 'img/s' : 'images/s') : 'files/s';
  return `${formatRate(rate.perSecond)} ${unit}`;
}

export function summaryLine(tally: Tally, elapsedMs: number): string {
  const ok = okCount(tally);
  const truncated = tally.truncated ? `, ${tally.truncated} truncated` : '';
  const items = tally.pages ? `items (${plural(tally.pages, 'page')})` : 'files';
  const rate = runRate(tally, elapsedMs);
  const speed = rate ? ` (${rateText(rate, false)})` : '';
  return `glm-vision: ${tally.done}/${tally.total} ${items}, ${ok} ok${truncated} (${tally.cached} cached), ${tally.failed} failed in ${(elapsedMs / 1000).toFixed(1)} s${speed}`;
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

export function createProgress(stderr: Stderr, quiet: boolean, options: ProgressOptions = {}): Progress {
  const now = options.now ?? Date.now;
  if (quiet) return { start() {}, update() {}, stop() {}, phase() {}, print: (text) => void stderr.write(withNewline(text)) };
  return stderr.isTTY ? terminalProgress(stderr, now, options.redrawMs ?? 100) : logProgress(stderr, now);
}

/** The ETA's text, once rows have been done over a measurable time. */
function etaText(eta: EtaWindow, t: Tally): string | undefined {
  if (t.done >= t.total) return undefined;
  const seconds = eta.seconds(t.total - t.done);
  return seconds === undefined ? undefined : `ETA ${formatDuration(seconds)}`;
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
    const t = tally;
    const parts: BarPart[] = [{ text: `cached ${t.cached}`, keep: 1 }, { text: `failed ${t.failed}`, keep: t.failed > 0 ? 4 : 2 }];
    if (phase !== undefined) {
      parts.push({ text: phase, keep: 6 });
    } else {
      const rate = runRate(t, now() - started);
      if (rate) parts.push({ text: rateText(rate, true), keep: 3 });
      const left = etaText(eta, t);
      if (left) parts.push({ text: left, keep: 5 });
    }
    return fitBar(out.columns || 80, t.total > 0 ? t.done / t.total : 0, `${t.done}/${t.total}`, parts);
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
    update: (t) => {
      tally = { ...t };
      eta.add(now(), t.done);
      if (active) redraw();
    },
    stop: (t, elapsed) => {
      tally = { ...t };
      phase = undefined;
      if (active) {
        draw();
        out.write('\n');
        shown = false;
        active = false;
      }
      out.write(`${summaryLine(t, elapsed)}\n`);
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
    update: (t) => {
      eta.add(now(), t.done);
      if (now() - last < 10_000) return;
      last = now();
      const rate = runRate(t, last - started);
      const left = etaText(eta, t);
      const tail = [rate && rateText(rate, false), left].filter(Boolean).map((s) => `, ${s}`).join('');
      out.write(`${stamp()} glm-vision: ${t.done}/${t.total} done, ${t.cached} cached, ${t.failed} failed${tail}\n`);
    },
    stop: (t, elapsed) => void out.write(`${summaryLine(t, elapsed)}\n`),
    print: (text) => void out.write(withNewline(text)),
    phase: (text) => {
      if (text !== undefined) out.write(`${stamp()} glm-vision: ${text}\n`);
    },
  };
}
