// The openai backend: any OpenAI-compatible chat-completions server (vLLM,
// SGLang, Zhipu, Ollama, llama.cpp, api.openai.com) or a bare /infer server.

import { authorization, splitCredentials } from './credentials.js';
import type { Backend, BackendStats, ImageInput, InferRequest, InferResult, Prepared } from '../backend.js';
import { DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PIXELS, JPEG_QUALITY, preprocess, type PreprocessOptions } from '../../image/preprocess.js';
import { TemporaryFailure, UsageError } from '../../support/errors.js';
import { configProblem, type Verdict } from './config-rule.js';
import { probeFlavor } from './detect-flavor.js';
import { API_BASE_FIX, missingV1Fix, modelAdvice, queryModels, servesModel, type ModelsAnswer } from './diagnose.js';
import type { Outcome, Endpoint } from './endpoint-pool.js';
import { EndpointPool } from './endpoint-pool.js';
import { parseErrorBody } from './error-body.js';
import type { FailureInfo } from './errors.js';
import { authError, ConfigurationError, failureError, formatSeconds } from './errors.js';
import type { Flavor, ResolvedFlavor } from './flavors.js';
import { FLAVORS, buildRequest, readResponse } from './flavors.js';
import { AttemptTimeout, defaultSleep, fetchText, raceAbort } from './http.js';
import { displayEndpoint, normalizeEndpoint, oneLine, redact } from './redact.js';
import { classifyStatus, describeNetworkError, isConnectionLevel, isRetryable } from './retry-policy.js';
import { parseRetryAfter, retryDelay } from '../../support/retry-policy.js';

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
  /** Set by the first answer that says the settings are wrong: no request is sent after it. */
  private stopping: Promise<ConfigurationError> | undefined;
  private readonly counts: BackendStats = { requests: 0, retries: 0 };

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

  stats(): BackendStats {
    return { ...this.counts };
  }

  async infer(request: InferRequest, signal: AbortSignal): Promise<InferResult> {
    if (this.closed) throw new TemporaryFailure('the openai backend was closed');
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
      const ep = this.pool.acquire(previous);
      let outcome: Outcome = 'unknown';
      try {
        const result = await this.attempt(ep, request, signal, attempt > 0);
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

  /** Once the settings are known to be wrong, every request fails with the same error, unsent. */
  private async throwIfStopping(signal: AbortSignal): Promise<void> {
    if (this.stopping !== undefined) throw await raceAbort(this.stopping, signal);
  }

  /** One exchange. Rejects only with the caller's abort reason or a UsageError. */
  private async attempt(ep: Endpoint, request: InferRequest, signal: AbortSignal, retry: boolean): Promise<AttemptResult> {
    const flavor = await this.flavorFor(ep, signal);
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
    const base = { endpoint: ep.label, status, detail: [failure.code, failure.detail].filter(Boolean).join(' ') };
    const model = this.model;
    const served = models?.kind === 'list' ? models.served : undefined;
    if (models?.kind === 'missing-v1') {
      return new ConfigurationError({ ...base, code: 'path', problem: 'has no /chat/completions under this base URL', fix: missingV1Fix(ep.label) });
    }
    if ((verdict.problem === 'model' || verdict.problem === 'path') && served !== undefined && !servesModel(served, model)) {
      const advice = modelAdvice(model, served);
      return new ConfigurationError({ ...base, code: 'model', problem: advice.problem, fix: advice.fix });
    }
    switch (verdict.problem) {
      case 'model': {
        const fix = served === undefined
          ? `check --model (GET /models could not list what the server serves; \`glm-vision doctor\` checks the endpoint)`
          : `check --model and the server log: GET /models lists ${model}`;
        return new ConfigurationError({ ...base, code: 'model', problem: `does not know the model ${model}`, fix });
      }
      case 'path': {
        const path = this.flavor === 'infer' ? '/infer' : '/chat/completions';
        const fix = served === undefined
          ? API_BASE_FIX
          : `check --endpoint: GET /models works there but POST ${path} does not (it must be the API base, usually ending in /v1)`;
        return new ConfigurationError({ ...base, code: 'path', problem: `has no ${path} under this base URL`, fix });
      }
      case 'parameter': {
        const what = verdict.param === undefined ? 'a request parameter' : `the request parameter ${verdict.param}`;
        return new ConfigurationError({ ...base, code: 'parameter', problem: `rejected ${what}`, fix: parameterFix(verdict.param) });
      }
      case 'max_tokens': {
        const limit = verdict.contextLength === undefined ? '' : ` below ${verdict.contextLength}`;
        return new ConfigurationError({
          ...base, code: 'max_tokens', problem: `cannot give answers as long as --max-tokens ${request.generation.maxTokens}`,
          fix: `lower --max-tokens${limit} (or serve the model with a longer context, vLLM: --max-model-len)`,
        });
      }
      case 'no_vision':
        return new ConfigurationError({
          ...base, code: 'no_vision', problem: `cannot take images with the model ${model}`,
          fix: 'serve a vision-language model (llama.cpp: with its --mmproj file) or choose one with --model',
        });
      case 'account':
        return new ConfigurationError({
          ...base, code: 'account', problem: 'refused the account',
          fix: "check the account's balance and status with the provider (Zhipu: the open.bigmodel.cn console)",
        });
      case 'auth':
        return authError(failure, this.apiKey !== undefined);
    }
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

/** What to change when the server rejects a parameter we send. */
function parameterFix(param: string | undefined): string {
  switch (param) {
    case 'response_format':
    case 'json_schema':
    case 'guided_json':
    case 'structured_outputs':
      return 'this server does not take structured output (response_format json_schema) as sent: set --flavor to the server you run, or use a prompt without a schema';
    case 'seed':
      return 'drop --seed, or set --flavor to the server you run';
    case 'top_p':
      return "change or drop --top-p (or the template's top_p)";
    case 'temperature':
      return "change or drop --temperature (or the template's temperature)";
    case 'max_tokens':
    case 'max_completion_tokens':
      return 'change --max-tokens, or set --flavor to the server you run (api.openai.com: --flavor openai)';
    case 'chat_template_kwargs':
    case 'enable_thinking':
    case 'thinking':
    case 'stream':
      return 'set --flavor to the server you run (it decides which extra fields are sent)';
    default:
      return 'check --flavor, --temperature, --top-p, --seed and --max-tokens against what the server accepts';
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
