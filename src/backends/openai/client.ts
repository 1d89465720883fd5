// The openai backend: any OpenAI-compatible chat-completions server (vLLM,
// SGLang, Zhipu, Ollama, llama.cpp, api.openai.com) or a bare /infer server.

import { authorization, splitCredentials } from './credentials.js';
import type { Backend, ImageInput, InferRequest, InferResult, Prepared } from '../backend.js';
import { DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PIXELS, JPEG_QUALITY, preprocess, type PreprocessOptions } from '../../preprocess.js';
import { TemporaryFailure, UsageError } from '../../errors.js';
import { probeFlavor } from './detect-flavor.js';
import type { Outcome, Endpoint } from './endpoint-pool.js';
import { EndpointPool } from './endpoint-pool.js';
import { parseErrorBody } from './error-body.js';
import type { FailureInfo } from './errors.js';
import { authError, failureError, formatSeconds } from './errors.js';
import type { Flavor, ResolvedFlavor } from './flavors.js';
import { FLAVORS, buildRequest, readResponse } from './flavors.js';
import { AttemptTimeout, defaultSleep, fetchText, raceAbort } from './http.js';
import { displayEndpoint, normalizeEndpoint, oneLine, redact } from './redact.js';
import {
  classifyStatus,
  describeNetworkError,
  isConnectionLevel,
  isRetryable,
  parseRetryAfter,
  retryDelay,
} from './retry-policy.js';

export interface OpenAIBackendOptions {
  /** Base URLs like http://host:8000/v1. */
  endpoints: string[];
  model: string;
  apiKey?: string;
  flavor: Flavor;
  /** Exposed as backend.concurrency. */
  concurrency: number;
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

type Failed = { ok: false; failure: FailureInfo; outcome: Outcome; retryAfterMs?: number };
type AttemptResult = { ok: true; result: InferResult } | Failed;

export function createOpenAIBackend(options: OpenAIBackendOptions): Backend {
  return new OpenAIBackend(options);
}

class OpenAIBackend implements Backend {
  readonly kind = 'openai';
  readonly concurrency: number;
  private readonly model: string;
  private readonly flavor: Flavor;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly secrets: string[];
  private readonly warn: (message: string) => void;
  private readonly pool: EndpointPool;
  private readonly headers = new Map<string, Record<string, string>>();
  private readonly detected = new Map<Endpoint, ResolvedFlavor>();
  private readonly detecting = new Map<Endpoint, Promise<ResolvedFlavor>>();
  private readonly detectionWarned = new Set<Endpoint>();
  private closed = false;
  private readonly imageOptions: PreprocessOptions;

  constructor(options: OpenAIBackendOptions) {
    const apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.secrets = apiKey === undefined ? [] : [apiKey];
    const endpoints = validate(options, this.secrets);
    const targets = endpoints.map((raw) => splitCredentials(raw));
    for (const target of targets) if (target.password !== '') this.secrets.push(target.password);
    this.model = options.model;
    this.flavor = options.flavor;
    this.apiKey = apiKey;
    this.concurrency = options.concurrency;
    this.imageOptions = options.image ?? {
      maxPixels: DEFAULT_MAX_PIXELS, maxInputPixels: DEFAULT_MAX_INPUT_PIXELS, jpegQuality: JPEG_QUALITY,
    };
    this.timeoutMs = options.timeoutMs;
    this.retries = options.retries;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    const warn = options.warn ?? ((message: string) => void process.stderr.write(`warning: ${message}\n`));
    const safeWarn = (message: string): void => warn(redact(message, this.secrets));
    this.pool = new EndpointPool(
      targets.map(({ url }) => ({ url, label: displayEndpoint(url) })),
      { now: this.now, warn: safeWarn },
    );
    this.warn = safeWarn;
    const base: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    for (const target of targets) {
      const headers = { ...base };
      // fetch refuses URLs with credentials; a proxy's user:password becomes Basic auth.
      const auth = authorization(apiKey, target);
      if (auth !== undefined) headers.authorization = auth;
      this.headers.set(target.url, headers);
    }
  }

  prepare(data: ImageInput): Promise<Prepared> {
    return preprocess(data, this.imageOptions);
  }

  fingerprint(): Record<string, unknown> {
    // No URLs or keys: adding replicas or rotating keys keeps the cache valid.
    return { backend: 'openai', flavor: this.flavor, model: this.model };
  }

  async infer(request: InferRequest, signal: AbortSignal): Promise<InferResult> {
    if (this.closed) throw new TemporaryFailure('the openai backend was closed');
    signal.throwIfAborted();
    let last: Failed | undefined;
    let previous: Endpoint | undefined;
    let attempts = 0;
    const token = {};
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (last !== undefined) await this.pause(retryDelay(attempt - 1, this.random, last.retryAfterMs), signal);
      const ep = this.pool.acquire(previous);
      let outcome: Outcome = 'unknown';
      try {
        const result = await this.attempt(ep, request, signal);
        attempts++;
        if (result.ok) {
          outcome = { reached: true };
          return result.result;
        }
        outcome = result.outcome;
        last = result;
      } finally {
        this.pool.release(ep, outcome, token);
      }
      if (!isRetryable(last.failure.kind)) break;
      previous = ep;
    }
    if (last === undefined) throw new Error('unreachable: no attempt was made');
    if (isConnectionLevel(last.failure.kind, last.failure.status) && this.pool.allDown(token)) {
      throw new TemporaryFailure(`every endpoint is unreachable: ${this.pool.describe()}`);
    }
    throw failureError(last.failure, attempts);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await raceAbort(this.sleep(ms, signal), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error;
    }
  }

