// The progress line's pieces, as pure functions: durations, rates, the ETA's
// window, timestamps, and fitting the bar to the terminal's width.
import { displayWidth } from '../support/text-width.js';
import { t } from '../i18n/index.js';
import type { Tally } from './progress.js';

/** Whole seconds as `45s`, `1m05s`, `2h03m` or `3d04h`: rounded first, so 659.6 s is `11m00s`, never `10m60s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return t('progress:duration.s', { s });
  if (s < 3600) return t('progress:duration.ms', { m: Math.floor(s / 60), s: pad(s % 60) });
  const minutes = Math.round(s / 60);
  if (minutes < 100 * 60) return t('progress:duration.hm', { h: Math.floor(minutes / 60), m: pad(minutes % 60) });
  const hours = Math.round(s / 3600);
  return t('progress:duration.dh', { d: Math.floor(hours / 24), h: pad(hours % 24) });
}

export interface Rate {
  perSecond: number;
  /** Images inferred per second; a run the cache answered wholly counts files instead. */
  unit: 'images' | 'files';
}

/** The run's rate so far, or undefined while nothing is done to base it on. */
export function runRate(tally: Tally, elapsedMs: number): Rate | undefined {
  if (!(elapsedMs > 0)) return undefined;
  const inferred = tally.done - tally.cached;
  if (inferred > 0) return { perSecond: inferred / (elapsedMs / 1000), unit: 'images' };
  if (tally.done > 0) return { perSecond: tally.done / (elapsedMs / 1000), unit: 'files' };
  return undefined;
}

/** 4.32, 43.2, 432, 4,321: three significant figures where they mean something. */
export function formatRate(perSecond: number): string {
  if (perSecond < 10) return perSecond.toFixed(2);
  if (perSecond < 100) return perSecond.toFixed(1);
  return Math.round(perSecond).toLocaleString('en-US');
}

/**
 * Rows done over the last minute or so, for the ETA: the whole run's average
 * would carry the model's loading time and a cached start for ever.
 */
export class EtaWindow {
  private readonly samples: { at: number; done: number }[] = [];

  constructor(private readonly windowMs = 60_000, private readonly stepMs = 250) {}

  add(at: number, done: number): void {
    const last = this.samples.at(-1);
    // At most one sample per step: a cached re-run updates once per file.
    if (last && at - last.at < this.stepMs && this.samples.length > 1) last.done = done;
    else this.samples.push({ at, done });
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - this.windowMs) this.samples.shift();
  }

  /** Seconds left for `remaining` rows, once rows have been done over a measurable time. */
  seconds(remaining: number): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last) return undefined;
    const dt = last.at - first.at;
    const dd = last.done - first.done;
    if (dt <= 0 || dd <= 0) return undefined;
    return Math.max(0, remaining) / (dd / (dt / 1000));
  }
}

/** Local time, ISO 8601 with its UTC offset, to the second: `2025-06-01T14:03:07+08:00`. */
export function isoTimestamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = offset === 0
    ? 'Z'
    : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

/** A part of the bar's text; parts with the lowest `keep` go first when the terminal is narrow. */
export interface BarPart {
  text: string;
  keep: number;
}

const BAR_MAX = 40;
const BAR_MIN = 10;
const SEPARATOR = ' | ';

/** Cuts `text` to at most `width` terminal columns (CJK characters take two). */
export function cutToWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  for (const ch of text) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * The bar line for a terminal `columns` wide: `███░░ 12/300 | cached 3 | …`.
 * It leaves the last three columns free, for the `^C` the terminal echoes
 * after it (which would wrap otherwise, leaving half a bar behind); parts are
 * dropped, least wanted first, until the bar has room for at least 10 cells.
 */
export function fitBar(columns: number, fraction: number, count: string, parts: BarPart[]): string {
  const width = Math.max(1, columns - 3);
  const kept = [...parts];
  for (;;) {
    const text = [count, ...kept.map((p) => p.text)].join(SEPARATOR);
    const room = width - displayWidth(text) - 1;
    if (room >= BAR_MIN || kept.length === 0) {
      if (room < BAR_MIN) return cutToWidth(text, width);
      const cells = Math.min(BAR_MAX, room);
      const full = Math.round(Math.min(1, Math.max(0, fraction)) * cells);
      return `${t('progress:bar.done').repeat(full)}${t('progress:bar.todo').repeat(cells - full)} ${text}`;
    }
    let least = 0;
    for (const [i, p] of kept.entries()) if (p.keep < (kept[least]?.keep ?? Infinity)) least = i;
    kept.splice(least, 1);
  }
}
