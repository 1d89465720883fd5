// The openai backend: any OpenAI-compatible chat-completions server (vLLM,
// SGLang, Zhipu, Ollama, llama.cpp, api.openai.com) or a bare /infer server.

import { authorization, splitCredentials } from './credentials.js';
import type { Backend, BackendStats, EndpointLevel, ImageInput, InferRequest, InferResult, Prepared } from '../backend.js';
import { DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PIXELS, JPEG_QUALITY, preprocess, type PreprocessOptions } from '../../image/preprocess.js';
import { TemporaryFailure } from '../../support/errors.js';
import { t } from '../../i18n/index.js';
import { AutoLevels } from './auto-levels.js';
import { validateOptions, type OpenAIBackendOptions } from './backend-options.js';
import { configProblem, type Verdict } from './config-rule.js';
import { configurationError } from './configuration-error.js';
import { queryModels, type ModelsAnswer } from './diagnose.js';
import type { Outcome, Endpoint } from './endpoint-pool.js';
import { EndpointPool } from './endpoint-pool.js';
import { parseErrorBody } from './error-body.js';
import type { FailureInfo } from './errors.js';
import { failureError, formatSeconds, type ConfigurationError } from './errors.js';
import { FlavorResolver } from './flavor-resolver.js';
import type { Flavor, ResolvedFlavor } from './flavors.js';
import { buildRequest, readResponse } from './flavors.js';
import { AttemptTimeout, defaultSleep, fetchText, raceAbort } from './http.js';
import { DEFAULT_INITIAL_LEVEL, DEFAULT_MAX_LEVEL } from './level-controller.js';
import { DEFAULT_POLL_MS, realTimers } from './metrics-poller.js';
import { metricsUrl, readMetrics } from './server-metrics.js';
import { displayEndpoint, oneLine, redact } from './redact.js';
import { classifyStatus, describeNetworkError, isConnectionLevel, isRetryable } from './retry-policy.js';
import { parseRetryAfter, retryDelay } from '../../support/retry-policy.js';

export type { OpenAIBackendOptions } from './backend-options.js';

type Failed = { ok: false; failure: FailureInfo; outcome: Outcome; retryAfterMs?: number };
type AttemptResult = { ok: true; result: InferResult } | Failed;

/** What of the openai backend changes answers, for the job fingerprint: a batch file's requests share it. */
export function openaiFingerprint(flavor: Flavor, model: string): Record<string, unknown> {
  // No URLs or keys: adding replicas or rotating keys keeps the cache valid.
  return { backend: 'openai', flavor, model };
}

export function createOpenAIBackend(options: OpenAIBackendOptions): Backend {
  return new OpenAIBackend(options);
}

class OpenAIBackend implements Backend {
  readonly kind = 'openai';
  readonly maxConcurrency: number;
  private readonly fixed: number | undefined;
  /** --concurrency auto: the level of each endpoint. */
  private readonly auto: AutoLevels | undefined;
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
  private readonly pool: EndpointPool;
  private readonly headers = new Map<string, Record<string, string>>();
  private readonly flavors: FlavorResolver;
  private closed = false;
  private readonly imageOptions: PreprocessOptions;
  /** Set by the first answer that says the settings are wrong: no request is sent after it. */
  private stopping: Promise<ConfigurationError> | undefined;
  private readonly counts: BackendStats = { requests: 0, retries: 0 };

  constructor(options: OpenAIBackendOptions) {
    const apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.secrets = apiKey === undefined ? [] : [apiKey];
    const endpoints = validateOptions(options, this.secrets);
    const targets = endpoints.map((raw) => splitCredentials(raw));
    for (const target of targets) if (target.password !== '') this.secrets.push(target.password);
    this.model = options.model;
    this.flavor = options.flavor;
    this.apiKey = apiKey;
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
    this.flavors = new FlavorResolver({
      flavor: this.flavor, model: this.model, timeoutMs: this.timeoutMs, fetch: this.fetchFn,
      headersFor: (ep) => this.headersFor(ep), warn: safeWarn,
    });
    if (options.concurrency === 'auto') {
      this.auto = new AutoLevels(this.pool.endpoints, {
        initial: DEFAULT_INITIAL_LEVEL, max: options.maxConcurrency ?? DEFAULT_MAX_LEVEL, now: this.now,
        timers: options.timers ?? realTimers, pollMs: options.metricsPollMs ?? DEFAULT_POLL_MS,
        readMetrics: (ep, signal) =>
          readMetrics(this.fetchFn, metricsUrl(ep.url), this.headersFor(ep), signal, Math.min(this.timeoutMs, 10_000)),
      });
      this.maxConcurrency = this.auto.max;
    } else {
      this.fixed = options.concurrency;
      this.maxConcurrency = options.concurrency;
    }
    const base: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    for (const target of targets) {
      const headers = { ...base };
      // fetch refuses URLs with credentials; a proxy's user:password becomes Basic auth.
      const auth = authorization(apiKey, target);
      if (auth !== undefined) headers.authorization = auth;
      this.headers.set(target.url, headers);
    }
  }

  get concurrency(): number {
    return this.auto?.level ?? this.fixed ?? 1;
  }

  onConcurrency(listener: (concurrency: number) => void): void {
    this.auto?.onLevel(listener);
  }

  levels(): EndpointLevel[] {
    return this.auto?.report() ?? [];
  }

  prepare(data: ImageInput): Promise<Prepared> {
    return preprocess(data, this.imageOptions);
  }

