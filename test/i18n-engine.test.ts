// The engine side in Chinese: doctor's report, an unreachable or refusing server, models, batch
// and the local engine's model checks speak the locale's language, while what scripts read (doctor
// --json, stdout data, exit codes, a row's error column) is the same bytes in every language.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cudaUnavailable } from '../src/backends/onnx/cuda.js';
import { visionConfigFrom } from '../src/backends/onnx/vision-config.js';
import { withLang } from '../src/i18n/index.js';
import { runMain, tempDir, type CliResult } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';

const ZH = { LANG: 'zh_CN.UTF-8' };
const EN = { LANG: 'en_US.UTF-8' };

let dir: string;
let cleanup: () => Promise<void>;
let hub: string;
let photos: string;
/** An endpoint nothing listens on: connection refused. */
let dead: string;
let server: FakeOpenAI;
let n = 0;

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-i18n-engine-'));
  hub = path.join(dir, 'hub');
  await mkdir(hub);
  photos = path.join(dir, 'photos');
  await mkdir(photos);
  await makeImage(path.join(photos, 'a.jpg'), { width: 64, height: 48, seed: 1 });
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  server = await startFakeOpenAI({
    models: [{ id: 'glm' }],
    handler: () => ({ type: 'status', status: 401, body: { error: { message: 'Invalid API key' } } }),
  });
});
after(async () => {
  await server.close();
  await cleanup();
});

const cacheFile = (): string => path.join(dir, `c${n++}.db`);
const run = (args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> => runMain(args, { env: { HF_HUB_CACHE: hub, ...env } });

describe('doctor in Chinese', () => {
  // :memory: and a refused endpoint: no free-space or timing figures, so two runs print the same.
  const args = (): string[] => ['doctor', '--cache', ':memory:', '--endpoint', dead];

  it('titles, status words, findings and fixes are Chinese; the exit code is the same', async () => {
    const [zh, en] = [await run(args(), ZH), await run(args(), EN)];
    assert.equal(zh.code, 1, zh.stderr + zh.stdout);
    assert.equal(en.code, zh.code);
    assert.match(en.stdout, /^fail {2}endpoint http:\/\/127\.0\.0\.1:\d+\/v1 +connection refused$/m);
    assert.match(zh.stdout, /^失败 {2}服务地址 http:\/\/127\.0\.0\.1:\d+\/v1 +连接被拒绝$/m);
    assert.match(zh.stdout, /^ +解决：服务端是否已启动？请先启动它/m);
    assert.match(zh.stdout, /^正常 {2}缓存 +:memory:（运行之间不保留任何内容）$/m);
    assert.match(zh.stdout, /\n正常 \d+ 项，警告 \d+ 项，失败 \d+ 项\n$/);
    // The titles line up in terminal columns: every detail starts in the same column.
    const columns = zh.stdout.split('\n').filter((l) => /^(正常|警告|失败) {2}/.test(l)).map((l) => columnOf(l, /(?<=\S) {2,}(?=\S)/g, 2));
    assert.equal(new Set(columns).size, 1, zh.stdout);
  });

  it('--json is the same bytes in both languages, in English', async () => {
    const [zh, en] = [await run([...args(), '--json'], ZH), await run([...args(), '--json'], EN)];
    assert.equal(zh.code, en.code);
    assert.equal(zh.stdout, en.stdout);
    const checks = JSON.parse(zh.stdout) as { check: string; detail: string; fix: string | null }[];
    const endpoint = checks.find((c) => c.check.startsWith('endpoint '));
    assert.equal(endpoint?.detail, 'connection refused');
    assert.match(String(endpoint?.fix), /^is the server running\?/);
  });
});

/** The display column where the `nth` match of `gap` ends (CJK characters count two). */
function columnOf(line: string, gap: RegExp, nth: number): number {
  const matches = [...line.matchAll(gap)];
  const m = matches[nth - 1] ?? matches[0];
  const before = line.slice(0, (m?.index ?? 0) + (m?.[0].length ?? 0));
  return [...before].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uff60]/.test(ch) ? 2 : 1), 0);
}

