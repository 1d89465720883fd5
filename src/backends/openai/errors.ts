// One error class per failure kind. All but ConfigurationError are
// FileFailures (only this file fails); messages are one line and never
// contain the API key. Each has a stable `code`: for the FileFailures it is
// the failure kind ('rate_limit', 'timeout', …), for ConfigurationError what
// is wrong with the settings ('auth', 'model', …).

import { t } from '../../i18n/index.js';
import { FileFailure, UsageError } from '../../support/errors.js';
import type { ConfigProblem } from './config-rule.js';
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
  /** Stable: the class's failure kind; set by each class. */
  abstract override readonly code: OpenAIErrorCode;
  readonly status: number | undefined;
  readonly endpoint: string;
  /** Zhipu business code, e.g. "1302"; `code` is ours. */
  readonly businessCode: string | undefined;
  readonly attempts: number;

  constructor(info: FailureInfo, attempts: number) {
    super(formatMessage(info, attempts));
    this.status = info.status;
    this.endpoint = info.endpoint;
    this.businessCode = info.code;
    this.attempts = attempts;
  }
}

/** The `code` of each OpenAIBackendError class. */
export type OpenAIErrorCode = Exclude<FailureKind, 'auth'>;

/** Refused, reset, DNS failure, socket hang up. */
export class APIConnectionError extends OpenAIBackendError {
  override name = 'APIConnectionError';
  readonly kind = 'connection';
  override readonly code = 'connection';
}

/** No answer within timeoutMs, or HTTP 408. */
export class APITimeoutError extends OpenAIBackendError {
  override name = 'APITimeoutError';
  readonly kind = 'timeout';
  override readonly code = 'timeout';
}

/** HTTP 429, or a Zhipu concurrency/overload code. */
export class RateLimitError extends OpenAIBackendError {
  override name = 'RateLimitError';
  readonly kind = 'rate_limit';
  override readonly code = 'rate_limit';
}

/** HTTP 409. */
export class ConflictError extends OpenAIBackendError {
  override name = 'ConflictError';
  readonly kind = 'conflict';
  override readonly code = 'conflict';
}

/** HTTP 5xx. */
export class InternalServerError extends OpenAIBackendError {
  override name = 'InternalServerError';
  readonly kind = 'server';
  override readonly code = 'server';
}

/** Any other 4xx: the server refused this request (image too large, bad parameter…). */
export class BadRequestError extends OpenAIBackendError {
  override name = 'BadRequestError';
  readonly kind = 'bad_request';
  override readonly code = 'bad_request';
}

/** The server's content filter rejected the image or prompt (Zhipu 1301). */
export class ContentFilterError extends OpenAIBackendError {
  override name = 'ContentFilterError';
  readonly kind = 'content_filter';
  override readonly code = 'content_filter';
}

/** A 2xx whose body is not JSON or carries no answer. */
export class InvalidResponseError extends OpenAIBackendError {
  override name = 'InvalidResponseError';
  readonly kind = 'invalid_response';
  override readonly code = 'invalid_response';
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

/**
 * The server says the settings are wrong (model, URL, a parameter, the key or
 * the account): every file would fail the same way, so the run stops (exit 2).
 * `code` is stable; the message ends with the fix.
 */
export class ConfigurationError extends UsageError {
  override name = 'ConfigurationError';
  override readonly code: ConfigProblem;
  readonly endpoint: string;
  readonly status: number | undefined;
  /** What to change, e.g. "use --model zai-org/GLM-4.6V-Flash". */
  readonly fix: string;

  constructor(info: { code: ConfigProblem; endpoint: string; status?: number; problem: string; detail?: string; fix: string }) {
    const status = info.status === undefined ? '' : t('server:config.status', { status: info.status });
    const detail = info.detail ? t('server:config.detail', { detail: info.detail.replace(/[.。]\s*$/, '') }) : '';
    super(t('server:config.message', { endpoint: info.endpoint, problem: info.problem, status, detail, fix: info.fix }));
    this.code = info.code;
    this.endpoint = info.endpoint;
    this.status = info.status;
    this.fix = info.fix;
  }
}

/** What to do when the server refuses the key (keyGiven) or wants one. */
export function authFix(keyGiven: boolean): string {
  return keyGiven ? t('server:fix.auth.key') : t('server:fix.auth.no_key');
}

/** HTTP 401/403 (or a Zhipu token code): every file would fail, so this is a usage problem. */
export function authError(info: FailureInfo, keyGiven: boolean): ConfigurationError {
  const detail = [info.code, info.detail].filter((part) => part !== undefined && part !== '').join(' ');
  return new ConfigurationError({
    code: 'auth',
    endpoint: info.endpoint,
    ...(info.status === undefined ? {} : { status: info.status }),
    problem: keyGiven ? t('server:config.auth.rejected') : t('server:config.auth.missing'),
    detail,
    fix: authFix(keyGiven),
  });
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
