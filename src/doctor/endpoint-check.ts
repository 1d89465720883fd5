// One endpoint: GET <url>/models with the API key, through the openai
// backend's own HTTP, redaction and error wording. Never shows the key.
import {
  apiBaseFix, authFix, authorization, displayEndpoint, listed, missingV1Fix, modelAdvice, normalizeEndpoint, oneLine,
  parseErrorBody, queryModels, reasonText, redact, sameModel, serveDocs, servesModel, splitCredentials,
} from '../backends/openai/index.js';
import { t } from '../i18n/index.js';
import { timeText } from '../i18n/units.js';
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
        return fail(name, t('doctor:endpoint.timeout', { time: timeText(options.timeoutMs) }), t('doctor:endpoint.timeout.fix'));
      }
      const why = clean(answer.why);
      return fail(name, reasonText(why), networkFix(why, shown));
    }
    case 'missing-v1':
      return fail(name, t('doctor:endpoint.missing_v1', { url: shown }), missingV1Fix(shown));
    case 'status': {
      const { status } = answer;
      const message = clean(parseErrorBody(answer.text).message, 200);
      const said = message === '' ? '' : '.said';
      if (status === 401 || status === 403) {
        const key = options.apiKey ? 'doctor:endpoint.key_rejected' : 'doctor:endpoint.key_missing';
        return fail(name, t(`${key}${said}`, { status, message }), authFix(!!options.apiKey));
      }
      if (status === 404) {
        // A bare /infer server has no model list at all.
        return warn(name, t('doctor:endpoint.no_list'), t('doctor:endpoint.no_list.fix', { fix: apiBaseFix() }));
      }
      const fix = status >= 500 ? t('doctor:endpoint.status.server.fix') : t('doctor:endpoint.status.client.fix');
      return fail(name, t(`doctor:endpoint.status${said}`, { status, message }), fix);
    }
    case 'not-json':
      return fail(name, t('doctor:endpoint.not_json', { text: clean(answer.text, 80) }), t('doctor:endpoint.not_json.fix'));
    case 'not-a-list':
      return warn(name, t('doctor:endpoint.not_a_list', { ms: answer.ms }), t('doctor:endpoint.not_a_list.fix'));
    case 'list':
      break;
  }
  const { served, ms } = answer;
  const model = options.model;
  if (model === undefined) {
    return ok(name, served.length ? t('doctor:endpoint.serves', { ms, models: listed(served) }) : t('doctor:endpoint.serves_nothing', { ms }));
  }
  if (servesModel(served, model)) {
    const others = served.filter((id) => !sameModel(id, model));
    return ok(name, others.length ? t('doctor:endpoint.serves_model_and', { ms, model, others: listed(others) }) : t('doctor:endpoint.serves_model', { ms, model }));
  }
  const advice = modelAdvice(model, served);
  return fail(name, advice.problem, advice.fix);
}

function networkFix(why: string, shown: string): string {
  const host = safeHost(shown);
  if (why === 'connection refused') return t('doctor:endpoint.refused.fix', { docs: serveDocs() });
  if (why === 'host not found') return t('doctor:endpoint.host.fix', { host });
  if (/unreachable|timed out/.test(why)) return t('doctor:endpoint.route.fix', { host });
  if (why === 'bad port') return t('doctor:endpoint.port.fix', { port: safePort(shown) });
  if (/certificate|ssl|tls/i.test(why)) return t('doctor:endpoint.tls.fix');
  return t('doctor:endpoint.other.fix', { url: shown });
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
