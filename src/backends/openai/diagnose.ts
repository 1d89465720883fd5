// What GET {base}/models says about an endpoint: shared by `glm-vision doctor`
// and by a catalog run that a server stopped with a configuration error, so
// both give the same diagnosis and the same fix.

import { t } from '../../i18n/index.js';
import { isRecord } from './flavors.js';
import { AttemptTimeout, fetchText, type FetchedText } from './http.js';
import { describeNetworkError } from './retry-policy.js';

/** Where the README says how to serve a model. */
export const serveDocs = (): string => t('server:fix.serve_docs');
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
  return ids.length > MAX_LISTED ? t('server:list.more', { list: head, count: ids.length - MAX_LISTED }) : head;
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
  const problem = served.length ? t('server:model.not_served', { model, served: listed(served) }) : t('server:model.not_served_any', { model });
  const fix = served.length
    ? t(served.length > 1 ? 'server:fix.use_model.others' : 'server:fix.use_model', { served: served[0], model, name: model })
    : t('server:fix.load_model', { model, docs: serveDocs() });
  return { problem, fix };
}

/** The fix when the base URL (as shown to users) lacks its /v1. */
export function missingV1Fix(shown: string): string {
  return t('server:fix.missing_v1', { url: shown });
}

/** The fix when --endpoint is not the API base. */
export const apiBaseFix = (): string => t('server:fix.api_base');
