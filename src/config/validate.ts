// The checks behind the option table's (checks.ts runs them); messages name the flag and the value.
import { UsageError } from '../support/errors.js';

const shown = (value: string): string => JSON.stringify(value);

export function integer(
  flag: string, value: string, min: number, what = 'positive integer', max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`Expected ${what} for ${flag} but received ${shown(value)}`);
  }
  return n;
}

/** --max-pixels: a positive integer of at least one 28×28 patch. */
export function maxPixelsFlag(flag: string, value: string): number {
  const n = integer(flag, value, 1);
  if (n < 28 * 28) throw new UsageError(`Expected at least 784 (one 28×28 patch) for ${flag} but received ${shown(value)}`);
  return n;
}

export function numberIn(flag: string, value: string, min: number, max: number, minOpen = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n > max || (minOpen ? n <= min : n < min)) {
    const range = `${minOpen ? 'greater than' : 'from'} ${min} ${minOpen ? 'and at most' : 'to'} ${max}`;
    throw new UsageError(`Expected a number ${range} for ${flag} but received ${shown(value)}`);
  }
  return n;
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Expected one of ${allowed.join(', ')} for ${flag} but received ${shown(value)}`);
  }
  return value as T;
}

export function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`Expected an http(s) URL such as http://localhost:8000/v1 for ${flag} but received ${shown(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`Expected an http(s) URL for ${flag} but received ${shown(value)}`);
  }
  return value.replace(/\/+$/, '');
}

export function keyValue(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=');
  const key = eq > 0 ? value.slice(0, eq) : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new UsageError(`Expected KEY=VALUE (KEY of letters, digits and _) for ${flag} but received ${shown(value)}`);
  }
  return [key, value.slice(eq + 1)];
}
