// Times for people, in the language of the message they go into: "350 ms", "1.5 s" / "350 毫秒",
// "1.5 秒". Row data (the error column) keeps English units: see formatSeconds in backends/openai.
import { currentLang, tIn, type Lang } from './index.js';

/** Milliseconds under a second, else seconds with `digits` decimals (none when whole and digits is 1). */
export function timeText(ms: number, options: { lang?: Lang; digits?: number } = {}): string {
  const lang = options.lang ?? currentLang();
  if (ms < 1000) return tIn(lang, 'progress:millis', { n: Math.round(ms) });
  const secs = ms / 1000;
  const digits = options.digits ?? 1;
  return tIn(lang, 'progress:seconds', { n: digits === 1 && Number.isInteger(secs) ? secs : secs.toFixed(digits) });
}
