import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { InferRequest } from '../src/backends/backend.js';
import type { OpenAIBackendOptions } from '../src/backends/openai/index.js';
import {
  APITimeoutError,
  BadRequestError,
  ContentFilterError,
  FLAVORS,
  InternalServerError,
  InvalidResponseError,
  RateLimitError,
  createOpenAIBackend,
} from '../src/backends/openai/index.js';
import { backoffDelay, parseRetryAfter } from '../src/backends/openai/retry-policy.js';
import { FileFailure, TemporaryFailure, UsageError } from '../src/support/errors.js';

const KEY = 'sk-test-SECRET-0123456789abcdef';
const A = 'http://a.test:8000/v1';
const B = 'http://b.test:8000/v1';

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

type Handler = (call: Call, index: number) => Response | Promise<Response>;

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function chat(content: unknown = 'a red bicycle', extra: Record<string, unknown> = {}): Response {
  return json({
    model: 'served-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 812, completion_tokens: 9 },
    ...extra,
  });
}

function refused(): never {
  throw new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8000'), { code: 'ECONNREFUSED' }),
  });
}

function request(overrides: Partial<InferRequest> = {}): InferRequest {
  return {
    image: { kind: 'encoded', data: Buffer.from('fake-jpeg-bytes'), mime: 'image/jpeg', width: 64, height: 48 },
    system: 'You catalogue photos.',
    prompt: 'Describe the image.',
    generation: { maxTokens: 256, temperature: 0.2, topP: 0.9, seed: 7 },
    ...overrides,
  };
}

function setup(handler: Handler, options: Partial<OpenAIBackendOptions> = {}) {
  const calls: Call[] = [];
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const clock = { t: 1_000_000 };
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const raw = init?.body;
    const call: Call = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof raw === 'string' ? (JSON.parse(raw) as Record<string, unknown>) : undefined,
    };
    calls.push(call);
    return handler(call, calls.length - 1);
  }) as typeof fetch;
  const backend = createOpenAIBackend({
    endpoints: [A],
    model: 'glm-4.6v-flash',
    flavor: 'vllm',
    concurrency: 4,
    timeoutMs: 60_000,
    retries: 3,
    fetch: fakeFetch,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => clock.t,
    warn: (message) => warnings.push(message),
    ...options,
  });
  return { backend, calls, sleeps, warnings, clock };
}

const signal = () => new AbortController().signal;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

