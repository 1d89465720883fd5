// The openai backend's options, and their check before anything is sent.
import type { PreprocessOptions } from '../../image/preprocess.js';
import { t } from '../../i18n/index.js';
import { UsageError } from '../../support/errors.js';
import { FLAVORS, type Flavor } from './flavors.js';
import type { Timers } from './metrics-poller.js';
import { normalizeEndpoint, redact } from './redact.js';

export interface OpenAIBackendOptions {
  /** Base URLs like http://host:8000/v1. */
  endpoints: string[];
  model: string;
  apiKey?: string;
  flavor: Flavor;
  /** Requests in flight, all endpoints together; auto: a level per endpoint that follows the server. */
  concurrency: number | 'auto';
  /** auto: the most in flight at one endpoint (default DEFAULT_MAX_LEVEL). */
  maxConcurrency?: number;
  /** auto: how often a server's /metrics is read. */
  metricsPollMs?: number;
  /** auto: the timers that poll /metrics and end Retry-After pauses (default: the real ones, unref'd). */
  timers?: Timers;
  /** Per attempt, headers and body included. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  fetch?: typeof fetch;
  /** Resolves after ms; rejects with the abort reason on abort. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** One-line warnings for stderr. */
  warn?: (message: string) => void;
  /** How images are shrunk and encoded before sending. */
  image?: PreprocessOptions;
}

/** The endpoints, normalised; a bad option is a UsageError with any secret in it redacted. */
export function validateOptions(options: OpenAIBackendOptions, secrets: readonly string[]): string[] {
  const fail = (message: string): never => {
    throw new UsageError(redact(message, secrets));
  };
  if (!FLAVORS.includes(options.flavor)) fail(t('server:options.flavor', { flavor: String(options.flavor), flavors: FLAVORS.join(', ') }));
  if (typeof options.model !== 'string' || options.model.trim() === '') fail(t('server:options.model'));
  const { concurrency, maxConcurrency } = options;
  if (concurrency !== 'auto' && (!Number.isInteger(concurrency) || concurrency < 1)) fail(t('server:options.concurrency', { value: concurrency }));
  if (maxConcurrency !== undefined && (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)) fail(t('server:options.max_concurrency', { value: maxConcurrency }));
  if (!(options.timeoutMs > 0)) fail(t('server:options.timeout', { value: options.timeoutMs }));
  if (!Number.isInteger(options.retries) || options.retries < 0) fail(t('server:options.retries', { value: options.retries }));
  if (options.endpoints.length === 0) fail(t('server:options.endpoint'));
  return options.endpoints.map((raw) => {
    try {
      return normalizeEndpoint(raw);
    } catch (error) {
      return fail(t('server:options.bad_endpoint', { why: (error as Error).message }));
    }
  });
}
