import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when absent or not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** sha256 hex of the decoded bytes of the first image (data URL in messages, or `image` base64 in /infer). */
  imageSha256?: string;
  imageBytes?: number;
}

export type Reply =
  | {
      type: 'answer';
      content?: string | null;
      reasoning?: string;
      reasoningField?: 'reasoning' | 'reasoning_content';
      finishReason?: string;
      usage?: { prompt_tokens: number; completion_tokens: number };
      model?: string;
    }
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: 'reset' }
  | { type: 'hang' }
  | { type: 'delay'; ms: number; then?: Reply }
  /** Answers `then` only once `until` settles: the test decides when, not a clock. */
  | { type: 'hold'; until: Promise<unknown>; then?: Reply }
  | { type: 'invalid-json' }
  | { type: 'truncated-body' };

/** Decides the reply for one inference request; `index` counts inference requests from 0. */
export type Handler = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface FakeOpenAIOptions {
  handler?: Handler;
  /** What GET /models lists; null: it answers 404 like a server without a model list. */
  models?: { id: string; owned_by?: string }[] | null;
  /**
   * Serve only under /v1, as vLLM and SGLang do: any other path (e.g.
   * /chat/completions when the base URL lacks /v1) answers FastAPI's 404
   * {"detail":"Not Found"}. Such chat requests still count in chatRequests().
   */
  v1Only?: boolean;
  /**
   * Prometheus text for GET /metrics on the server's root (as vLLM and SGLang serve it),
   * made at each request; without it /metrics answers 404.
   */
  metrics?: () => string;
  /** Timers for 'delay' replies (default: the real ones); a FakeClock lets a test move time. */
  timers?: { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
}

export interface FakeOpenAI {
  /** 'http://127.0.0.1:PORT/v1' */
  url: string;
  /** Every request, including /models. */
  requests: RecordedRequest[];
  /** Only inference requests (chat/completions and /infer). */
  chatRequests(): RecordedRequest[];
  setHandler(h: Handler): void;
  /** Resolves once the server has received `n` inference requests in all (counted as chatRequests() counts them). */
  requestsReached(n: number): Promise<void>;
  /** Closes the server and destroys open/hanging sockets. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** A promise the test opens when it chooses, e.g. for { type: 'hold', until: g.opened }. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const DATA_URL = /^data:[^,]*?;base64,/i;

function decodeBase64Image(s: string): Buffer {
  return Buffer.from(s.replace(DATA_URL, ''), 'base64');
}

/** Depth-first search for the first base64 data URL (covers image_url as object or string). */
function findDataUrl(v: unknown, depth = 0): string | undefined {
  if (depth > 12 || v === null || v === undefined) return undefined;
  if (typeof v === 'string') return DATA_URL.test(v) ? v : undefined;
  if (Array.isArray(v)) {
    for (const item of v) {
      const found = findDataUrl(item, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof v === 'object') {
    for (const item of Object.values(v as Json)) {
      const found = findDataUrl(item, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function extractImage(path: string, body: unknown): Buffer | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Json;
  if (isInfer(path) && typeof b.image === 'string' && b.image.length > 0) return decodeBase64Image(b.image);
  const url = findDataUrl(b.messages) ?? findDataUrl(b);
  return url === undefined ? undefined : decodeBase64Image(url);
}

function pathname(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

function isChat(path: string): boolean {
  return path.endsWith('/chat/completions');
}

function isInfer(path: string): boolean {
  return path.endsWith('/infer');
}

function isModels(path: string): boolean {
  return path.endsWith('/models');
}

// ---------------------------------------------------------------------------
// Default reply: deterministic and derived from the request.

function pickType(schema: Json): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  if (schema.properties !== undefined) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function sampleFor(schema: unknown, field: string, h8: string, n = 0): unknown {
  if (schema === null || typeof schema !== 'object') return `${field} of ${h8}`;
  const s = schema as Json;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alts = s[key];
    if (Array.isArray(alts) && alts.length > 0) {
      const pick = alts.find((a) => !(a && typeof a === 'object' && (a as Json).type === 'null')) ?? alts[0];
      return sampleFor(pick, field, h8, n);
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) return sampleFor(s.allOf[0], field, h8, n);
  switch (pickType(s)) {
    case 'object': {
      const out: Json = {};
      const props = (s.properties ?? {}) as Json;
      for (const [k, sub] of Object.entries(props)) out[k] = sampleFor(sub, k, h8);
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      const max = typeof s.maxItems === 'number' ? s.maxItems : Infinity;
      const count = Math.max(min, Math.min(2, max));
      return Array.from({ length: count }, (_, i) => sampleFor(s.items, field, h8, i + 1));
    }
    case 'number':
    case 'integer': {
      const min = typeof s.minimum === 'number' ? s.minimum : -Infinity;
      const max = typeof s.maximum === 'number' ? s.maximum : Infinity;
      return Math.min(max, Math.max(min, 1));
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      // Strings; array items get a suffix so the two elements differ.
      let str = n > 0 ? `${field} of ${h8} ${n}` : `${field} of ${h8}`;
      if (typeof s.maxLength === 'number') str = str.slice(0, s.maxLength);
      return str;
    }
  }
}

/** Deterministic answer: JSON satisfying `response_format.json_schema.schema` if present, else a description. */
export function defaultReply(req: RecordedRequest): Reply {
  const hash = req.imageSha256 ?? '0'.repeat(64);
  const body = (req.body ?? {}) as Json;
  const rf = body.response_format as Json | undefined;
  const schema = (rf?.json_schema as Json | undefined)?.schema;
  const content =
    schema !== undefined && schema !== null
      ? JSON.stringify(sampleFor(schema, 'value', hash.slice(0, 8)))
      : `Description of image ${hash.slice(0, 12)}.`;
  return {
    type: 'answer',
    content,
    finishReason: 'stop',
    usage: { prompt_tokens: 100, completion_tokens: 20 },
    model: typeof body.model === 'string' ? body.model : 'test-model',
  };
}

/**
 * Error answers as real servers send them (bodies checked against their
 * sources; see test/config-errors.test.ts for which server says what).
 */
export const serverErrors = {
  /** vLLM (and SGLang, same shape): OpenAIServing._check_model / create_error_response. */
  vllm(status: number, message: string, type = status === 404 ? 'NotFoundError' : 'BadRequestError', param: string | null = null): Reply {
    return { type: 'status', status, body: { object: 'error', message, type, param, code: status } };
  },
  /** vLLM ≥ 0.10 nests the same fields under "error". */
  vllmNested(status: number, message: string, type = 'BadRequestError', param: string | null = null): Reply {
    return { type: 'status', status, body: { error: { message, type, param, code: status } } };
  },
  /** Ollama's OpenAI-compatible endpoint (middleware/openai.go writeError: type api_error, HTTP status kept). */
  ollama(status: number, message: string): Reply {
    return { type: 'status', status, body: { error: { message, type: 'api_error', param: null, code: null } } };
  },
  /** Zhipu BigModel: HTTP status plus a business code. */
  zhipu(status: number, code: string, message: string): Reply {
    return { type: 'status', status, body: { error: { code, message } } };
  },
  /** llama.cpp server: {"error":{"code","message","type"}}. */
  llamacpp(status: number, message: string, type = 'invalid_request_error'): Reply {
    return { type: 'status', status, body: { error: { code: status, message, type } } };
  },
  /** A plain-text body, e.g. gin's "404 page not found" or a proxy's 413 page. */
  text(status: number, text: string): Reply {
    return { type: 'status', status, body: text, headers: { 'content-type': 'text/plain' } };
  },
};

/** One reply per inference request, in order; afterwards delegates to `then` (default: defaultReply). */
export function sequence(replies: Reply[], then?: Handler): Handler {
  let i = 0;
  return (req, index) => {
    const r = replies[i++];
    if (r !== undefined) return r;
    return then ? then(req, index) : defaultReply(req);
  };
}

// ---------------------------------------------------------------------------
// Server

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const data = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(data.length),
    ...headers,
  });
  res.end(data);
}

function errorBody(status: number, message: string): Json {
  return { error: { message, type: status === 429 ? 'rate_limit_error' : 'server_error', code: status } };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let handler: Handler = options.handler ?? defaultReply;
  const models = options.models === undefined ? [{ id: 'test-model', owned_by: 'vllm' }] : options.models;
  const requests: RecordedRequest[] = [];
  const inference: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timerApi = options.timers ?? {
    setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
    clearTimeout: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
  };
  const timers = new Set<unknown>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const recordInference = (rec: RecordedRequest): void => {
    inference.push(rec);
    for (const w of waiters.filter((x) => inference.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  let closed = false;
  let completionSeq = 0;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolveSleep) => {
      const t = timerApi.setTimeout(() => {
        timers.delete(t);
        resolveSleep();
      }, ms);
      timers.add(t);
    });

  async function respond(res: ServerResponse, rec: RecordedRequest, reply: Reply, infer: boolean): Promise<void> {
    if (closed || res.destroyed) return;
    switch (reply.type) {
      case 'answer': {
        const d = defaultReply(rec);
        const base = d.type === 'answer' ? d : { type: 'answer' as const };
        const content = reply.content !== undefined ? reply.content : (base.content ?? null);
        if (infer) {
          sendJson(res, 200, { output: content });
          return;
        }
        const message: Json = { role: 'assistant', content };
        if (reply.reasoning !== undefined) message[reply.reasoningField ?? 'reasoning_content'] = reply.reasoning;
        sendJson(res, 200, {
          id: `chatcmpl-fake-${completionSeq++}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: reply.model ?? base.model,
          choices: [{ index: 0, message, finish_reason: reply.finishReason ?? base.finishReason ?? 'stop' }],
          usage: reply.usage ?? base.usage,
        });
        return;
      }
      case 'status':
        sendJson(res, reply.status, reply.body ?? errorBody(reply.status, `fake status ${reply.status}`), reply.headers);
        return;
      case 'reset': {
        const data = Buffer.from(JSON.stringify({ id: 'chatcmpl-reset', choices: [{ message: { content: 'x'.repeat(256) } }] }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(data.length) });
        // Destroy only after the partial body is flushed so the client sees headers, then a dead socket.
        res.write(data.subarray(0, Math.floor(data.length / 2)), () => res.socket?.destroy());
        return;
      }
      case 'hang':
        return; // Socket stays open until the client gives up or close() destroys it.
      case 'delay':
        await sleep(reply.ms);
        return respond(res, rec, reply.then ?? defaultReply(rec), infer);
      case 'hold':
        await reply.until;
        return respond(res, rec, reply.then ?? defaultReply(rec), infer);
      case 'invalid-json':
        sendJson(res, 200, '{"id": "chatcmpl-broken", "choices": [ {"message": <<not json>>');
        return;
      case 'truncated-body': {
        const data = Buffer.from(JSON.stringify({ id: 'chatcmpl-trunc', choices: [{ message: { content: 'y'.repeat(256) } }] }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(data.length + 1000) });
        // Graceful FIN (not RST) after a short body: the client must notice the length mismatch.
        res.write(data, () => res.socket?.end());
        return;
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = pathname(req.url);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
    const infer = isInfer(path);
    const inferenceRoute = req.method === 'POST' && (isChat(path) || infer);
    if (inferenceRoute) {
      const img = extractImage(path, body);
      if (img !== undefined) {
        rec.imageSha256 = createHash('sha256').update(img).digest('hex');
        rec.imageBytes = img.length;
      }
    }
    // Record before choosing a reply so faults are counted too.
    requests.push(rec);

    if (options.v1Only === true && !path.startsWith('/v1/')) {
      if (inferenceRoute) recordInference(rec);
      sendJson(res, 404, { detail: 'Not Found' });
      return;
    }
    if (req.method === 'GET' && isModels(path) && models === null) {
      sendJson(res, 404, { detail: 'Not Found' });
      return;
    }
    if (req.method === 'GET' && isModels(path) && models !== null) {
      sendJson(res, 200, {
        object: 'list',
        data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.owned_by ?? 'vllm' })),
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics' && options.metrics !== undefined) {
      const text = Buffer.from(options.metrics(), 'utf8');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': String(text.length) });
      res.end(text);
      return;
    }
    if (!inferenceRoute) {
      sendJson(res, 404, { error: { message: `no route for ${req.method} ${path}`, type: 'not_found', code: 404 } });
      return;
    }

    const index = inference.length;
    recordInference(rec);
    const reply = await handler(rec, index);
    await respond(res, rec, reply, infer);
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      sendJson(res, 500, errorBody(500, `fake server error: ${String(err)}`));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0; // 'hang' must be able to outlive the default request timeout
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => inference.slice(),
    setHandler(h: Handler) {
      handler = h;
    },
    requestsReached(n: number) {
      if (inference.length >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const t of timers) timerApi.clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
    },
  };
}
