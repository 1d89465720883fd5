// Pulls the human message (and a Zhipu business code) out of an error body.

import { isRecord } from './flavors.js';

export interface ErrorBody {
  message: string;
  /** Zhipu business code such as "1302"; other servers' codes are left out. */
  code?: string;
  /** The error's type, e.g. vLLM's "NotFoundError", OpenAI's "invalid_request_error". */
  type?: string;
  /** The request parameter the server names as the culprit (vLLM, OpenAI), e.g. "top_p". */
  param?: string;
  /** A textual code such as OpenAI's "model_not_found". */
  textCode?: string;
}

export function parseErrorBody(text: string): ErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Proxies answer with HTML pages; keep the words only.
    return { message: text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ') };
  }
  if (!isRecord(json)) return { message: text };
  const error = json.error;
  const fields = isRecord(error) ? error : json;
  const message = isRecord(error)
    ? firstText(error.message, error.msg, error.type) ?? JSON.stringify(error)
    : firstText(error, json.message, json.msg, json.detail) ?? text;
  const body: ErrorBody = { message };
  const code = businessCode(fields.code);
  if (code !== undefined) body.code = code;
  if (typeof fields.type === 'string' && fields.type !== '') body.type = fields.type;
  if (typeof fields.param === 'string' && fields.param !== '') body.param = fields.param;
  if (typeof fields.code === 'string' && code === undefined && fields.code !== '') body.textCode = fields.code;
  return body;
}

function businessCode(code: unknown): string | undefined {
  const value = typeof code === 'number' ? String(code) : code;
  return typeof value === 'string' && /^1\d{3}$/.test(value) ? value : undefined;
}

function firstText(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value;
    // FastAPI validation errors: detail is a list of objects.
    if (Array.isArray(value) && value.length > 0) return JSON.stringify(value);
  }
  return undefined;
}
