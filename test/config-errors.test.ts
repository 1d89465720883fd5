// Wrong settings stop the run at the first answer that says so (exit 2, -o
// untouched, at most --concurrency requests); one file's trouble stays one
// error row. Bodies are the ones real servers send (see config-rule.ts).
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ConfigurationError } from '../src/backends/openai/errors.js';
import { configProblem } from '../src/backends/openai/config-rule.js';
import { parseErrorBody } from '../src/backends/openai/error-body.js';
import { createOpenAIBackend } from '../src/backends/openai/index.js';
import type { InferRequest } from '../src/backends/backend.js';
import { FileFailure, UsageError } from '../src/support/errors.js';
import {
  defaultReply, serverErrors, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type Handler, type RecordedRequest, type Reply,
} from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { metric, readMetrics, type Sample } from './helpers/metrics.js';

const IMAGES = 20;
const CONCURRENCY = 2;
const KEY = 'sk-test-SECRET-0123456789abcdef';
const GLM = 'zai-org/GLM-4.6V-Flash';

// ---------------------------------------------------------------------------
// The rule, answer by answer.

type Expected = 'file' | 'auth' | 'account' | 'model' | 'path' | 'parameter' | 'max_tokens' | 'no_vision';

function bodyOf(reply: Reply): string {
  assert.equal(reply.type, 'status');
  const body = reply.type === 'status' ? reply.body : undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

const RULE: [string, Reply, Expected, number?][] = [
  ['vLLM: unknown model (404)', serverErrors.vllm(404, 'The model `glm-4.6v` does not exist.'), 'model'],
  ['vLLM ≥ 0.10: unknown model, nested (404)', serverErrors.vllmNested(404, 'The model `glm-4.6v` does not exist.', 'NotFoundError'), 'model'],
  ['vLLM/SGLang: no such route, FastAPI (404)', { type: 'status', status: 404, body: { detail: 'Not Found' } }, 'path'],
  ['Ollama: model not pulled (404)', serverErrors.ollama(404, 'model "llava:7b" not found, try pulling it first'), 'model'],
  ['Ollama: no such route, gin (404)', serverErrors.text(404, '404 page not found'), 'path'],
  ['OpenAI: model_not_found (404)', { type: 'status', status: 404, body: { error: { message: 'The model `gpt-x` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' } } }, 'model'],
  ['a server reporting an unknown model as 400', serverErrors.vllmNested(400, 'Unknown model: glm-4.6v'), 'model'],
  ['Zhipu 1211: model does not exist (400)', serverErrors.zhipu(400, '1211', '模型不存在，请检查模型代码。'), 'model'],
  ['Zhipu 1002: invalid token (401)', serverErrors.zhipu(401, '1002', 'Authorization Token非法，请确认Authorization Token正确传递。'), 'auth'],
  ['Zhipu 1113: account in arrears (429)', serverErrors.zhipu(429, '1113', '您的账户已欠费，请充值后重试。'), 'account'],
  ['Zhipu 1214: invalid parameter (400)', serverErrors.zhipu(400, '1214', 'response_format 参数非法。请检查文档。'), 'parameter'],
  ['Zhipu 1210 about the image (400)', serverErrors.zhipu(400, '1210', '图片输入格式/解析错误'), 'file'],
  ['Zhipu 1301: content filter (400)', serverErrors.zhipu(400, '1301', '系统检测到输入或生成内容可能包含不安全或敏感内容，请您避免输入易产生敏感内容的提示语，感谢您的配合。'), 'file'],
  ['401 with an OpenAI body', { type: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } }, 'auth'],
  ['403', serverErrors.text(403, 'Forbidden'), 'auth'],
  ['vLLM: top_p out of range names the param (400)', serverErrors.vllmNested(400, 'top_p must be in (0, 1], got 5.0.', 'BadRequestError', 'top_p'), 'parameter'],
  ['OpenAI: unrecognized argument seed (400)', { type: 'status', status: 400, body: { error: { message: 'Unrecognized request argument supplied: seed', type: 'invalid_request_error', param: null, code: null } } }, 'parameter'],
  ['llama.cpp: response_format it cannot take (400)', serverErrors.llamacpp(400, 'response_format type must be one of "text" or "json_object", but got: json_schema'), 'parameter'],
  ['pydantic: extra field (400)', serverErrors.vllm(400, "[{'type': 'extra_forbidden', 'loc': ('body', 'chat_template_kwargs'), 'msg': 'Extra inputs are not permitted'}]"), 'parameter'],
  ['vLLM: max_tokens alone exceeds the context (400)', serverErrors.vllmNested(400, "'max_tokens' or 'max_completion_tokens' is too large: 70000. This model's maximum context length is 65536 tokens and your request has 1200 input tokens (70000 > 65536 - 1200)."), 'max_tokens'],
  ['OpenAI: more completion tokens than the model gives (400)', { type: 'status', status: 400, body: { error: { message: 'max_tokens is too large: 100000. This model supports at most 16384 completion tokens, whereas you provided 100000.', type: 'invalid_request_error', param: 'max_tokens', code: null } } }, 'max_tokens'],
  ['vLLM: this big image plus max_tokens does not fit (400)', serverErrors.vllmNested(400, "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is 65536 tokens and your request has 62000 input tokens (4096 > 65536 - 62000)."), 'file'],
  ['vLLM: this image alone exceeds the context (400)', serverErrors.vllmNested(400, "This model's maximum context length is 65536 tokens. However, your request has 70321 input tokens. Please reduce the length of the input messages."), 'file'],
  ['llama.cpp: context size exceeded (400)', serverErrors.llamacpp(400, 'the request exceeds the available context size, try increasing it', 'exceed_context_size_error'), 'file'],
  ['vLLM/SGLang: undecodable image (400)', serverErrors.vllm(400, 'cannot identify image file <_io.BytesIO object at 0x7f3c1c2d5e40>'), 'file'],
  ['vLLM: text-only model (400)', serverErrors.vllmNested(400, 'At most 0 image(s) may be provided in one prompt.'), 'no_vision'],
  ['llama.cpp: no mmproj loaded (400)', serverErrors.llamacpp(400, 'image input is not supported - hint: if this is unexpected, you may need to provide the mmproj'), 'no_vision'],
  ['413 from a proxy', serverErrors.text(413, '<html><body><h1>413 Request Entity Too Large</h1></body></html>'), 'file'],
  ['405: the URL is a web page, not an API', serverErrors.text(405, 'Method Not Allowed'), 'path'],
  ['an unrecognised 400 stays one file', serverErrors.vllm(400, 'something odd about this request'), 'file'],
  ['429 without a business code is transient', serverErrors.vllm(429, 'too many requests', 'RateLimitError'), 'file'],
  ['500 is transient', serverErrors.vllm(500, 'boom', 'InternalServerError'), 'file'],
];

