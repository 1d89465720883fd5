// One endpoint: GET <url>/models with the API key, through the openai
// backend's own HTTP, redaction and error wording. Never shows the key.
import { authorization, splitCredentials } from '../backends/openai/credentials.js';
import { AttemptTimeout, fetchText, type FetchedText } from '../backends/openai/http.js';
import { parseErrorBody } from '../backends/openai/error-body.js';
import { formatSeconds } from '../backends/openai/errors.js';
import { isRecord } from '../backends/openai/flavors.js';
import { displayEndpoint, normalizeEndpoint, oneLine, redact } from '../backends/openai/redact.js';
import { describeNetworkError } from '../backends/openai/retry-policy.js';
import { fail, ok, warn, type CheckResult } from './check.js';

export interface EndpointCheckOptions {
  /** Base URL, e.g. http://host:8000/v1 (may carry user:password). */
  url: string;
  /** The model a catalog run would ask for; undefined: only list what is served. */
  model?: string;
  apiKey?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

const SERVE_DOCS = 'see the README, "Serving GLM-4.6V-Flash and pointing glm-vision at it"';
const MAX_LISTED = 10;

export async function checkEndpoint(options: EndpointCheckOptions): Promise<CheckResult> {
  const target = splitCredentials(normalizeEndpoint(options.url));
  const secrets = [options.apiKey, target.password].filter((s): s is string => s !== undefined && s !== '');
  const shown = displayEndpoint(target.url);
  const name = `endpoint ${shown}`;
  const clean = (text: string, max?: number): string => oneLine(redact(text, secrets), max);
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = authorization(options.apiKey, target);
  if (auth !== undefined) headers.authorization = auth;
  const get = (url: string): Promise<FetchedText> =>
    fetchText(options.fetch ?? globalThis.fetch, `${url}/models`, { method: 'GET', headers }, new AbortController().signal, options.timeoutMs);

  const started = Date.now();
  let answer: FetchedText;
  try {
    answer = await get(target.url);
  } catch (error) {
    if (error instanceof AttemptTimeout) {
      return fail(name, `no answer within ${formatSeconds(options.timeoutMs)}`,
        `check that the server is up and not overloaded, and that no firewall drops the port; or allow more time with --timeout`);
    }
    const why = clean(describeNetworkError(error));
    return fail(name, why, networkFix(why, shown));
  }
  const ms = Date.now() - started;
  const { status, text } = answer;
  const serverMessage = (): string => {
    const message = clean(parseErrorBody(text).message, 200);
    return message === '' ? '' : `: ${message}`;
  };

  if (status === 401 || status === 403) {
    return options.apiKey
      ? fail(name, `the server rejected the API key (HTTP ${status})${serverMessage()}`, 'check --api-key or $GLM_VISION_API_KEY (also read: $OPENAI_API_KEY, $ZHIPUAI_API_KEY)')
      : fail(name, `the server wants an API key and none was given (HTTP ${status})${serverMessage()}`, 'pass --api-key KEY or set GLM_VISION_API_KEY');
  }
  if (status === 404) {
    // A base URL without its /v1 is the usual slip; a bare /infer server has no model list at all.
    if (!/\/v\d+$/.test(target.url)) {
      const withV1 = await get(`${target.url}/v1`).catch(() => undefined);
      if (withV1 !== undefined && withV1.status >= 200 && withV1.status < 300) {
        return fail(name, `GET /models: HTTP 404, but ${shown}/v1/models answers`, `use --endpoint ${shown}/v1`);
      }
    }
    return warn(name, `reachable, but GET /models answered HTTP 404, so the model cannot be checked`,
      `if catalog runs fail with HTTP 404 too, give the API base as --endpoint (it usually ends in /v1, e.g. http://host:8000/v1)`);
  }
  if (status < 200 || status >= 300) {
    const fix = status >= 500
      ? 'see the server log (it may still be loading the model); try again when it is ready'
      : 'check that --endpoint is the API base of an OpenAI-compatible server (usually ending in /v1)';
    return fail(name, `GET /models answered HTTP ${status}${serverMessage()}`, fix);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail(name, `GET /models did not answer JSON: ${clean(text, 80)}`,
      'this is not an OpenAI-compatible API: give its base URL as --endpoint (usually ending in /v1, e.g. http://host:8000/v1)');
  }
  const served = servedModels(json);
  if (served === undefined) {
    return warn(name, `reachable (${ms} ms), but GET /models is not an OpenAI model list, so the model cannot be checked`,
      'nothing to do if catalog runs work; otherwise check --endpoint');
  }
  const list = listed(served);
  if (options.model === undefined) return ok(name, `reachable (${ms} ms); serves ${list || 'no models'}`);
  if (served.some((id) => sameModel(id, options.model as string))) {
    const others = served.filter((id) => !sameModel(id, options.model as string));
    return ok(name, `reachable (${ms} ms); serves ${options.model}${others.length ? ` (and ${listed(others)})` : ''}`);
  }
  const fix = served.length
    ? `use --model ${served[0]}${served.length > 1 ? ' (or another name it serves)' : ''}, or serve ${options.model} there (vLLM: --served-model-name ${options.model})`
    : `load ${options.model} on the server (${SERVE_DOCS})`;
  return fail(name, `does not serve ${options.model}; it serves ${list || 'no models'}`, fix);
}

/** The ids of an OpenAI /models answer; undefined when it is not one. */
function servedModels(json: unknown): string[] | undefined {
  if (!isRecord(json) || !Array.isArray(json.data)) return undefined;
  return json.data.filter(isRecord).map((entry) => entry.id).filter((id): id is string => typeof id === 'string');
}

function listed(ids: string[]): string {
  const head = ids.slice(0, MAX_LISTED).join(', ');
  return ids.length > MAX_LISTED ? `${head} and ${ids.length - MAX_LISTED} more` : head;
}

/** Ollama lists "llava:latest" and answers to "llava". */
function sameModel(served: string, wanted: string): boolean {
  return served === wanted || served === `${wanted}:latest`;
}

function networkFix(why: string, shown: string): string {
  const host = safeHost(shown);
  if (why === 'connection refused') return `is the server running? Start it (${SERVE_DOCS}), or correct the host and port in --endpoint`;
  if (why === 'host not found') return `check the host name ${host} in --endpoint (DNS, /etc/hosts)`;
  if (/unreachable|timed out/.test(why)) return `check the network path to ${host}: routes, VPN, firewall`;
  if (why === 'bad port') return `fetch refuses port ${safePort(shown)} (a port browsers block); serve the API on another port, e.g. 8000`;
  if (/certificate|ssl|tls/i.test(why)) return 'use a certificate this machine trusts, or point NODE_EXTRA_CA_CERTS at your CA file (PEM)';
  return `check that the server at ${shown} is up and that --endpoint is its API base (usually ending in /v1)`;
}

function safePort(url: string): string {
  try {
    return new URL(url).port;
  } catch {
    return '?';
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
