// The checks behind the option table's (checks.ts runs them); messages name the flag and the value.
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';

const shown = (value: string): string => JSON.stringify(value);

/** An integer of at least min (and at most max); the message says which kind of number was wanted. */
export function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const values = { label: flag, value: shown(value), min, max };
    if (max !== Number.MAX_SAFE_INTEGER) throw new UsageError(t('config:check.integerRange', values));
    if (min === 0) throw new UsageError(t('config:check.nonNegativeInteger', values));
    if (min === 1) throw new UsageError(t('config:check.positiveInteger', values));
    throw new UsageError(t('config:check.integerAtLeast', values));
  }
  return n;
}

/** `auto`, or a positive integer (--concurrency). */
export function autoOrInteger(flag: string, value: string, min: number): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  try {
    return integer(flag, value, min);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(t('config:check.autoOrInteger', { label: flag, value: shown(value) }));
  }
}

/** --max-pixels: a positive integer of at least one 28×28 patch. */
export function maxPixelsFlag(flag: string, value: string): number {
  const n = integer(flag, value, 1);
  if (n < 28 * 28) throw new UsageError(t('config:check.maxPixels', { label: flag, value: shown(value) }));
  return n;
}

export function numberIn(flag: string, value: string, min: number, max: number, minOpen = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n > max || (minOpen ? n <= min : n < min)) {
    const values = { label: flag, value: shown(value), min, max };
    throw new UsageError(minOpen ? t('config:check.numberAbove', values) : t('config:check.numberRange', values));
  }
  return n;
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(t('config:check.oneOf', { label: flag, value: shown(value), values: allowed.join(', ') }));
  }
  return value as T;
}

export function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(t('config:check.urlExample', { label: flag, value: shown(value) }));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(t('config:check.url', { label: flag, value: shown(value) }));
  }
  return value.replace(/\/+$/, '');
}

export function keyValue(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=');
  const key = eq > 0 ? value.slice(0, eq) : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new UsageError(t('config:check.keyValue', { label: flag, value: shown(value) }));
  }
  return [key, value.slice(eq + 1)];
}
