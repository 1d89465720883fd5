/*
 * Which error answers mean "the settings are wrong" (stop the whole run, exit 2)
 * and which mean "this one file failed" (an error row, the run goes on).
 * Decided per answer from its status AND its body, before any retry.
 *
 *  status  body                                                   server              → verdict
 *  401/403 anything                                               all                 → run: auth
 *  any     Zhipu code 1000–1004 (token missing/invalid/expired)   Zhipu (HTTP 401)    → run: auth
 *  any     Zhipu code 1110–1113, 1121 (account inactive, locked,  Zhipu (HTTP 429/400)→ run: account
 *          in arrears)
 *  any     Zhipu code 1220 (no permission for this API)           Zhipu               → run: auth
 *  any     Zhipu code 1211/1212 (model does not exist / does not  Zhipu (HTTP 400)    → run: model
 *          support this call)
 *  any     Zhipu code 1221/1222 (API offline / does not exist)    Zhipu               → run: path
 *  any     Zhipu code 1210, 1213–1215 (bad parameter)             Zhipu (HTTP 400)    → run: parameter,
 *          … unless the message is about the image                                    → file
 *  any     Zhipu code 1301 (content filter)                       Zhipu               → file
 *  404     "The model `x` does not exist." / "model \"x\" not     vLLM, SGLang, Ollama,→ run: model
 *          found" / code model_not_found                          OpenAI
 *  404     anything else ({"detail":"Not Found"}, "404 page not   vLLM/SGLang (FastAPI),→ run: path
 *          found", HTML): the chat path does not exist            Ollama (gin), proxies
 *  405     anything: the URL is not an API base                   web servers          → run: path
 *  400/422 "model … does not exist / not found / unknown model"   servers reporting an → run: model
 *                                                                 unknown model as 400
 *  400/422 the model takes no images ("At most 0 image(s)",       vLLM, llama.cpp      → run: no_vision
 *          "image input is not supported", "mmproj")
 *  400/422 max_tokens alone does not fit: "'max_tokens' … is too  vLLM (M ≥ N), OpenAI → run: max_tokens
 *          large: M … maximum context length is N" with M ≥ N,
 *          or "supports at most N completion tokens"
 *  400/422 about the image (image, picture, pixel, base64, jpeg,  vLLM, SGLang,        → file
 *          png, 图片, 图像 …): undecodable, too large, bad data URL llama.cpp, Zhipu
 *  400/422 context length exceeded (this image's prompt is too    vLLM, SGLang,        → file
 *          long, or it plus max_tokens is, with M < N)            llama.cpp
 *  400/422 names a parameter we send (response_format,            vLLM (`param`),      → run: parameter
 *          json_schema, seed, top_p, temperature, max_tokens,     OpenAI, llama.cpp,
 *          chat_template_kwargs, thinking, stream…) or an         pydantic validation
 *          "extra/unknown field"
 *  413     anything: this request body was too large              proxies, servers     → file
 *  other   400/422 not matched above, and any other 4xx           —                    → file
 *
 * 408, 409, 429 (except Zhipu account codes) and 5xx are transient and retried as before.
 */

import type { ErrorBody } from './error-body.js';

/** What is wrong with the settings; also the stable `code` of ConfigurationError. */
export type ConfigProblem = 'auth' | 'account' | 'model' | 'path' | 'parameter' | 'max_tokens' | 'no_vision';

export interface Verdict {
  problem: ConfigProblem;
  /** The request parameter to blame, when known (e.g. "top_p"). */
  param?: string;
  /** The model's context length, when the server stated it (max_tokens). */
  contextLength?: number;
}

const ZHIPU_AUTH = /^100[0-4]$/;
const ZHIPU_ACCOUNT = new Set(['1110', '1111', '1112', '1113', '1121']);
const ZHIPU_PERMISSION = new Set(['1220']);
const ZHIPU_MODEL = new Set(['1211', '1212']);
const ZHIPU_PATH = new Set(['1221', '1222']);
const ZHIPU_PARAMETER = new Set(['1210', '1213', '1214', '1215']);