  /** One exchange. Rejects only with the caller's abort reason or a UsageError. */
  private async attempt(ep: Endpoint, request: InferRequest, signal: AbortSignal): Promise<AttemptResult> {
    const flavor = await this.flavorFor(ep, signal);
    const plan = buildRequest(flavor, this.model, request);
    const endpoint = ep.label;
    let fetched;
    try {
      fetched = await fetchText(
        this.fetchFn,
        ep.url + plan.path,
        { method: 'POST', headers: this.headersFor(ep), body: JSON.stringify(plan.body) },
        signal,
        this.timeoutMs,
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof AttemptTimeout) {
        const problem = `no answer within ${formatSeconds(this.timeoutMs)}`;
        return { ok: false, failure: { kind: 'timeout', endpoint, timeoutMs: this.timeoutMs }, outcome: { reached: false, problem, timeout: true } };
      }
      const problem = oneLine(redact(describeNetworkError(error), this.secrets));
      return {
        ok: false,
        failure: { kind: 'connection', endpoint, detail: problem },
        outcome: { reached: false, problem, timeout: false },
      };
    }
    const { status, headers, text } = fetched;
    const reached: Outcome = { reached: true };
    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        const detail = text.trim() === '' ? 'empty body' : `body is not JSON: ${this.clean(text, 120)}`;
        return { ok: false, failure: { kind: 'invalid_response', endpoint, status, detail }, outcome: reached };
      }
      const read = readResponse(flavor, json, this.model);
      if (read.ok) return read;
      return { ok: false, failure: { kind: 'invalid_response', endpoint, status, detail: read.reason }, outcome: reached };
    }
    const body = parseErrorBody(text);
    const failure: FailureInfo = {
      kind: classifyStatus(status, body.code),
      endpoint,
      status,
      detail: this.clean(body.message),
    };
    if (body.code !== undefined) failure.code = body.code;
    if (failure.kind === 'auth') throw authError(failure, this.apiKey !== undefined);
    const retryAfterMs = parseRetryAfter(headers, this.now());
    return retryAfterMs === undefined
      ? { ok: false, failure, outcome: reached }
      : { ok: false, failure, outcome: reached, retryAfterMs };
  }

  private headersFor(ep: Endpoint): Record<string, string> {
    return this.headers.get(ep.url) ?? {};
  }

  private clean(text: string, max?: number): string {
    return oneLine(redact(text, this.secrets), max);
  }

  /** The flavour to speak to `ep`; 'auto' is resolved on first use and remembered. */
  private async flavorFor(ep: Endpoint, signal: AbortSignal): Promise<ResolvedFlavor> {
    if (this.flavor !== 'auto') return this.flavor;
    const known = this.detected.get(ep);
    if (known !== undefined) return known;
    let pending = this.detecting.get(ep);
    if (pending === undefined) {
      pending = this.detect(ep);
      this.detecting.set(ep, pending);
      const forget = (): void => void this.detecting.delete(ep);
      pending.then(forget, forget);
    }
    return raceAbort(pending, signal);
  }

  private async detect(ep: Endpoint): Promise<ResolvedFlavor> {
    // Shared by every request waiting on it, so no single caller's signal.
    const probe = await probeFlavor(ep.url, {
      fetch: this.fetchFn,
      headers: this.headersFor(ep),
      model: this.model,
      signal: new AbortController().signal,
      timeoutMs: this.timeoutMs,
    });
    if (probe.remember) this.detected.set(ep, probe.flavor);
    if (probe.problem !== undefined && !this.detectionWarned.has(ep)) {
      this.detectionWarned.add(ep);
      this.warn(
        `could not tell which server runs at ${ep.label} (${oneLine(probe.problem, 200)}); ` +
          'sending plain OpenAI-compatible requests (set the flavor to choose)',
      );
    }
    return probe.flavor;
  }
}

function validate(options: OpenAIBackendOptions, secrets: readonly string[]): string[] {
  const fail = (message: string): never => {
    throw new UsageError(redact(message, secrets));
  };
  if (!FLAVORS.includes(options.flavor)) fail(`unknown flavor "${String(options.flavor)}"; expected one of ${FLAVORS.join(', ')}`);
  if (typeof options.model !== 'string' || options.model.trim() === '') fail('no model name given for the openai backend');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) fail(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
  if (!(options.timeoutMs > 0)) fail(`timeout must be positive, got ${options.timeoutMs} ms`);
  if (!Number.isInteger(options.retries) || options.retries < 0) fail(`retries must be a whole number ≥ 0, got ${options.retries}`);
  if (options.endpoints.length === 0) fail('no endpoint given for the openai backend');
  return options.endpoints.map((raw) => {
    try {
      return normalizeEndpoint(raw);
    } catch (error) {
      return fail(`bad endpoint: ${(error as Error).message}`);
    }
  });
}
