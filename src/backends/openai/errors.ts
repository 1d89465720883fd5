// One error class per failure kind. All are FileFailures (only this file
// fails); messages are one line and never contain the API key.

import { FileFailure, UsageError } from '../../errors.js';
import type { FailureKind } from './retry-policy.js';

/** What one failed attempt looked like, already safe to show. */
export interface FailureInfo {
  kind: FailureKind;
  /** Endpoint as shown to users (no credentials). */
  endpoint: string;
  status?: number;
  /** Zhipu business code, e.g. "1302". */
  code?: string;
  /** Server message or network reason: one line, redacted. */
  detail?: string;
  /** Per-attempt limit, for timeouts. */
  timeoutMs?: number;
}

export abstract class OpenAIBackendError extends FileFailure {
  abstract readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly endpoint: string;
  readonly code: string | undefined;
  readonly attempts: number;

  constructor(info: FailureInfo, attempts: number) {
    super(formatMessage(info, attempts));
    this.status = info.status;
    this.endpoint = info.endpoint;
    this.code = info.code;
    this.attempts = attempts;
  }
}

/** Refused, reset, DNS failure, socket hang up. */
export class APIConnectionError extends OpenAIBackendError {
  override name = 'APIConnectionError';
  readonly kind = 'connection';
}

/** No answer within timeoutMs, or HTTP 408. */
export class APITimeoutError extends OpenAIBackendError {
  override name = 'APITimeoutError';
  readonly kind = 'timeout';
}

/** HTTP 429, or a Zhipu concurrency/overload code. */
export class RateLimitError extends OpenAIBackendError {
  override name = 'RateLimitError';
  readonly kind = 'rate_limit';
}

/** HTTP 409. */
export class ConflictError extends OpenAIBackendError {
  override name = 'ConflictError';
  readonly kind = 'conflict';
}

/** HTTP 5xx. */
export class InternalServerError extends OpenAIBackendError {
  override name = 'InternalServerError';
  readonly kind = 'server';
}

/** Any other 4xx: the server refused this request (image too large, bad parameter…). */
export class BadRequestError extends OpenAIBackendError {
  override name = 'BadRequestError';
  readonly kind = 'bad_request';
}

/** The server's content filter rejected the image or prompt (Zhipu 1301). */
export class ContentFilterError extends OpenAIBackendError {
  override name = 'ContentFilterError';
  readonly kind = 'content_filter';
}

/** A 2xx whose body is not JSON or carries no answer. */
export class InvalidResponseError extends OpenAIBackendError {
  override name = 'InvalidResponseError';
  readonly kind = 'invalid_response';
}

const CLASSES = {
  connection: APIConnectionError,
  timeout: APITimeoutError,
  rate_limit: RateLimitError,
  conflict: ConflictError,
  server: InternalServerError,
  bad_request: BadRequestError,
  content_filter: ContentFilterError,
  invalid_response: InvalidResponseError,
} as const;

/** The error to throw for a failure seen on the last of `attempts` attempts. */
export function failureError(info: FailureInfo, attempts: number): OpenAIBackendError {
  const kind = info.kind === 'auth' ? 'bad_request' : info.kind;
  return new CLASSES[kind](info, attempts);
}

/** HTTP 401/403: every file would fail, so this is a usage problem. */
export function authError(info: FailureInfo, keyGiven: boolean): UsageError {
  const what = keyGiven ? 'rejected the API key' : 'requires an API key and none was given';
  const detail = info.detail ? `: ${info.detail}` : '';
  return new UsageError(`the server at ${info.endpoint} ${what} (HTTP ${info.status ?? '?'})${detail}`);
}

function formatMessage(info: FailureInfo, attempts: number): string {
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  const detail = [info.code, info.detail].filter((part) => part !== undefined && part !== '').join(' ');
  const tail = detail === '' ? '' : `: ${detail}`;
  if (info.status !== undefined) return `HTTP ${info.status} from ${info.endpoint}${after}${tail}`;
  if (info.kind === 'timeout') {
    const secs = info.timeoutMs === undefined ? '' : ` within ${formatSeconds(info.timeoutMs)}`;
    return `no answer from ${info.endpoint}${secs}${after}`;
  }
  return `cannot reach ${info.endpoint}${after}${tail}`;
}

export function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const secs = ms / 1000;
  return `${Number.isInteger(secs) ? secs : secs.toFixed(1)} s`;
}
