// What a catalog run says about its backend: "loading model" while the local
// engine loads, the engine's one line before its first image, and under
// --verbose the choices made and a line per request (onnx: per batch).
import type { EngineInfo, OnnxEvents } from '../backends/onnx/index.js';
import type { Exchange, OpenAIEvents } from '../backends/openai/index.js';
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
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const count = (n: number): string => n.toLocaleString('en-US');

export interface ModelLabel {
  /** A hub repo, else the folder as given. */
  name: string;
  /** The hub commit; absent for a folder. */
  revision?: string;
}

export function engineLine(model: ModelLabel, info: EngineInfo, dtypeSetting: string): string {
  const revision = model.revision ? `@${model.revision.slice(0, 12)}` : ' (a folder: no revision)';
  const dtype = dtypeSetting === 'auto' ? `${info.dtype} (auto)` : info.dtype;
  return `glm-vision: local engine: ${model.name}${revision}, dtype ${dtype}, device ${info.device}, ${info.threads} threads, ` +
    `batches of up to ${info.batchSize} images and ${count(info.batchTokens)} visual tokens, waiting up to ${info.batchWaitMs} ms to fill one`;
}

export function loadingPhase(model: ModelLabel): string {
  return `loading model ${model.name}…`;
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
    ...(verbose && {
      batch: (b) => verbose(
        `glm-vision: batch ${++batches}: ${b.images} ${b.images === 1 ? 'image' : 'images'}, ${count(b.visualTokens)} visual tokens, ` +
          `${count(b.tokensIn)} tokens in, ${count(b.tokensOut)} out, in ${latency(b.ms)} ` +
          `(${formatRate(b.tokensOut / Math.max(b.ms / 1000, 1e-3))} tokens/s)`,
      ),
    }),
  };
}

export function exchangeLine(n: number, e: Exchange): string {
  const retry = e.attempt > 0 ? ` (retry ${e.attempt})` : '';
  if (e.failure === undefined) {
    const tokens = e.tokensIn !== undefined && e.tokensOut !== undefined ? ` (${count(e.tokensIn)} tokens in, ${count(e.tokensOut)} out)` : '';
    return `glm-vision: request ${n} to ${e.endpoint}${retry}: answered in ${latency(e.ms)}${tokens}`;
  }
  const status = e.status !== undefined ? `HTTP ${e.status}, ` : '';
  return `glm-vision: request ${n} to ${e.endpoint}${retry}: ${status}${e.failure.replace('_', ' ')} after ${latency(e.ms)}`;
}

export function openaiEvents(voice: RunVoice): OpenAIEvents | undefined {
  const verbose = voice.verbose;
  if (!verbose) return undefined;
  let requests = 0;
  return {
    exchange: (e) => verbose(exchangeLine(++requests, e)),
    flavor: (endpoint, flavor) => verbose(`glm-vision: ${endpoint} speaks ${flavor} (detected)`),
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
  const level = c.concurrency === 'auto' ? `auto (up to ${c.maxConcurrency} per endpoint)` : String(c.concurrency);
  const endpoints = `${c.endpoints.length === 1 ? 'endpoint' : 'endpoints'} ${c.endpoints.join(', ')}`;
  return `glm-vision: backend openai, flavour ${c.flavor}, ${endpoints}, model ${c.model}, concurrency ${level}, ` +
    `timeout ${c.timeoutS} s, ${c.retries} retries`;
}

export interface EngineChoices {
  model: ModelLabel;
  dtype: string;
  device: string;
  threads: number;
  concurrency: number;
}

export function engineChoicesLine(c: EngineChoices): string {
  const revision = c.model.revision ? `@${c.model.revision.slice(0, 12)}` : '';
  return `glm-vision: backend onnx, model ${c.model.name}${revision}, dtype ${c.dtype}, device ${c.device}, ` +
    `${c.threads} threads, concurrency ${c.concurrency} (requests prepared ahead of the batches)`;
}
