// Pulls the human message (and a Zhipu business code) out of an error body.

import { isRecord } from './flavors.js';

export interface ErrorBody {
  message: string;
  /** Zhipu business code such as "1302"; other servers' codes are left out. */
  code?: string;
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
  if (isRecord(error)) {
    const code = businessCode(error.code);
    const message = firstText(error.message, error.msg, error.type) ?? JSON.stringify(error);
    return code === undefined ? { message } : { message, code };
  }
  const code = businessCode(json.code);
  const message = firstText(error, json.message, json.msg, json.detail) ?? text;
  return code === undefined ? { message } : { message, code };
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
