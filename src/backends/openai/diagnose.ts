// What GET {base}/models says about an endpoint: shared by `glm-vision doctor`
// and by a catalog run that a server stopped with a configuration error, so
// both give the same diagnosis and the same fix.

import { isRecord } from './flavors.js';
import { AttemptTimeout, fetchText, type FetchedText } from './http.js';
import { describeNetworkError } from './retry-policy.js';

export const SERVE_DOCS = 'see the README, "Serving GLM-4.6V-Flash and pointing glm-vision at it"';
const MAX_LISTED = 10;

export interface ModelsQuery {
  /** Base URL without credentials, e.g. http://host:8000/v1. */
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** How GET {base}/models answered. */
export type ModelsAnswer =
  | { kind: 'unreachable'; why: string; timeout: boolean }
  /** 404 on {base}/models while {base}/v1/models answers: the base URL lacks its /v1. */
  | { kind: 'missing-v1' }
  | { kind: 'status'; status: number; text: string }
  | { kind: 'not-json'; text: string }
  | { kind: 'not-a-list'; ms: number }
  | { kind: 'list'; served: string[]; ms: number };

/** One GET {base}/models, and on a 404 one GET {base}/v1/models when the base has no /vN. Never rejects. */
export async function queryModels(query: ModelsQuery): Promise<ModelsAnswer> {
  const fetchFn = query.fetch ?? globalThis.fetch;
  const get = (base: string): Promise<FetchedText> =>
    fetchText(fetchFn, `${base}/models`, { method: 'GET', headers: query.headers }, new AbortController().signal, query.timeoutMs);
  const started = Date.now();
  let answer: FetchedText;
  try {
    answer = await get(query.url);
  } catch (error) {
    if (error instanceof AttemptTimeout) return { kind: 'unreachable', why: 'no answer in time', timeout: true };
    return { kind: 'unreachable', why: describeNetworkError(error), timeout: false };
  }
  const ms = Date.now() - started;
  const { status, text } = answer;
  if (status === 404 && !/\/v\d+$/.test(query.url)) {
    // A base URL without its /v1 is the usual slip.
    const withV1 = await get(`${query.url}/v1`).catch(() => undefined);
    if (withV1 !== undefined && withV1.status >= 200 && withV1.status < 300) return { kind: 'missing-v1' };
  }
  if (status < 200 || status >= 300) return { kind: 'status', status, text };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'not-json', text };
  }
  const served = servedModels(json);
  return served === undefined ? { kind: 'not-a-list', ms } : { kind: 'list', served, ms };
}

/** The ids of an OpenAI /models answer; undefined when it is not one. */
function servedModels(json: unknown): string[] | undefined {
  if (!isRecord(json) || !Array.isArray(json.data)) return undefined;
  return json.data.filter(isRecord).map((entry) => entry.id).filter((id): id is string => typeof id === 'string');
}

/** "a, b, c and 4 more". */
export function listed(ids: readonly string[]): string {
  const head = ids.slice(0, MAX_LISTED).join(', ');
  return ids.length > MAX_LISTED ? `${head} and ${ids.length - MAX_LISTED} more` : head;
}

/** Ollama lists "llava:latest" and answers to "llava". */
export function sameModel(served: string, wanted: string): boolean {
  return served === wanted || served === `${wanted}:latest`;
}

export function servesModel(served: readonly string[], wanted: string): boolean {
  return served.some((id) => sameModel(id, wanted));
}

/** What to say when the server does not serve `model`: the problem and its fix. */
export function modelAdvice(model: string, served: readonly string[]): { problem: string; fix: string } {
  const problem = `does not serve ${model}; it serves ${listed(served) || 'no models'}`;
  const fix = served.length
    ? `use --model ${served[0]}${served.length > 1 ? ' (or another name it serves)' : ''}, or serve ${model} there (vLLM: --served-model-name ${model})`
    : `load ${model} on the server (${SERVE_DOCS})`;
  return { problem, fix };
}

/** The fix when the base URL (as shown to users) lacks its /v1. */
export function missingV1Fix(shown: string): string {
  return `use --endpoint ${shown}/v1`;
}

export const API_BASE_FIX = 'give the API base as --endpoint (it usually ends in /v1, e.g. http://host:8000/v1)';
