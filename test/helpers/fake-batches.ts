// Batch services for tests: a stand-in for `vllm run-batch` (a request file in, result lines out,
// in another order), and a loopback /files + /batches API whose batches move only when the test
// says so (validating, in_progress, completed, failed, expired, partly failed).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defaultReply, type RecordedRequest } from './fake-openai.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface RequestLine {
  custom_id: string;
  method: string;
  url: string;
  body: Json;
}

export function requestLines(text: string): RequestLine[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RequestLine);
}

/** The sha256 of the image in a request body (its data URL), as the fake OpenAI server records it. */
export function imageSha(body: Json): string {
  const url = body.messages.at(-1).content[0].image_url.url as string;
  return createHash('sha256').update(Buffer.from(url.replace(/^data:[^,]*;base64,/, ''), 'base64')).digest('hex');
}

/** What one request gets: an answer (content, finish reason), or a failure as services write them. */
export type Outcome =
  | { kind: 'answer'; content?: string; finishReason?: string }
  | { kind: 'status'; status: number; message: string }
  | { kind: 'error'; code: string; message: string };

/** The chat completion the fake OpenAI server would answer with. */
function completion(line: RequestLine, outcome: { content?: string; finishReason?: string }, n: number): Json {
  const rec: RecordedRequest = { method: 'POST', path: line.url, headers: {}, body: line.body, imageSha256: imageSha(line.body) };
  const d = defaultReply(rec);
  const content = outcome.content ?? (d.type === 'answer' ? d.content : '');
  return {
    id: `chatcmpl-batch-${n}`, object: 'chat.completion', created: 0, model: line.body.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: outcome.finishReason ?? 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 20 },
  };
}

/** One result line (vllm run-batch's and the APIs' format). */
export function resultLine(line: RequestLine, outcome: Outcome, n: number): string {
  const base = { id: `batch_req_${n}`, custom_id: line.custom_id };
  if (outcome.kind === 'error') return JSON.stringify({ ...base, response: null, error: { code: outcome.code, message: outcome.message } });
  if (outcome.kind === 'status') {
    return JSON.stringify({ ...base, response: { status_code: outcome.status, request_id: `req-${n}`, body: { error: { message: outcome.message } } }, error: null });
  }
  return JSON.stringify({ ...base, response: { status_code: 200, request_id: `req-${n}`, body: completion(line, outcome, n) }, error: null });
}

/**
 * The stand-in for `vllm run-batch -i IN -o OUT`: a result line for every request line, in reverse
 * order (a service does not keep the order). `outcome` picks a request's fate (default: an answer).
 */
export function runBatch(requests: string, outcome: (line: RequestLine, i: number) => Outcome = () => ({ kind: 'answer' })): { output: string; errors: string } {
  const output: string[] = [];
  const errors: string[] = [];
  requestLines(requests).forEach((line, i) => {
    const o = outcome(line, i);
    (o.kind === 'answer' ? output : errors).push(resultLine(line, o, i));
  });
  const text = (lines: string[]): string => lines.reverse().map((l) => `${l}\n`).join('');
  return { output: text(output), errors: text(errors) };
}

interface Batch {
  id: string;
  status: string;
  input_file_id: string;
  endpoint: string;
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: unknown;
}

export interface FakeBatches {
  /** Base URL, e.g. http://127.0.0.1:PORT/v1 (or …/api/paas/v4 with `base`). */
  url: string;
  requests: { method: string; path: string; authorization: string | undefined }[];
  files: Map<string, { name: string; purpose: string; text: string }>;
  batches: Map<string, Batch>;
  /** Resolves once the server has received the n-th POST /batches. */
  createsReached(n: number): Promise<void>;
  /** Moves a batch along, as the service would. */
  setStatus(id: string, status: string): void;
  /** Runs a batch (the stand-in over its input file): completed, or `status` with what it finished. */
  finish(id: string, options?: { status?: string; outcome?: (line: RequestLine, i: number) => Outcome; only?: number }): void;
  close(): Promise<void>;
}

