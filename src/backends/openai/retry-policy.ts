/*
 * Retry policy of the openai backend.
 *
 * Retried, up to `retries` more attempts, each on another endpoint when one is up:
 *   - HTTP 408, 409, 429 and every 5xx;
 *   - Zhipu business codes 1302 (too many concurrent requests) and 1305 (overloaded);
 *   - connection errors: refused, reset, socket hang up, DNS, undici "fetch failed";
 *   - an attempt that outlives timeoutMs (counted as a connection-level fault);
 *   - a 2xx whose body is not JSON or carries no answer (truncated or garbled).
 * Not retried:
 *   - answers that say the settings are wrong (401/403, an unknown model, a 404 on
 *     the chat path, a rejected parameter, Zhipu token/account codes; the table is
 *     in config-rule.ts): ConfigurationError, the run stops, nothing more is sent;
 *   - Zhipu 1301 (content filter) and every other 4xx: this file fails at once;
 *   - the caller's abort: rejects at once with the abort reason.
 * Which statuses are retryable, the backoff and the reading of Retry-After are the
 * shared policy in support/retry-policy.ts (the Hub client uses it too): full-jitter
 * backoff, random() × min(30 s, 500 ms × 2^n), or the server's retry-after-ms /
 * Retry-After (seconds or HTTP-date) capped at 120 s.
 * When retries run out and every endpoint is down, the run stops (TemporaryFailure),
 * except when the only failures are this file's own timeouts: it may be the slow
 * one, so only it fails.
 */

import { isRetryableStatus } from '../../support/retry-policy.js';

export {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  RETRY_AFTER_CAP_MS,
  backoffDelay,
  parseRetryAfter,
  retryDelay,
} from '../../support/retry-policy.js';

export type FailureKind =
  | 'connection'
  | 'timeout'
  | 'rate_limit'
  | 'conflict'
  | 'server'
  | 'bad_request'
  | 'content_filter'
  | 'invalid_response'
  | 'auth';

const RETRYABLE_ZHIPU_CODES = new Set(['1302', '1305']);
const CONTENT_FILTER_ZHIPU_CODES = new Set(['1301']);

/** Maps a non-2xx status (and a Zhipu business code, if any) to a failure kind. */
export function classifyStatus(status: number, businessCode?: string): FailureKind {
  if (businessCode !== undefined) {
    if (CONTENT_FILTER_ZHIPU_CODES.has(businessCode)) return 'content_filter';
    if (RETRYABLE_ZHIPU_CODES.has(businessCode)) return 'rate_limit';
  }
  if (status === 401 || status === 403) return 'auth';
  if (!isRetryableStatus(status)) return 'bad_request';
  if (status === 408) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limit';
  return 'server';
}

export function isRetryable(kind: FailureKind): boolean {
  return kind !== 'bad_request' && kind !== 'content_filter' && kind !== 'auth';
}

/** Faults that say the endpoint itself is unreachable (they count towards setting it aside). */
export function isConnectionLevel(kind: FailureKind, status: number | undefined): boolean {
  return (kind === 'connection' || kind === 'timeout') && status === undefined;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  UND_ERR_SOCKET: 'socket closed',
  UND_ERR_CLOSED: 'socket closed',
};

/** A short reason for a network error thrown by fetch, e.g. "connection refused". */
export function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  let fallback: string | undefined;
  for (let depth = 0; depth < 5 && current instanceof Object; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && NETWORK_CODES[code] !== undefined) return NETWORK_CODES[code];
    if (typeof message === 'string') {
      if (/socket hang up/i.test(message)) return 'socket hang up';
      if (/other side closed|terminated/i.test(message)) return 'connection closed';
      if (message !== '' && message !== 'fetch failed') fallback ??= message;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return fallback ?? 'fetch failed';
}