describe('the rule: which answers stop the run', () => {
  for (const [name, reply, expected, maxTokens] of RULE) {
    it(`${name} → ${expected === 'file' ? 'this file only (or retried)' : `whole run: ${expected}`}`, () => {
      const status = reply.type === 'status' ? reply.status : 0;
      const verdict = configProblem(status, parseErrorBody(bodyOf(reply)), maxTokens ?? 1024);
      assert.equal(verdict?.problem ?? 'file', expected);
    });
  }
});

// ---------------------------------------------------------------------------
// The backend on its own: nothing is sent once the settings are known wrong.

function request(): InferRequest {
  return {
    image: { kind: 'encoded', data: Buffer.from('fake-jpeg-bytes'), mime: 'image/jpeg', width: 64, height: 48 },
    prompt: 'Describe the image.',
    generation: { maxTokens: 256 },
  };
}

describe('the openai backend after a configuration error', () => {
  let server: FakeOpenAI;
  before(async () => {
    server = await startFakeOpenAI({ models: [{ id: GLM, owned_by: 'vllm' }] });
  });
  after(() => server.close());

  it('throws a ConfigurationError (a UsageError, not a FileFailure) with the fix, then sends nothing more', async () => {
    server.setHandler(() => serverErrors.vllm(404, 'The model `glm-4.6v` does not exist.'));
    const before = server.chatRequests().length;
    const backend = createOpenAIBackend({
      endpoints: [server.url], model: 'glm-4.6v', flavor: 'vllm', concurrency: 2, timeoutMs: 10_000, retries: 3,
      warn: () => undefined,
    });
    const first = await backend.infer(request(), new AbortController().signal).then(() => undefined, (error: unknown) => error);
    assert.ok(first instanceof ConfigurationError);
    assert.ok(first instanceof UsageError);
    assert.ok(!(first instanceof FileFailure));
    assert.equal(first.code, 'model');
    assert.match(first.message, new RegExp(`use --model ${GLM}`));
    const second = await backend.infer(request(), new AbortController().signal).then(() => undefined, (error: unknown) => error);
    assert.equal(second, first);
    assert.equal(server.chatRequests().length - before, 1);
    assert.deepEqual(backend.stats?.(), { requests: 1, retries: 0 });
  });

  it('stats() counts every request sent for answers and the retries among them', async () => {
    let n = 0;
    server.setHandler((req) => (n++ === 0 ? serverErrors.vllm(503, 'loading', 'ServiceUnavailableError') : defaultReply(req)));
    const backend = createOpenAIBackend({
      endpoints: [server.url], model: GLM, flavor: 'vllm', concurrency: 1, timeoutMs: 10_000, retries: 3,
      sleep: async () => undefined, warn: () => undefined,
    });
    await backend.infer(request(), new AbortController().signal);
    await backend.infer(request(), new AbortController().signal);
    assert.deepEqual(backend.stats?.(), { requests: 3, retries: 1 });
  });
});