describe('request bodies', () => {
  it('vllm: full chat body, data URL image, auth header, thinking off', async () => {
    const { backend, calls } = setup(() => chat(), { endpoints: [`${A}///`], apiKey: KEY });
    const result = await backend.infer(request(), signal());
    assert.equal(result.text, 'a red bicycle');
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.url, `${A}/chat/completions`);
    assert.equal(call.method, 'POST');
    assert.equal(call.headers.get('authorization'), `Bearer ${KEY}`);
    assert.deepEqual(call.body, {
      model: 'glm-4.6v-flash',
      messages: [
        { role: 'system', content: 'You catalogue photos.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${Buffer.from('fake-jpeg-bytes').toString('base64')}` } },
            { type: 'text', text: 'Describe the image.' },
          ],
        },
      ],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stream: false,
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it('sglang also turns thinking off', async () => {
    const { backend, calls } = setup(() => chat(), { flavor: 'sglang' });
    await backend.infer(request(), signal());
    assert.deepEqual(calls[0]!.body?.chat_template_kwargs, { enable_thinking: false });
  });

  it('omits undefined parameters, the system message and the auth header when absent', async () => {
    const { backend, calls } = setup(() => chat());
    await backend.infer(request({ system: undefined, generation: { maxTokens: 64 } }), signal());
    const body = calls[0]!.body!;
    assert.equal(calls[0]!.headers.get('authorization'), null);
    assert.deepEqual(Object.keys(body).sort(), ['chat_template_kwargs', 'max_tokens', 'messages', 'model', 'stream']);
    assert.equal((body.messages as unknown[]).length, 1);
  });

  it('zhipu: thinking disabled and no seed', async () => {
    const { backend, calls } = setup(() => chat(), { flavor: 'zhipu' });
    await backend.infer(request(), signal());
    const body = calls[0]!.body!;
    assert.deepEqual(body.thinking, { type: 'disabled' });
    assert.equal('seed' in body, false);
    assert.equal('chat_template_kwargs' in body, false);
    assert.equal(body.max_tokens, 256);
  });

  it('ollama and llamacpp: max_tokens, no extras', async () => {
    for (const flavor of ['ollama', 'llamacpp'] as const) {
      const { backend, calls } = setup(() => chat(), { flavor });
      await backend.infer(request(), signal());
      const body = calls[0]!.body!;
      assert.equal(body.max_tokens, 256, flavor);
      for (const key of ['max_completion_tokens', 'chat_template_kwargs', 'thinking']) {
        assert.equal(key in body, false, `${flavor} sends ${key}`);
      }
    }
  });

  it('openai: max_completion_tokens instead of max_tokens', async () => {
    const { backend, calls } = setup(() => chat(), { flavor: 'openai' });
    await backend.infer(request(), signal());
    const body = calls[0]!.body!;
    assert.equal(body.max_completion_tokens, 256);
    assert.equal('max_tokens' in body, false);
  });

  it('infer: POST /infer with raw base64 and the system prompt folded in', async () => {
    const { backend, calls } = setup(() => json({ output: 'Invoice #42' }), { flavor: 'infer' });
    const result = await backend.infer(request(), signal());
    assert.equal(calls[0]!.url, `${A}/infer`);
    assert.deepEqual(calls[0]!.body, {
      image: Buffer.from('fake-jpeg-bytes').toString('base64'),
      text: 'You catalogue photos.\n\nDescribe the image.',
      max_tokens: 256,
      temperature: 0.2,
    });
    assert.equal(result.text, 'Invoice #42');
    assert.equal(result.model, 'glm-4.6v-flash');
  });

  it('a schema becomes response_format json_schema', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] };
    const { backend, calls } = setup(() => chat('{"title":"x"}'));
    await backend.infer(request({ schema }), signal());
    await backend.infer(request({ schema, schemaName: 'photo' }), signal());
    assert.deepEqual(calls[0]!.body?.response_format, {
      type: 'json_schema',
      json_schema: { name: 'result', schema, strict: true },
    });
    assert.equal((calls[1]!.body?.response_format as { json_schema: { name: string } }).json_schema.name, 'photo');
  });
});

