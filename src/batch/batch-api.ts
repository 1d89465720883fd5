// A /files + /batches service: OpenAI's API and the many that copy it (Zhipu's /api/paas/v4,
// LiteLLM, the vLLM production stack). Upload a request file, create a batch for it, look at it,
// and read its output and error files.
import { isRecord, AttemptTimeout, fetchText, displayEndpoint, oneLine, reasonText, redact, parseErrorBody } from '../backends/openai/index.js';
import { t } from '../i18n/index.js';
import type { BatchCounts } from '../cache/batches.js';
import { BatchServiceRefused, BatchServiceUnavailable } from './errors.js';

/** A batch as the service describes it. */
export interface BatchInfo {
  id: string;
  status: string;
  inputFileId: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: BatchCounts | null;
}

export interface BatchApiOptions {
  /** The base URL, e.g. https://api.openai.com/v1 or https://open.bigmodel.cn/api/paas/v4 (no credentials). */
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Secrets to keep out of messages. */
  secrets?: readonly string[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function batchInfo(json: unknown): BatchInfo | undefined {
  if (!isRecord(json) || typeof json.id !== 'string' || typeof json.status !== 'string') return undefined;
  // OpenAI nests the counts; Zhipu has documented them flat as well.
  const c = isRecord(json.request_counts) ? json.request_counts : json;
  const counts: BatchCounts = {};
  for (const key of ['total', 'completed', 'failed'] as const) {
    const n = num(c[key]);
    if (n !== undefined) counts[key] = n;
  }
  return {
    id: json.id, status: json.status.toLowerCase(), inputFileId: str(json.input_file_id),
    outputFileId: str(json.output_file_id), errorFileId: str(json.error_file_id),
    counts: Object.keys(counts).length > 0 ? counts : null,
  };
}

export class BatchApi {
  private readonly fetchFn: typeof fetch;
  readonly label: string;

  constructor(private readonly options: BatchApiOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.label = displayEndpoint(options.url);
  }

  /** POST /files, multipart, purpose batch: the file's id. */
  async upload(name: string, data: Buffer): Promise<string> {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([data], { type: 'application/jsonl' }), name);
    const json = await this.call('POST', '/files', form);
    if (!isRecord(json) || typeof json.id !== 'string') throw this.garbled('POST /files', t('batch:service.no_file_id'));
    return json.id;
  }

  /** POST /batches for an uploaded file, with a 24 h completion window. */
  async create(fileId: string, endpoint: string, metadata: Record<string, string>): Promise<BatchInfo> {
    const body = JSON.stringify({ input_file_id: fileId, endpoint, completion_window: '24h', metadata });
    return this.info('POST /batches', await this.call('POST', '/batches', body));
  }

  async get(id: string): Promise<BatchInfo> {
    return this.info(`GET /batches/${id}`, await this.call('GET', `/batches/${encodeURIComponent(id)}`));
  }

  /** The service's recent batches (its first page, newest first), to find one whose creation was cut off. */
  async list(): Promise<BatchInfo[]> {
    const json = await this.call('GET', '/batches?limit=100');
    const data = isRecord(json) && Array.isArray(json.data) ? json.data : [];
    return data.map(batchInfo).filter((b): b is BatchInfo => b !== undefined);
  }

  /** GET /files/{id}/content: the file's text. */
  async content(fileId: string): Promise<string> {
    return (await this.exchange('GET', `/files/${encodeURIComponent(fileId)}/content`)).text;
  }

  private info(what: string, json: unknown): BatchInfo {
    const info = batchInfo(json);
    if (!info) throw this.garbled(what, t('batch:service.no_batch'));
    return info;
  }

  private async call(method: string, path: string, body?: string | FormData): Promise<unknown> {
    const { text } = await this.exchange(method, path, body);
    try {
      return JSON.parse(text);
    } catch {
      throw this.garbled(`${method} ${path}`, t('batch:service.not_json', { text: this.clean(text, 120) }));
    }
  }

  private async exchange(method: string, path: string, body?: string | FormData): Promise<{ text: string }> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    const what = `${method} ${this.label}${path}`;
    let fetched;
    try {
      fetched = await fetchText(this.fetchFn, this.options.url + path, { method, headers, ...(body === undefined ? {} : { body }) },
        new AbortController().signal, this.options.timeoutMs);
    } catch (error) {
      const why = error instanceof AttemptTimeout
        ? t('batch:service.timeout', { seconds: this.options.timeoutMs / 1000 })
        : reasonText(this.clean(String((error as Error).cause ?? (error as Error).message)));
      throw new BatchServiceUnavailable(t('batch:service.unreachable', { what, why }));
    }
    const { status, text } = fetched;
    if (status >= 200 && status < 300) return { text };
    const said = this.clean(parseErrorBody(text).message, 200);
    if (status === 408 || status === 429 || status >= 500) {
      throw new BatchServiceUnavailable(t('batch:service.busy', { what, status, said }));
    }
    const key = status === 401 || status === 403
      ? 'batch:service.refused.key'
      : status === 404 || status === 405 ? 'batch:service.refused.no_batches' : 'batch:service.refused';
    throw new BatchServiceRefused(t(key, { what, status, said }));
  }

  private garbled(what: string, why: string): BatchServiceUnavailable {
    return new BatchServiceUnavailable(t('batch:service.garbled', { what, service: this.label, why }));
  }

  private clean(text: string, max?: number): string {
    return oneLine(redact(text, this.options.secrets ?? []), max);
  }
}