// ---------------------------------------------------------------------------
// End to end, the way cron runs it: the real CLI, no TTY, stdin closed.

const workspace = scratchFolders('glmv-config-');
let images: string;

before(async () => {
  images = path.join(await workspace(), 'photos');
  await mkdir(images, { recursive: true });
  for (let i = 0; i < IMAGES; i++) {
    await makeImage(path.join(images, `p${String(i).padStart(2, '0')}.jpg`), { width: 40 + i, height: 32, seed: 7100 + i });
  }
});

/**
 * Holds every reply until `count` requests have arrived, then answers them
 * all with `reply`: both requests are in flight when the first answer lands,
 * without any timing. Later requests (there should be none) get it at once.
 */
function holdUntil(count: number, reply: Reply): Handler {
  const waiting: (() => void)[] = [];
  let release: Promise<void> | undefined;
  return () => {
    if (release !== undefined) return reply;
    const arrived = new Promise<void>((resolve) => waiting.push(resolve));
    if (waiting.length >= count) {
      release = Promise.resolve();
      for (const resolve of waiting) resolve();
    }
    return arrived.then(() => reply);
  };
}

interface Run {
  code: number | null;
  stderr: string;
  chat: RecordedRequest[];
  outputBefore: Buffer;
  outputAfter: Buffer;
  rows: Record<string, unknown>[];
  /** The --metrics-file, read back with the Prometheus parser. */
  metrics: Sample[];
}

async function catalog(
  serverOptions: FakeOpenAIOptions, handler: Handler, args: string[], endpoint?: (url: string) => string,
  env: Record<string, string> = {},
): Promise<Run> {
  const server = await startFakeOpenAI({ ...serverOptions, handler });
  try {
    const scratch = await workspace();
    const output = path.join(scratch, 'catalog.jsonl');
    const outputBefore = Buffer.from('{"SourceFile":"earlier.jpg","status":"ok","output":"last night\'s catalog"}\n');
    await writeFile(output, outputBefore);
    const url = endpoint ? endpoint(server.url) : server.url;
    const res = await runMain(
      [
        'catalog', '--endpoint', url, '-j', String(CONCURRENCY), '--cache', path.join(scratch, 'cache.db'), '-o', output,
        '--metrics-file', path.join(scratch, 'm.prom'), ...args, images,
      ],
      { env },
    );
    const outputAfter = await readFile(output);
    const rows = res.code === 1 || res.code === 0 ? parseJsonl(outputAfter.toString('utf8')) : [];
    const metrics = await readMetrics(path.join(scratch, 'm.prom'));
    return { code: res.code, stderr: res.stderr, chat: server.chatRequests(), outputBefore, outputAfter, rows, metrics };
  } finally {
    await server.close();
  }
}

