/*
 * The HTTP retry policy shared by every client that talks to a server: the openai
 * backend and the Hugging Face Hub client (`models pull`, first-run downloads).
 *
 * Retryable: HTTP 408, 409, 429 and every 5xx, and a request that never got an
 * answer (refused, reset, DNS, timed out). Every other status is the answer.
 * Delay before retry n (n = 0, 1, …): random() × min(cap, base × 2^n), "full
 * jitter", so many workers do not retry in lockstep. When the server says when to
 * come back (retry-after-ms, or Retry-After in seconds or as an HTTP-date) that
 * wait is used instead, capped at 120 s.
 * Callers inject random, now and sleep, so tests never wait.
 */

export interface Backoff {
  /** Ceiling of the first retry's delay; it doubles with each retry. */
  baseMs: number;
  /** No retry's ceiling goes above this. */
  capMs: number;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
export const RETRY_AFTER_CAP_MS = 120_000;
export const DEFAULT_BACKOFF: Backoff = { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS };

/** The real pause; clients take an injected one so tests never wait. */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True for the statuses that say "not now" rather than "no": 408, 409, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Full-jitter exponential backoff before retry number `retryIndex` (0-based). */
export function backoffDelay(retryIndex: number, random: () => number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** retryIndex);
  // A random() outside [0, 1] (a bad fake) must not make a negative or oversized wait.
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/** The server's retry-after-ms / Retry-After hint in ms, capped; undefined when absent or unreadable. */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) {
    return Math.min(Math.ceil(Number(ms)), RETRY_AFTER_CAP_MS);
  }
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    return Math.min(Math.ceil(Number(value) * 1000), RETRY_AFTER_CAP_MS);
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(date - now, 0), RETRY_AFTER_CAP_MS);
}

/** How long to wait before retry number `retryIndex` (0-based): the server's word if it gave one, else backoff. */
export function retryDelay(retryIndex: number, random: () => number, retryAfterMs?: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return retryAfterMs ?? backoffDelay(retryIndex, random, backoff);
}
