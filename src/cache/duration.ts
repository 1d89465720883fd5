// Ages on the command line: "90d", "12h", "2w", or a date. A bare "m" is
// refused: "6m" read as six minutes instead of six months would empty a cache.
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** The moment `value` names: `now` minus a duration, or a date (YYYY-MM-DD, UTC midnight, or a full ISO time). */
export function cutoffFrom(flag: string, value: string, now: number): number {
  const text = value.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text);
  if (duration) {
    const unit = UNIT_MS[(duration[2] as string).toLowerCase()];
    if (unit !== undefined) return now - Number(duration[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
    // Date.parse would read 2024-02-30 as 1 March.
    const real = new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === text.slice(0, 10);
    const at = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.replace(' ', 'T'));
    if (real && Number.isFinite(at)) return at;
  }
  const ambiguous = /^\d+(\.\d+)?\s*(m|mo|month|months)$/i.test(text);
  throw new UsageError(t(ambiguous ? 'cache:duration.ambiguous' : 'cache:duration.expected', { flag, value: JSON.stringify(value) }));
}
