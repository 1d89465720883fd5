// What a catalog run says about its backend: "loading model" while the local
// engine loads, the engine's one line before its first image, and under
// --verbose the choices made and a line per request (onnx: per batch).
import type { BatchReport, EngineInfo, OnnxEvents } from '../backends/onnx/index.js';
import type { Exchange, OpenAIEvents } from '../backends/openai/index.js';
import { t } from '../i18n/index.js';
import { formatRate } from '../pipeline/progress-format.js';

export interface RunVoice {
  /** A line for a person, unless --quiet (on a terminal, above the bar). */
  say(text: string): void;
  /** What the progress line shows in place of the rate while the run waits on it. */
  phase(text: string | undefined): void;
  /** --verbose: a line about a choice or a request; absent without it. */
  verbose?: (text: string) => void;
}

/** 312 ms, 4.21 s. */
export function latency(ms: number): string {
  return ms < 1000 ? t('progress:latency.ms', { ms: Math.round(ms) }) : t('progress:latency.s', { s: (ms / 1000).toFixed(2) });
}

const count = (n: number): string => n.toLocaleString('en-US');
const line = (text: string): string => t('progress:line', { text });

export interface ModelLabel {
  /** A hub repo, else the folder as given. */
  name: string;
  /** The hub commit; absent for a folder. */
  revision?: string;
}

const revisionOf = (model: ModelLabel, none: string): string =>
  (model.revision ? t('progress:engine.revision', { revision: model.revision.slice(0, 12) }) : none);

export function engineLine(model: ModelLabel, info: EngineInfo, dtypeSetting: string): string {
  return line(t('progress:engine.line', {
    model: model.name, revision: revisionOf(model, t('progress:engine.noRevision')),
    dtype: dtypeSetting === 'auto' ? t('progress:engine.dtypeAuto', { dtype: info.dtype }) : info.dtype,
    device: info.device, threads: t('progress:engine.threads', { count: info.threads }),
    batchSize: info.batchSize, batchTokens: count(info.batchTokens), waitMs: info.batchWaitMs,
  }));
}

export function loadingPhase(model: ModelLabel): string {
  return t('progress:engine.loading', { model: model.name });
}

export function batchLine(n: number, b: BatchReport): string {
  return line(t('progress:verbose.batch', {
    n, images: t('progress:verbose.images', { count: b.images }), visual: count(b.visualTokens),
    in: count(b.tokensIn), out: count(b.tokensOut), latency: latency(b.ms),
    speed: formatRate(b.tokensOut / Math.max(b.ms / 1000, 1e-3)),
  }));
}

export function onnxEvents(voice: RunVoice, model: ModelLabel, dtypeSetting: string): OnnxEvents {
  let batches = 0;
  const verbose = voice.verbose;
  return {
    loading: () => voice.phase(loadingPhase(model)),
    loaded: (info) => {
      voice.phase(undefined);
      voice.say(engineLine(model, info, dtypeSetting));
    },
    ...(verbose && { batch: (b) => verbose(batchLine(++batches, b)) }),
  };
}

export function exchangeLine(n: number, e: Exchange): string {
  const retry = e.attempt > 0 ? t('progress:verbose.retry', { n: e.attempt }) : '';
  if (e.failure === undefined) {
    const tokens = e.tokensIn !== undefined && e.tokensOut !== undefined
      ? t('progress:verbose.tokens', { in: count(e.tokensIn), out: count(e.tokensOut) })
      : '';
    return line(t('progress:verbose.answered', { n, endpoint: e.endpoint, retry, latency: latency(e.ms), tokens }));
  }
  return line(t('progress:verbose.failed', {
    n, endpoint: e.endpoint, retry, latency: latency(e.ms),
    status: e.status !== undefined ? t('progress:verbose.status', { status: e.status }) : '',
    failure: t(`progress:failure.${e.failure}`),
  }));
}

export function openaiEvents(voice: RunVoice): OpenAIEvents | undefined {
  const verbose = voice.verbose;
  if (!verbose) return undefined;
  let requests = 0;
  return {
    exchange: (e) => verbose(exchangeLine(++requests, e)),
    flavor: (endpoint, flavor) => verbose(line(t('progress:verbose.flavor', { endpoint, flavor }))),
  };
}

export interface ServerChoices {
  endpoints: string[];
  model: string;
  flavor: string;
  concurrency: number | 'auto';
  maxConcurrency: number;
  timeoutS: number;
  retries: number;
}

export function serverChoicesLine(c: ServerChoices): string {
  return line(t('progress:verbose.server', {
    flavor: c.flavor, model: c.model, timeout: c.timeoutS,
    endpoints: t('progress:verbose.endpoints', { count: c.endpoints.length, list: c.endpoints.join(', ') }),
    level: c.concurrency === 'auto' ? t('progress:verbose.levelAuto', { max: c.maxConcurrency }) : c.concurrency,
    retries: t('progress:verbose.retries', { count: c.retries }),
  }));
}

export interface EngineChoices {
  model: ModelLabel;
  dtype: string;
  device: string;
  threads: number;
  concurrency: number;
}

export function engineChoicesLine(c: EngineChoices): string {
  return line(t('progress:verbose.engine', {
    model: `${c.model.name}${revisionOf(c.model, '')}`, dtype: c.dtype, device: c.device,
    threads: t('progress:engine.threads', { count: c.threads }), concurrency: c.concurrency,
  }));
}