const MODEL_UNKNOWN =
  /\bmodel\b.{0,160}?\b(does not exist|doesn't exist|not found|not exist|is not served|is not available)\b|\b(unknown|invalid|no such) model\b|model_not_found|模型不存在/i;
const NO_VISION = /at most 0 image|image input is not supported|mmproj|does not support (image|multimodal|vision)|not a multimodal model/i;
const ABOUT_IMAGE = /\b(image|images|picture|photo|pixels?|base64|jpe?g|png|webp|gif|data url|multimodal)\b|图片|图像/i;
const CONTEXT = /context (length|size|window)|maximum model length|model length|too many (input )?tokens|prompt is too long|input tokens|exceeds? the (available )?context/i;
const MAX_TOKENS_TOO_LARGE = /max_(completion_)?tokens'?[^.]{0,80}?too large:?\s*(\d+)/i;
const CONTEXT_LENGTH = /maximum context length (?:is|of) (\d+)/i;
const COMPLETION_CAP = /supports at most (\d+) (completion|output) tokens/i;
/** Parameters a request of ours may carry, as servers name them. */
const PARAMETERS = [
  'response_format', 'json_schema', 'guided_json', 'structured_outputs', 'seed', 'top_p', 'temperature',
  'max_completion_tokens', 'max_tokens', 'chat_template_kwargs', 'enable_thinking', 'thinking', 'stream',
] as const;
const UNKNOWN_FIELD = /extra (inputs|fields?) (are )?not permitted|unrecognized (request )?(argument|parameter|field)|unknown (parameter|field|argument)|unsupported (parameter|value)/i;

/** The configuration problem an error answer reports, or undefined when only this file failed (or it is transient). */
export function configProblem(status: number, body: ErrorBody, maxTokens: number | undefined): Verdict | undefined {
  const message = body.message;
  const code = body.code;
  if (code !== undefined) {
    if (ZHIPU_AUTH.test(code) || ZHIPU_PERMISSION.has(code)) return { problem: 'auth' };
    if (ZHIPU_ACCOUNT.has(code)) return { problem: 'account' };
    if (ZHIPU_MODEL.has(code)) return { problem: 'model' };
    if (ZHIPU_PATH.has(code)) return { problem: 'path' };
    if (ZHIPU_PARAMETER.has(code)) {
      if (ABOUT_IMAGE.test(message) || CONTEXT.test(message)) return undefined;
      return withParam({ problem: 'parameter' }, parameterNamed(body));
    }
  }
  if (status === 401 || status === 403) return { problem: 'auth' };
  if (status === 404) return { problem: isUnknownModel(body) ? 'model' : 'path' };
  if (status === 405) return { problem: 'path' };
  if (status !== 400 && status !== 422) return undefined;
  if (isUnknownModel(body)) return { problem: 'model' };
  if (NO_VISION.test(message)) return { problem: 'no_vision' };
  const cap = maxTokensCap(message, maxTokens);
  if (cap !== undefined) return cap;
  if (ABOUT_IMAGE.test(message) || CONTEXT.test(message)) return undefined;
  const param = parameterNamed(body);
  if (param !== undefined || UNKNOWN_FIELD.test(message)) return withParam({ problem: 'parameter' }, param);
  return undefined;
}

function isUnknownModel(body: ErrorBody): boolean {
  return body.textCode === 'model_not_found' || MODEL_UNKNOWN.test(body.message);
}

/** max_tokens that no image can satisfy: it alone reaches the context length, or exceeds the server's completion cap. */
function maxTokensCap(message: string, maxTokens: number | undefined): Verdict | undefined {
  const completion = COMPLETION_CAP.exec(message);
  if (completion?.[1] !== undefined) return { problem: 'max_tokens', contextLength: Number(completion[1]) };
  const asked = MAX_TOKENS_TOO_LARGE.exec(message);
  const context = CONTEXT_LENGTH.exec(message);
  if (context?.[1] === undefined) return undefined;
  const requested = asked?.[2] !== undefined ? Number(asked[2]) : maxTokens;
  const length = Number(context[1]);
  // With M < N a smaller image still fits: this file's failure alone.
  return requested !== undefined && requested >= length ? { problem: 'max_tokens', contextLength: length } : undefined;
}

/** The parameter the server blames: its `param` field, else the first of ours its message names. */
function parameterNamed(body: ErrorBody): string | undefined {
  if (body.param !== undefined && !/^(messages?|content|image_url)/i.test(body.param)) return body.param;
  const lower = body.message.toLowerCase();
  return PARAMETERS.find((name) => new RegExp(`(^|[^a-z_])${name}([^a-z_]|$)`).test(lower));
}

function withParam(verdict: Verdict, param: string | undefined): Verdict {
  return param === undefined ? verdict : { ...verdict, param };
}
