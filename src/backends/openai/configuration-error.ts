// The error that stops a run whose settings a server refused: what is wrong,
// in the server's terms, and which option to change.
import type { Verdict } from './config-rule.js';
import { missingV1Fix, modelAdvice, servesModel, API_BASE_FIX, type ModelsAnswer } from './diagnose.js';
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
    return new ConfigurationError({ ...base, code: 'path', problem: 'has no /chat/completions under this base URL', fix: missingV1Fix(refusal.endpoint) });
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
      const path = refusal.flavor === 'infer' ? '/infer' : '/chat/completions';
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
        ...base, code: 'max_tokens', problem: `cannot give answers as long as --max-tokens ${refusal.maxTokens}`,
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