describe('auto detection', () => {
  it('sends nothing at construction, probes /models once, then speaks the detected flavour', async () => {
    const { backend, calls } = setup(
      (call) =>
        call.url.endsWith('/models')
          ? json({ object: 'list', data: [{ id: 'glm-4.6v-flash', object: 'model', owned_by: 'vllm' }] })
          : chat(),
      { flavor: 'auto', apiKey: KEY },
    );
    assert.equal(calls.length, 0);
    await Promise.all([backend.infer(request(), signal()), backend.infer(request(), signal())]);
    await backend.infer(request(), signal());
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.url}`),
      [`GET ${A}/models`, `POST ${A}/chat/completions`, `POST ${A}/chat/completions`, `POST ${A}/chat/completions`],
    );
    assert.equal(calls[0]!.headers.get('authorization'), `Bearer ${KEY}`);
    for (const call of calls.slice(1)) assert.deepEqual(call.body?.chat_template_kwargs, { enable_thinking: false });
  });

  it('maps owned_by to flavours and falls back to a plain body', async () => {
    const cases: [string | null, string][] = [
      ['sglang', 'chat_template_kwargs'],
      ['library', 'ollama'],
      ['llamacpp', 'llamacpp'],
      ['organization_owner', 'generic'],
      [null, 'generic'],
    ];
    for (const [owner, expected] of cases) {
      const { backend, calls, warnings } = setup(
        (call) => {
          if (!call.url.endsWith('/models')) return chat();
          return owner === null ? new Response('not found', { status: 404 }) : json({ data: [{ id: 'm', owned_by: owner }] });
        },
        { flavor: 'auto' },
      );
      await backend.infer(request(), signal());
      const body = calls[1]!.body!;
      if (expected === 'chat_template_kwargs') assert.ok('chat_template_kwargs' in body, String(owner));
      else assert.equal('chat_template_kwargs' in body, false, String(owner));
      assert.equal(body.max_tokens, 256);
      assert.equal('thinking' in body, false);
      assert.equal(warnings.length, owner === null ? 1 : 0);
    }
  });

  it('knows Zhipu, Ollama and OpenAI by URL without probing', async () => {
    const cases = [
      ['https://open.bigmodel.cn/api/paas/v4', 'thinking'],
      ['http://localhost:11434/v1', 'max_tokens'],
      ['https://api.openai.com/v1', 'max_completion_tokens'],
    ] as const;
    for (const [endpoint, key] of cases) {
      const { backend, calls } = setup(() => chat(), { flavor: 'auto', endpoints: [endpoint] });
      await backend.infer(request(), signal());
      assert.equal(calls.length, 1, endpoint);
      assert.equal(calls[0]!.url, `${endpoint}/chat/completions`);
      assert.ok(key in calls[0]!.body!, `${endpoint} lacks ${key}`);
    }
  });

  it('fingerprint names the requested flavour and model, never URLs or keys', () => {
    const { backend } = setup(() => chat(), { flavor: 'auto', apiKey: KEY, endpoints: [A, B] });
    assert.deepEqual(backend.fingerprint(), { backend: 'openai', flavor: 'auto', model: 'glm-4.6v-flash' });
    assert.equal(backend.kind, 'openai');
    assert.equal(backend.concurrency, 4);
    assert.ok(FLAVORS.includes('infer'));
  });
});

describe('responses', () => {
  it('reads content, usage, finish reason and model', async () => {
    const { backend } = setup(() => chat([{ type: 'text', text: 'part one, ' }, { type: 'text', text: 'part two' }]));
    assert.deepEqual(await backend.infer(request(), signal()), {
      text: 'part one, part two',
      finishReason: 'stop',
      tokensIn: 812,
      tokensOut: 9,
      model: 'served-model',
    });
  });

  it('uses the reasoning field when content is empty, and keeps markers', async () => {
    const { backend } = setup(() =>
      json({
        choices: [{ message: { content: null, reasoning_content: '<|begin_of_box|>cat<|end_of_box|>' }, finish_reason: 'length' }],
      }),
    );
    const result = await backend.infer(request(), signal());
    assert.equal(result.text, '<|begin_of_box|>cat<|end_of_box|>');
    assert.equal(result.reasoning, '<|begin_of_box|>cat<|end_of_box|>');
    assert.equal(result.finishReason, 'length');
    assert.equal(result.model, 'glm-4.6v-flash');
  });

  it('keeps <think> text and maps finish reasons', async () => {
    const reasons: [string | undefined, string][] = [
      ['eos', 'stop'],
      ['end_turn', 'stop'],
      ['sensitive', 'content_filter'],
      ['content_filter', 'content_filter'],
      ['tool_calls', 'other'],
      [undefined, 'other'],
    ];
    for (const [raw, mapped] of reasons) {
      const { backend } = setup(() =>
        json({ choices: [{ message: { content: '<think>hm</think>ok', reasoning: 'hm' }, finish_reason: raw }] }),
      );
      const result = await backend.infer(request(), signal());
      assert.equal(result.text, '<think>hm</think>ok');
      assert.equal(result.reasoning, 'hm');
      assert.equal(result.finishReason, mapped, String(raw));
    }
  });
});

describe('retries', () => {
  it('429 with Retry-After: 7 waits 7000 ms, then succeeds', async () => {
    const { backend, calls, sleeps } = setup((_call, n) =>
      n === 0 ? json({ error: { message: 'slow down' } }, 429, { 'retry-after': '7' }) : chat(),
    );
    assert.equal((await backend.infer(request(), signal())).text, 'a red bicycle');
    assert.equal(calls.length, 2);
    assert.deepEqual(sleeps, [7000]);
  });

  it('honours retry-after-ms and HTTP-date Retry-After, capped at 120 s', async () => {
    const { backend, sleeps, clock } = setup((_call, n) => {
      if (n === 0) return json({}, 503, { 'retry-after-ms': '1500' });
      if (n === 1) return json({}, 503, { 'retry-after': new Date(clock.t + 20_000).toUTCString() });
      if (n === 2) return json({}, 503, { 'retry-after': '3600' });
      return chat();
    });
    clock.t = Date.parse('2025-01-01T00:00:00Z');
    await backend.infer(request(), signal());
    assert.deepEqual(sleeps, [1500, 20_000, 120_000]);
  });

  it('500 on every attempt: a FileFailure naming the status after retries+1 requests, with backoff', async () => {
    const { backend, calls, sleeps } = setup(() => json({ error: { message: 'queue   full\n' } }, 500));
    const error = await rejection(backend.infer(request(), signal()));
    assert.ok(error instanceof FileFailure);
    assert.ok(error instanceof InternalServerError);
    assert.equal(error.message, `HTTP 500 from ${A} after 4 attempts: queue full`);
    assert.equal(calls.length, 4);
    // random() = 0.5 of 500, 1000, 2000 ms.
    assert.deepEqual(sleeps, [250, 500, 1000]);
  });

  it('400 fails after exactly one request', async () => {
    const { backend, calls, sleeps } = setup(() =>
      json({ object: 'error', message: 'image exceeds the token budget', code: 400 }, 400),
    );
    const error = await rejection(backend.infer(request(), signal()));
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.message, `HTTP 400 from ${A}: image exceeds the token budget`);
    assert.equal(calls.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it('408, 409 and 503 are retried', async () => {
    for (const status of [408, 409, 503]) {
      const { backend, calls } = setup((_call, n) => (n === 0 ? new Response('busy', { status }) : chat()));
      await backend.infer(request(), signal());
      assert.equal(calls.length, 2, String(status));
    }
  });

  it('a 200 with a garbled or truncated body is retried', async () => {
    const { backend, calls } = setup((_call, n) => {
      if (n === 0) return new Response('{"choices":[{"mess', { status: 200 });
      if (n === 1) return json({ object: 'chat.completion' });
      return chat();
    });
    assert.equal((await backend.infer(request(), signal())).text, 'a red bicycle');
    assert.equal(calls.length, 3);

    const bad = setup(() => new Response('<html>gateway</html>', { status: 200 }), { retries: 1 });
    const error = await rejection(bad.backend.infer(request(), signal()));
    assert.ok(error instanceof InvalidResponseError);
    assert.match(error.message, /^HTTP 200 from http:\/\/a\.test:8000\/v1 after 2 attempts: body is not JSON/);
  });

  it('zhipu 1302 is retried, 1301 is a content filter and is not', async () => {
    const busy = setup(
      (_call, n) => (n === 0 ? json({ error: { code: '1302', message: '并发数过高' } }, 429) : chat()),
      { flavor: 'zhipu' },
    );
    await busy.backend.infer(request(), signal());
    assert.equal(busy.calls.length, 2);

    const always = setup(() => json({ error: { code: '1305', message: 'overloaded' } }, 429), { flavor: 'zhipu', retries: 1 });
    const rate = await rejection(always.backend.infer(request(), signal()));
    assert.ok(rate instanceof RateLimitError);
    assert.equal(rate.message, `HTTP 429 from ${A} after 2 attempts: 1305 overloaded`);

    const filtered = setup(() => json({ error: { code: '1301', message: '不安全或敏感内容' } }, 400), { flavor: 'zhipu' });
    const error = await rejection(filtered.backend.infer(request(), signal()));
    assert.ok(error instanceof ContentFilterError);
    assert.ok(error instanceof FileFailure);
    assert.equal(filtered.calls.length, 1);
  });

  it('401 is a UsageError after one request', async () => {
    const { backend, calls } = setup(() => json({ error: { message: 'Invalid API key' } }, 401), { apiKey: KEY });
    const error = await rejection(backend.infer(request(), signal()));
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /^the server at http:\/\/a\.test:8000\/v1 rejected the API key \(HTTP 401\)/);
    assert.equal(calls.length, 1);
  });

  it('never shows the API key in errors or warnings', async () => {
    const echo = `Incorrect API key provided: ${KEY}`;
    const cases: Handler[] = [
      () => json({ error: { message: echo } }, 401),
      () => json({ error: { message: echo } }, 400),
      () => json({ error: echo }, 500),
      () => new Response(`oops ${KEY}`, { status: 200 }),
      () => {
        throw new TypeError('fetch failed', { cause: new Error(`bad header Bearer ${KEY}`) });
      },
    ];
    for (const handler of cases) {
      const { backend, warnings } = setup(handler, { apiKey: KEY, retries: 3, endpoints: [A, B] });
      const error = await rejection(backend.infer(request(), signal()));
      for (const text of [error.message, String(error), error.stack ?? '', ...warnings]) {
        assert.equal(text.includes(KEY), false, text);
      }
    }
    const urlKey = setup(refused, { endpoints: [`http://user:${KEY}@a.test:8000/v1`], retries: 0 });
    const error = await rejection(urlKey.backend.infer(request(), signal()));
    assert.equal(error.message.includes(KEY), false, error.message);
  });

  it('credentials in an endpoint URL become Basic auth, not part of the URL', async () => {
    const { backend, calls } = setup(() => chat(), { endpoints: ['http://me:p%40ss@proxy.test/v1/'] });
    await backend.infer(request(), signal());
    assert.equal(calls[0]!.url, 'http://proxy.test/v1/chat/completions');
    assert.equal(calls[0]!.headers.get('authorization'), `Basic ${Buffer.from('me:p@ss').toString('base64')}`);
  });

  it('caller abort during a request rejects with its reason at once, without retrying', async () => {
    const { backend, calls, sleeps } = setup(() => new Promise<Response>(() => undefined));
    const controller = new AbortController();
    const pending = backend.infer(request(), controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('user pressed ctrl-c');
    controller.abort(reason);
    assert.equal(await rejection(pending), reason);
    assert.equal(calls.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it('caller abort during the backoff stops the retries', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const { backend, calls } = setup(() => json({}, 503), {
      sleep: async () => {
        controller.abort(reason);
        throw reason;
      },
    });
    assert.equal(await rejection(backend.infer(request(), controller.signal)), reason);
    assert.equal(calls.length, 1);
  });

  it('an already aborted signal sends nothing', async () => {
    const { backend, calls } = setup(() => chat());
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await rejection(backend.infer(request(), controller.signal));
    assert.equal(calls.length, 0);
  });

  it('per-attempt timeouts are retried, then fail the file', async () => {
    let ok = true;
    const { backend, calls } = setup(
      // A server that accepts the request and never answers.
      () => (ok ? chat() : new Promise<Response>(() => undefined)),
      { timeoutMs: 5, retries: 1 },
    );
    await backend.infer(request(), signal());
    ok = false;
    const error = await rejection(backend.infer(request(), signal()));
    assert.ok(error instanceof APITimeoutError);
    assert.equal(error.message, `no answer from ${A} within 5 ms after 2 attempts`);
    assert.equal(calls.length, 3);
  });
});

describe('endpoint pool', () => {
  it('one slow file times out alone: FileFailure; a second one means the server is stuck: stop', async () => {
    const { backend, calls } = setup(() => new Promise<Response>(() => undefined), {
      timeoutMs: 5,
      retries: 2,
      concurrency: 1,
    });
    const first = await rejection(backend.infer(request(), signal()));
    assert.ok(first instanceof APITimeoutError, first.message);
    assert.equal(calls.length, 3);
    const second = await rejection(backend.infer(request(), signal()));
    assert.ok(second instanceof TemporaryFailure);
    assert.equal(second.message, `every endpoint is unreachable: ${A} (no answer within 5 ms). Is the server running at ${A}? Try: glm-vision doctor --endpoint ${A}`);
  });


  it('a refused endpoint is set aside and the work lands on the healthy one', async () => {
    const { backend, calls, warnings } = setup((call) => (call.url.startsWith(A) ? refused() : chat()), {
      endpoints: [A, B],
    });
    for (let i = 0; i < 10; i++) assert.equal((await backend.infer(request(), signal())).text, 'a red bicycle');
    const toA = calls.filter((c) => c.url.startsWith(A)).length;
    assert.equal(toA, 3);
    assert.equal(calls.filter((c) => c.url.startsWith(B)).length, 10);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /http:\/\/a\.test:8000\/v1 set aside for 5 s .*connection refused/);
  });

  it('a set-aside endpoint comes back after its cooldown, and a success resets it', async () => {
    let aUp = false;
    const { backend, calls, warnings, clock } = setup(
      (call) => (call.url.startsWith(A) && !aUp ? refused() : chat()),
      { endpoints: [A, B] },
    );
    for (let i = 0; i < 4; i++) await backend.infer(request(), signal());
    const before = calls.filter((c) => c.url.startsWith(A)).length;
    clock.t += 4_000;
    await backend.infer(request(), signal());
    assert.equal(calls.filter((c) => c.url.startsWith(A)).length, before, 'still cooling down');
    clock.t += 1_001;
    aUp = true;
    for (let i = 0; i < 4; i++) await backend.infer(request(), signal());
    assert.ok(calls.filter((c) => c.url.startsWith(A)).length >= before + 2);
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, /a\.test.*answering again/);
  });

  it('spreads concurrent requests over the least busy endpoints', async () => {
    const release: (() => void)[] = [];
    const { backend, calls } = setup(
      () => new Promise<Response>((resolve) => release.push(() => resolve(chat()))),
      { endpoints: [A, B] },
    );
    const pending = [1, 2, 3, 4].map(() => backend.infer(request(), signal()));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.filter((c) => c.url.startsWith(A)).length, 2);
    assert.equal(calls.filter((c) => c.url.startsWith(B)).length, 2);
    for (const go of release) go();
    await Promise.all(pending);
  });

  it('a retry goes to another endpoint', async () => {
    const { backend, calls } = setup((call) => (call.url.startsWith(A) ? json({}, 503) : chat()), { endpoints: [A, B] });
    await backend.infer(request(), signal());
    assert.deepEqual(
      calls.map((c) => c.url),
      [`${A}/chat/completions`, `${B}/chat/completions`],
    );
  });

  it('every endpoint refused: TemporaryFailure naming each', async () => {
    const { backend } = setup(refused, { endpoints: [A, B] });
    const error = await rejection(backend.infer(request(), signal()));
    assert.ok(error instanceof TemporaryFailure);
    assert.equal(
      error.message,
      `every endpoint is unreachable: ${A} (connection refused), ${B} (connection refused). ` +
        `Are the servers running at ${A}, ${B}? Try: glm-vision doctor --endpoint ${A} --endpoint ${B}`,
    );
  });

  it('one refused attempt on an endpoint that answers is a FileFailure, not a stop', async () => {
    const { backend } = setup((_call, n) => (n === 0 ? chat() : refused()), { retries: 0 });
    await backend.infer(request(), signal());
    const error = await rejection(backend.infer(request(), signal()));
    assert.ok(error instanceof FileFailure);
    assert.equal(error.message, `cannot reach ${A}: connection refused`);
  });
});

