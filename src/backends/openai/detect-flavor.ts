// Lazy server detection for flavor 'auto': URL first, then GET {endpoint}/models.

import type { ResolvedFlavor } from './flavors.js';
import { isRecord } from './flavors.js';
import { fetchText } from './http.js';
import { oneLine } from './redact.js';
import { t } from '../../i18n/index.js';

/** Flavours recognisable from the URL alone (no request needed). */
export function flavorFromUrl(endpoint: string): ResolvedFlavor | undefined {
  const url = new URL(endpoint);
  const host = url.hostname.toLowerCase();
  if (host === 'bigmodel.cn' || host.endsWith('.bigmodel.cn')) return 'zhipu';
  if (host === 'api.openai.com') return 'openai';
  if (url.port === '11434') return 'ollama';
  return undefined;
}

const OWNERS: Record<string, ResolvedFlavor> = {
  vllm: 'vllm',
  sglang: 'sglang',
  llamacpp: 'llamacpp',
  'llama.cpp': 'llamacpp',
  library: 'ollama',
  ollama: 'ollama',
};

/** Reads `data[].owned_by` of a /models answer, preferring the entry for `model`. */
export function flavorFromModels(json: unknown, model: string): ResolvedFlavor {
  const data = isRecord(json) && Array.isArray(json.data) ? json.data.filter(isRecord) : [];
  const ordered = [...data.filter((entry) => entry.id === model), ...data.filter((entry) => entry.id !== model)];
  for (const entry of ordered) {
    const owner = typeof entry.owned_by === 'string' ? OWNERS[entry.owned_by.toLowerCase()] : undefined;
    if (owner !== undefined) return owner;
  }
  return 'generic';
}

export interface ProbeResult {
  flavor: ResolvedFlavor;
  /** False when the answer may change soon (server down or starting): probe again next time. */
  remember: boolean;
  /** Why detection fell back to generic, for a warning. */
  problem?: string;
}

export interface ProbeOptions {
  fetch: typeof fetch;
  headers: Record<string, string>;
  model: string;
  signal: AbortSignal;
  timeoutMs: number;
}

/** Never rejects except with the caller's abort reason: a failed probe means generic. */
export async function probeFlavor(endpoint: string, options: ProbeOptions): Promise<ProbeResult> {
  const fromUrl = flavorFromUrl(endpoint);
  if (fromUrl !== undefined) return { flavor: fromUrl, remember: true };
  let status: number;
  let text: string;
  try {
    ({ status, text } = await fetchText(
      options.fetch,
      `${endpoint}/models`,
      { method: 'GET', headers: options.headers },
      options.signal,
      options.timeoutMs,
    ));
  } catch {
    if (options.signal.aborted) throw options.signal.reason;
    return { flavor: 'generic', remember: false };
  }
  if (status < 200 || status >= 300) {
    const transient = status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
    return { flavor: 'generic', remember: !transient, problem: t('server:flavor.status', { status }) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { flavor: 'generic', remember: false, problem: t('server:flavor.not_json', { text: oneLine(text, 80) }) };
  }
  return { flavor: flavorFromModels(json, options.model), remember: true };
}