describe('the openai backend in Chinese', () => {
  it('an unreachable endpoint stops the run in Chinese; exit code and stdout are the same', async () => {
    const catalog = (): string[] => ['catalog', '--endpoint', dead, '--model', 'm', '--retries', '0', '--cache', cacheFile(), '-q', photos];
    const [zh, en] = [await run(catalog(), ZH), await run(catalog(), EN)];
    assert.equal(en.code, 75, en.stderr);
    assert.equal(zh.code, 75, zh.stderr);
    assert.equal(zh.stdout, en.stdout);
    assert.match(en.stderr, /every endpoint is unreachable: http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\)/);
    assert.match(zh.stderr, /所有服务地址都无法连接：http:\/\/127\.0\.0\.1:\d+\/v1（连接被拒绝）/);
  });

  it('a refused key stops the run (exit 2) with the server words and the fix in Chinese', async () => {
    const catalog = (): string[] => ['catalog', '--endpoint', server.url, '--model', 'glm', '--api-key', 'wrong', '--cache', cacheFile(), '-q', photos];
    const [zh, en] = [await run(catalog(), ZH), await run(catalog(), EN)];
    assert.equal(en.code, 2, en.stderr);
    assert.equal(zh.code, 2, zh.stderr);
    assert.equal(zh.stdout, en.stdout);
    assert.match(en.stderr, /the server at \S+ rejected the API key \(HTTP 401\): Invalid API key; check --api-key/);
    assert.match(zh.stderr, /\S+ 的服务端拒绝了 API 密钥（HTTP 401）：Invalid API key；请检查 --api-key 或 \$GLM_VISION_API_KEY/);
  });
});

describe('models and batch in Chinese', () => {
  it('a bad model id is a usage error in Chinese (exit 2 in both)', async () => {
    const [zh, en] = [await run(['models', 'info', 'not-an-id'], ZH), await run(['models', 'info', 'not-an-id'], EN)];
    assert.equal(en.code, 2);
    assert.equal(zh.code, 2);
    assert.match(en.stderr, /Expected a Hugging Face model id \(org\/name or org\/name@revision\) but received "not-an-id"/);
    assert.match(zh.stderr, /需要 Hugging Face 模型 ID（org\/name 或 org\/name@revision），但收到的是“not-an-id”/);
  });

  it('an empty Hugging Face cache: the note is Chinese, stdout (the list) is the same', async () => {
    const [zh, en] = [await run(['models', 'list'], ZH), await run(['models', 'list'], EN)];
    assert.equal(zh.code, 0);
    assert.equal(zh.stdout, en.stdout);
    assert.match(zh.stderr, /Hugging Face 缓存 .* 中没有模型（glm-vision models pull /);
  });

  it('batch status: the words are Chinese, --json is the same bytes', async () => {
    const cache = cacheFile();
    const [zh, en] = [await run(['batch', 'status', '--offline', '--cache', cache], ZH), await run(['batch', 'status', '--offline', '--cache', cache], EN)];
    assert.equal(en.stdout, 'no batches\n');
    assert.equal(zh.stdout, '没有批次\n');
    const json = await Promise.all([ZH, EN].map((env) => run(['batch', 'status', '--offline', '--json', '--cache', cache], env)));
    assert.equal(json[0]?.stdout, json[1]?.stdout);
    assert.equal(json[0]?.code, json[1]?.code);
  });
});

describe('the local engine in Chinese', () => {
  it("a model folder's vision settings and CUDA name the file and the fix in the call's language", () => {
    const bad = { patch_size: 14, merge_size: 2, temporal_patch_size: 2, min_pixels: 10, max_pixels: 5 };
    assert.throws(() => visionConfigFrom(bad, 'qwen2_vl', 'p.json'), { message: 'p.json: the minimum pixel budget 10 exceeds the maximum 5' });
    withLang('zh', () => {
      assert.throws(() => visionConfigFrom(bad, 'qwen2_vl', 'p.json'), { message: 'p.json：最小像素预算 10 超过了最大值 5' });
      assert.throws(() => visionConfigFrom({}, 'glm', 'p.json'), { message: 'p.json：缺少 "size.shortest_edge"' });
      assert.match(cudaUnavailable().message, /^--device cuda：未安装 ONNX Runtime 的 CUDA 执行提供程序。安装方法：ONNXRUNTIME_NODE_INSTALL=cuda12/);
    });
  });
});