function assertStopped(run: Run, fix: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  assert.ok(run.chat.length <= CONCURRENCY, `${run.chat.length} chat requests reached the server`);
  assert.match(run.stderr, fix);
  assert.ok(run.outputAfter.equals(run.outputBefore), 'the -o file was changed');
  assert.equal(run.stderr.includes(KEY), false);
  assert.equal(metric(run.metrics, 'last_run_exit_code'), 2);
  assert.equal(metric(run.metrics, 'last_run_requests'), run.chat.length);
}

describe('wrong settings stop the run at the first answer (exit 2, -o untouched)', () => {
  it('wrong model, vLLM 404: names the model the server serves', async () => {
    const run = await catalog(
      { models: [{ id: GLM, owned_by: 'vllm' }] },
      holdUntil(CONCURRENCY, serverErrors.vllm(404, 'The model `glm-4.6v` does not exist.')),
      ['--model', 'glm-4.6v'],
    );
    assertStopped(run, new RegExp(`does not serve glm-4\\.6v; it serves ${GLM}.*use --model ${GLM}`));
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('wrong model, Ollama 404: names the pulled model', async () => {
    const run = await catalog(
      { models: [{ id: 'qwen2.5vl:latest', owned_by: 'library' }] },
      holdUntil(CONCURRENCY, serverErrors.ollama(404, 'model "llava:7b" not found, try pulling it first')),
      ['--model', 'llava:7b'],
    );
    assertStopped(run, /use --model qwen2\.5vl:latest/);
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('wrong model, Zhipu 400 with code 1211 (no model list): says to check --model', async () => {
    const run = await catalog(
      { models: null },
      holdUntil(CONCURRENCY, serverErrors.zhipu(400, '1211', '模型不存在，请检查模型代码。')),
      ['--model', 'glm-4.6v-flashx', '--flavor', 'zhipu'],
      undefined,
      { GLM_VISION_API_KEY: KEY },
    );
    assertStopped(run, /1211 模型不存在.*check --model/);
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('wrong path: the base URL lacks /v1, so POST /chat/completions is a 404', async () => {
    const run = await catalog(
      { v1Only: true, models: [{ id: GLM, owned_by: 'vllm' }] },
      defaultReply,
      ['--model', GLM],
      (url) => url.replace(/\/v1$/, ''),
    );
    assertStopped(run, /http:\/\/127\.0\.0\.1:\d+ has no \/chat\/completions under this base URL.*use --endpoint http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.ok(run.chat.every((r) => r.path === '/chat/completions'));
  });

  it('rejected parameter (400): names the option to drop', async () => {
    const run = await catalog(
      {},
      holdUntil(CONCURRENCY, { type: 'status', status: 400, body: { error: { message: 'Unrecognized request argument supplied: seed', type: 'invalid_request_error', param: null, code: null } } }),
      ['--model', 'test-model', '--flavor', 'vllm', '--seed', '7'],
    );
    assertStopped(run, /rejected the request parameter seed.*drop --seed/);
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('max_tokens larger than the context (vLLM 400): says how far to lower it', async () => {
    const run = await catalog(
      {},
      holdUntil(CONCURRENCY, serverErrors.vllmNested(400, "'max_tokens' or 'max_completion_tokens' is too large: 70000. This model's maximum context length is 65536 tokens and your request has 1200 input tokens (70000 > 65536 - 1200).")),
      ['--model', 'test-model', '--flavor', 'vllm', '--max-tokens', '70000'],
    );
    assertStopped(run, /lower --max-tokens below 65536/);
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('bad key (401): says to check --api-key, never shows the key', async () => {
    const run = await catalog(
      {},
      holdUntil(CONCURRENCY, { type: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } }),
      ['--model', 'test-model', '--flavor', 'vllm', '--api-key', KEY],
    );
    assertStopped(run, /rejected the API key \(HTTP 401\).*check --api-key/);
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('bad key, Zhipu 401 with code 1002', async () => {
    const run = await catalog(
      {},
      holdUntil(CONCURRENCY, serverErrors.zhipu(401, '1002', 'Authorization Token非法，请确认Authorization Token正确传递。')),
      ['--model', 'glm-4.6v-flash', '--flavor', 'zhipu'],
      undefined,
      { GLM_VISION_API_KEY: KEY },
    );
    assertStopped(run, /rejected the API key \(HTTP 401\): 1002 .*check --api-key/);
    assert.equal(run.chat.length, CONCURRENCY);
  });

  it('Zhipu account in arrears (429, code 1113) is not retried: the run stops', async () => {
    const run = await catalog(
      {},
      holdUntil(CONCURRENCY, serverErrors.zhipu(429, '1113', '您的账户已欠费，请充值后重试。')),
      ['--model', 'glm-4.6v-flash', '--flavor', 'zhipu', '--retries', '3'],
      undefined,
      { GLM_VISION_API_KEY: KEY },
    );
    assertStopped(run, /refused the account.*balance/);
    assert.equal(run.chat.length, CONCURRENCY);
  });
});

/** The first request for one image gets `fault`; every other request the normal answer. */
function oneImageFails(fault: Reply): Handler {
  let victim: string | undefined;
  return (req) => {
    victim ??= req.imageSha256;
    return req.imageSha256 === victim ? fault : defaultReply(req);
  };
}

function assertOneRowFailed(run: Run, reason: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.rows.length, IMAGES);
  const failed = run.rows.filter((r) => r.status === 'error');
  assert.equal(failed.length, 1, JSON.stringify(failed));
  assert.match(String(failed[0]?.error), reason);
  assert.equal(run.rows.filter((r) => r.status === 'ok').length, IMAGES - 1);
  assert.equal(run.chat.length, IMAGES, 'one request per image: none retried, none skipped');
}

describe("one file's trouble stays an error row (exit 1, the rest answered)", () => {
  it('413 for one large image', async () => {
    const run = await catalog({}, oneImageFails(serverErrors.text(413, '<html><body><h1>413 Request Entity Too Large</h1></body></html>')),
      ['--model', 'test-model', '--flavor', 'vllm']);
    assertOneRowFailed(run, /HTTP 413/);
  });

  it('an image the server cannot decode (vLLM/SGLang 400)', async () => {
    const run = await catalog({}, oneImageFails(serverErrors.vllm(400, 'cannot identify image file <_io.BytesIO object at 0x7f3c1c2d5e40>')),
      ['--model', 'test-model', '--flavor', 'vllm']);
    assertOneRowFailed(run, /HTTP 400.*cannot identify image file/);
  });

  it("Zhipu's content filter (1301)", async () => {
    const run = await catalog({}, oneImageFails(serverErrors.zhipu(400, '1301', '系统检测到输入或生成内容可能包含不安全或敏感内容')),
      ['--model', 'glm-4.6v-flash', '--flavor', 'zhipu'], undefined, { GLM_VISION_API_KEY: KEY });
    assertOneRowFailed(run, /1301/);
  });

  it('one image too big for the context (vLLM 400)', async () => {
    const run = await catalog({}, oneImageFails(serverErrors.vllmNested(400, "This model's maximum context length is 65536 tokens. However, your request has 70321 input tokens. Please reduce the length of the input messages.")),
      ['--model', 'test-model', '--flavor', 'vllm']);
    assertOneRowFailed(run, /maximum context length/);
  });
});