describe('lifecycle and options', () => {
  it('close lets later calls fail', async () => {
    const { backend, calls } = setup(() => chat());
    await backend.close();
    await rejection(backend.infer(request(), signal()));
    assert.equal(calls.length, 0);
  });

  it('rejects bad options with a UsageError', () => {
    assert.throws(() => setup(() => chat(), { endpoints: [] }), UsageError);
    assert.throws(() => setup(() => chat(), { endpoints: ['ftp://x'] }), UsageError);
    assert.throws(() => setup(() => chat(), { flavor: 'tgi' as never }), UsageError);
    assert.throws(() => setup(() => chat(), { concurrency: 0 }), UsageError);
  });
});

describe('retry policy', () => {
  it('backoff is full jitter over 500 ms × 2^n, capped at 30 s', () => {
    assert.equal(backoffDelay(0, () => 0.999), 499);
    assert.equal(backoffDelay(3, () => 0.5), 2000);
    assert.equal(backoffDelay(20, () => 1), 30_000);
    assert.equal(backoffDelay(5, () => 0), 0);
  });

  it('parses Retry-After forms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const h = (init: Record<string, string>) => new Headers(init);
    assert.equal(parseRetryAfter(h({ 'retry-after': '2' }), now), 2000);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now), 30_000);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Tue, 31 Dec 2024 00:00:30 GMT' }), now), 0);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(h({}), now), undefined);
  });
});
