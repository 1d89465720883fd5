// One endpoint: GET <url>/models with the API key, through the openai
// backend's own HTTP, redaction and error wording. Never shows the key.
import {
  API_BASE_FIX, AUTH_FIX_KEY, AUTH_FIX_NO_KEY, authorization, displayEndpoint, formatSeconds, listed, missingV1Fix, modelAdvice,
  normalizeEndpoint, oneLine, parseErrorBody, queryModels, redact, sameModel, SERVE_DOCS, servesModel, splitCredentials,
} from '../backends/openai/index.js';
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

export async function checkEndpoint(options: EndpointCheckOptions): Promise<CheckResult> {
  const target = splitCredentials(normalizeEndpoint(options.url));
  const secrets = [options.apiKey, target.password].filter((s): s is string => s !== undefined && s !== '');
  const shown = displayEndpoint(target.url);
  const name = `endpoint ${shown}`;
  const clean = (text: string, max?: number): string => oneLine(redact(text, secrets), max);
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = authorization(options.apiKey, target);
  if (auth !== undefined) headers.authorization = auth;

  const answer = await queryModels({ url: target.url, headers, timeoutMs: options.timeoutMs, fetch: options.fetch });
  switch (answer.kind) {
    case 'unreachable': {
      if (answer.timeout) {
        return fail(name, `no answer within ${formatSeconds(options.timeoutMs)}`,
          `check that the server is up and not overloaded, and that no firewall drops the port; or allow more time with --timeout`);
      }
      const why = clean(answer.why);
      return fail(name, why, networkFix(why, shown));
    }
    case 'missing-v1':
      return fail(name, `GET /models: HTTP 404, but ${shown}/v1/models answers`, missingV1Fix(shown));
    case 'status': {
      const { status } = answer;
      const message = clean(parseErrorBody(answer.text).message, 200);
      const serverMessage = message === '' ? '' : `: ${message}`;
      if (status === 401 || status === 403) {
        return options.apiKey
          ? fail(name, `the server rejected the API key (HTTP ${status})${serverMessage}`, AUTH_FIX_KEY)
          : fail(name, `the server wants an API key and none was given (HTTP ${status})${serverMessage}`, AUTH_FIX_NO_KEY);
      }
      if (status === 404) {
        // A bare /infer server has no model list at all.
        return warn(name, `reachable, but GET /models answered HTTP 404, so the model cannot be checked`,
          `if catalog runs fail with HTTP 404 too, ${API_BASE_FIX}`);
      }
      const fix = status >= 500
        ? 'see the server log (it may still be loading the model); try again when it is ready'
        : 'check that --endpoint is the API base of an OpenAI-compatible server (usually ending in /v1)';
      return fail(name, `GET /models answered HTTP ${status}${serverMessage}`, fix);
    }
    case 'not-json':
      return fail(name, `GET /models did not answer JSON: ${clean(answer.text, 80)}`,
        'this is not an OpenAI-compatible API: give its base URL as --endpoint (usually ending in /v1, e.g. http://host:8000/v1)');
    case 'not-a-list':
      return warn(name, `reachable (${answer.ms} ms), but GET /models is not an OpenAI model list, so the model cannot be checked`,
        'nothing to do if catalog runs work; otherwise check --endpoint');
    case 'list':
      break;
  }
  const { served, ms } = answer;
  const list = listed(served);
  const model = options.model;
  if (model === undefined) return ok(name, `reachable (${ms} ms); serves ${list || 'no models'}`);
  if (servesModel(served, model)) {
    const others = served.filter((id) => !sameModel(id, model));
    return ok(name, `reachable (${ms} ms); serves ${model}${others.length ? ` (and ${listed(others)})` : ''}`);
  }
  const advice = modelAdvice(model, served);
  return fail(name, advice.problem, advice.fix);
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