export async function startFakeBatches(options: { base?: string; holdCreates?: boolean } = {}): Promise<FakeBatches> {
  const base = options.base ?? '/v1';
  const requests: FakeBatches['requests'] = [];
  const files: FakeBatches['files'] = new Map();
  const batches: FakeBatches['batches'] = new Map();
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let creates = 0;
  let seq = 0;

  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const data = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length) });
    res.end(data);
  };
  const addFile = (name: string, purpose: string, text: string): string => {
    const id = `file-${++seq}`;
    files.set(id, { name, purpose, text });
    return id;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname, authorization: req.headers.authorization });
    if (!url.pathname.startsWith(`${base}/`)) return send(res, 404, { error: { message: 'not found' } });
    const route = url.pathname.slice(base.length);
    if (method === 'POST' && route === '/files') {
      const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
      const file = form.get('file');
      if (!(file instanceof Blob)) return send(res, 400, { error: { message: 'no file' } });
      const id = addFile((file as File).name, String(form.get('purpose')), await file.text());
      return send(res, 200, { id, object: 'file', purpose: form.get('purpose'), filename: (file as File).name });
    }
    if (method === 'POST' && route === '/batches') {
      const body = JSON.parse(raw.toString()) as Json;
      if (!files.has(body.input_file_id)) return send(res, 400, { error: { message: `no file ${body.input_file_id}` } });
      const lines = files.get(body.input_file_id)?.text.split('\n').filter((l) => l !== '').length ?? 0;
      const batch: Batch = {
        id: `batch_${++seq}`, status: 'validating', input_file_id: body.input_file_id, endpoint: body.endpoint,
        output_file_id: null, error_file_id: null, request_counts: { total: lines, completed: 0, failed: 0 }, metadata: body.metadata,
      };
      if (body.completion_window !== '24h') return send(res, 400, { error: { message: 'completion_window must be 24h' } });
      batches.set(batch.id, batch);
      creates++;
      for (const w of waiters.filter((x) => creates >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      // Held: the batch exists, but its creator never hears of it (the test kills it meanwhile).
      if (options.holdCreates) return;
      return send(res, 200, { object: 'batch', ...batch });
    }
    if (method === 'GET' && route === '/batches') {
      return send(res, 200, { object: 'list', data: [...batches.values()].reverse().map((b) => ({ object: 'batch', ...b })), has_more: false });
    }
    const one = /^\/batches\/([^/]+)$/.exec(route);
    if (method === 'GET' && one) {
      const batch = batches.get(decodeURIComponent(one[1] as string));
      return batch ? send(res, 200, { object: 'batch', ...batch }) : send(res, 404, { error: { message: 'no such batch' } });
    }
    const content = /^\/files\/([^/]+)\/content$/.exec(route);
    if (method === 'GET' && content) {
      const file = files.get(decodeURIComponent(content[1] as string));
      if (!file) return send(res, 404, { error: { message: 'no such file' } });
      res.writeHead(200, { 'content-type': 'application/jsonl' });
      res.end(file.text);
      return;
    }
    send(res, 404, { error: { message: `no route for ${method} ${route}` } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: { message: String(error) } }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const batchOf = (id: string): Batch => {
    const b = batches.get(id);
    if (!b) throw new Error(`no batch ${id}`);
    return b;
  };
  return {
    url: `http://127.0.0.1:${port}${base}`,
    requests, files, batches,
    createsReached: (n) => new Promise((resolve) => (creates >= n ? resolve() : waiters.push({ n, resolve }))),
    setStatus: (id, status) => void (batchOf(id).status = status),
    finish(id, o = {}) {
      const b = batchOf(id);
      const input = files.get(b.input_file_id)?.text ?? '';
      const lines = input.split('\n').filter((l) => l !== '');
      const done = lines.slice(0, o.only ?? lines.length).join('\n');
      const { output, errors } = runBatch(done, o.outcome);
      const count = (t: string): number => t.split('\n').filter((l) => l !== '').length;
      b.status = o.status ?? 'completed';
      b.output_file_id = output ? addFile(`${id}_output.jsonl`, 'batch_output', output) : null;
      b.error_file_id = errors ? addFile(`${id}_error.jsonl`, 'batch_output', errors) : null;
      b.request_counts = { total: lines.length, completed: count(output), failed: count(errors) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
