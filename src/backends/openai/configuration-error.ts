// The error that stops a run whose settings a server refused: what is wrong,
// in the server's terms, and which option to change.
import type { Verdict } from './config-rule.js';
import { t } from '../../i18n/index.js';
import { apiBaseFix, missingV1Fix, modelAdvice, servesModel, type ModelsAnswer } from './diagnose.js';
import { authError, ConfigurationError, type FailureInfo } from './errors.js';
import type { Flavor } from './flavors.js';

/** What the refused request and its answer say. */
export interface Refusal {
  /** The endpoint as shown to the user. */
  endpoint: string;
  status: number;
  failure: FailureInfo;
  verdict: Verdict;
  /** The request's --max-tokens. */
  maxTokens: number;
  model: string;
  /** The flavor as configured ('auto' unresolved). */
  flavor: Flavor;
  apiKeyGiven: boolean;
}

/** `models`: the server's GET /models answer, where it was asked. */
export function configurationError(refusal: Refusal, models: ModelsAnswer | undefined): ConfigurationError {
  const { status, failure, verdict, model } = refusal;
  const base = { endpoint: refusal.endpoint, status, detail: [failure.code, failure.detail].filter(Boolean).join(' ') };
  const served = models?.kind === 'list' ? models.served : undefined;
  if (models?.kind === 'missing-v1') {
    return new ConfigurationError({ ...base, code: 'path', problem: t('server:config.no_path', { path: '/chat/completions' }), fix: missingV1Fix(refusal.endpoint) });
  }
  if ((verdict.problem === 'model' || verdict.problem === 'path') && served !== undefined && !servesModel(served, model)) {
    const advice = modelAdvice(model, served);
    return new ConfigurationError({ ...base, code: 'model', problem: advice.problem, fix: advice.fix });
  }
  switch (verdict.problem) {
    case 'model': {
      const fix = served === undefined ? t('server:fix.model.unlisted') : t('server:fix.model.listed', { model });
      return new ConfigurationError({ ...base, code: 'model', problem: t('server:config.unknown_model', { model }), fix });
    }
    case 'path': {
      const path = refusal.flavor === 'infer' ? '/infer' : '/chat/completions';
      const fix = served === undefined ? apiBaseFix() : t('server:fix.path.listed', { path });
      return new ConfigurationError({ ...base, code: 'path', problem: t('server:config.no_path', { path }), fix });
    }
    case 'parameter': {
      const problem = verdict.param === undefined ? t('server:config.parameter') : t('server:config.parameter.named', { param: verdict.param });
      return new ConfigurationError({ ...base, code: 'parameter', problem, fix: parameterFix(verdict.param) });
    }
    case 'max_tokens': {
      return new ConfigurationError({
        ...base, code: 'max_tokens', problem: t('server:config.max_tokens', { maxTokens: refusal.maxTokens }),
        fix: verdict.contextLength === undefined ? t('server:fix.max_tokens') : t('server:fix.max_tokens.below', { limit: verdict.contextLength }),
      });
    }
    case 'no_vision':
      return new ConfigurationError({
        ...base, code: 'no_vision', problem: t('server:config.no_vision', { model }), fix: t('server:fix.no_vision'),
      });
    case 'account':
      return new ConfigurationError({
        ...base, code: 'account', problem: t('server:config.account'), fix: t('server:fix.account'),
      });
    case 'auth':
      return authError(failure, refusal.apiKeyGiven);
  }
}

/** What to change when the server rejects a parameter we send. */
function parameterFix(param: string | undefined): string {
  switch (param) {
    case 'response_format':
    case 'json_schema':
    case 'guided_json':
    case 'structured_outputs':
      return t('server:fix.param.structured');
    case 'seed':
      return t('server:fix.param.seed');
    case 'top_p':
      return t('server:fix.param.top_p');
    case 'temperature':
      return t('server:fix.param.temperature');
    case 'max_tokens':
    case 'max_completion_tokens':
      return t('server:fix.param.max_tokens');
    case 'chat_template_kwargs':
    case 'enable_thinking':
    case 'thinking':
    case 'stream':
      return t('server:fix.param.flavor');
    default:
      return t('server:fix.param.other');
  }
}