  fingerprint(): Record<string, unknown> {
    return openaiFingerprint(this.flavor, this.model);
  }

  stats(): BackendStats {
    return { ...this.counts };
  }

  async infer(request: InferRequest, signal: AbortSignal): Promise<InferResult> {
    if (this.closed) throw new TemporaryFailure(t('server:closed'));
    signal.throwIfAborted();
    await this.throwIfStopping(signal);
    let last: Failed | undefined;
    let previous: Endpoint | undefined;
    let attempts = 0;
    const token = {};
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (last !== undefined) {
        await this.pause(retryDelay(attempt - 1, this.random, last.retryAfterMs), signal);
        await this.throwIfStopping(signal);
      }
      const ep = await this.acquire(previous, signal);
      const sent = { sentAt: this.now(), inFlightAtSend: ep.inFlight };
      this.auto?.sent(ep);
      let outcome: Outcome = 'unknown';
      let result: AttemptResult | undefined;
      try {
        result = await this.attempt(ep, request, signal, attempt > 0);
        attempts++;
        outcome = result.ok ? { reached: true } : result.outcome;
      } finally {
        this.pool.release(ep, outcome, token);
        this.auto?.settled(ep, result, sent);
      }
      if (result.ok) return result.result;
      last = result;
      if (!isRetryable(last.failure.kind)) break;
      previous = ep;
    }
    if (last === undefined) throw new Error('unreachable: no attempt was made');
    if (isConnectionLevel(last.failure.kind, last.failure.status) && this.pool.allDown(token)) {
      throw new TemporaryFailure(t('ask:unreachable.all', { endpoints: this.pool.describe(), next: this.pool.nextStep() }));
    }
    throw failureError(last.failure, attempts);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.auto?.close();
  }

  /** An endpoint with room (auto: below its level and not paused by a Retry-After), counted in flight. */
  private async acquire(avoid: Endpoint | undefined, signal: AbortSignal): Promise<Endpoint> {
    const auto = this.auto;
    if (!auto) return this.pool.acquire(avoid);
    for (;;) {
      const ep = this.pool.acquireIf((e) => auto.admits(e), avoid);
      if (ep) return ep;
      await auto.waitForRoom(signal);
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await raceAbort(this.sleep(ms, signal), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error;
    }
  }

  /** Once the settings are known to be wrong, every request fails with the same error, unsent. */
  private async throwIfStopping(signal: AbortSignal): Promise<void> {
    if (this.stopping !== undefined) throw await raceAbort(this.stopping, signal);
  }

  /** One exchange. Rejects only with the caller's abort reason or a UsageError. */
  private async attempt(ep: Endpoint, request: InferRequest, signal: AbortSignal, retry: boolean): Promise<AttemptResult> {
    const flavor = await this.flavors.flavorFor(ep, signal);
    // Another request may have learnt meanwhile that the settings are wrong.
    await this.throwIfStopping(signal);
    const plan = buildRequest(flavor, this.model, request);
    const endpoint = ep.label;
    let fetched;
    this.counts.requests++;
    if (retry) this.counts.retries++;
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
    const verdict = configProblem(status, body, request.generation.maxTokens);
    if (verdict !== undefined) throw await this.stop(ep, flavor, status, failure, verdict, request, signal);
    const retryAfterMs = parseRetryAfter(headers, this.now());
    return retryAfterMs === undefined
      ? { ok: false, failure, outcome: reached }
      : { ok: false, failure, outcome: reached, retryAfterMs };
  }

  /**
   * The error that stops the run. The first such answer diagnoses it (one GET
   * /models where that helps); answers racing it get the same error.
   */
  private async stop(
    ep: Endpoint, flavor: ResolvedFlavor, status: number, failure: FailureInfo, verdict: Verdict,
    request: InferRequest, signal: AbortSignal,
  ): Promise<ConfigurationError> {
    this.stopping ??= this.diagnose(ep, flavor, status, failure, verdict, request).catch(
      // A failed diagnosis still stops the run, with the server's own words.
      () => this.configurationError(ep, status, failure, verdict, request, undefined),
    );
    return raceAbort(this.stopping, signal);
  }

  private async diagnose(
    ep: Endpoint, flavor: ResolvedFlavor, status: number, failure: FailureInfo, verdict: Verdict,
    request: InferRequest,
  ): Promise<ConfigurationError> {
    // The model list only helps with a wrong model or URL; a bare /infer server has none.
    if ((verdict.problem !== 'model' && verdict.problem !== 'path') || flavor === 'infer') {
      return this.configurationError(ep, status, failure, verdict, request, undefined);
    }
    const answer = await queryModels({
      url: ep.url, headers: this.headersFor(ep), timeoutMs: this.timeoutMs, fetch: this.fetchFn,
    });
    return this.configurationError(ep, status, failure, verdict, request, answer);
  }

  private configurationError(
    ep: Endpoint, status: number, failure: FailureInfo, verdict: Verdict, request: InferRequest,
    models: ModelsAnswer | undefined,
  ): ConfigurationError {
    const refusal = {
      endpoint: ep.label, status, failure, verdict, maxTokens: request.generation.maxTokens,
      model: this.model, flavor: this.flavor, apiKeyGiven: this.apiKey !== undefined,
    };
    return configurationError(refusal, models);
  }

  private headersFor(ep: Endpoint): Record<string, string> {
    return this.headers.get(ep.url) ?? {};
  }

  private clean(text: string, max?: number): string {
    return oneLine(redact(text, this.secrets), max);
  }
}
