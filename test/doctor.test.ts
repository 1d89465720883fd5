// `glm-vision doctor` through the real CLI (in process): endpoints (up, down, wrong model,
// wrong key, missing /v1), the cache (writable, unwritable, existing, locked,
// never created), image decoders, and the local model in a Hugging Face cache.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CUDA_INSTALL_HINT, cudaProviderInstalled } from '../src/backends/onnx/cuda.js';
import { openDatabase, SCHEMA_VERSION } from '../src/cache/open.js';
import { DEFAULT_MODEL } from '../src/models/resolve.js';
import { runMain, tempDir, type CliResult } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { generateTinyModel } from './tiny-model/index.js';

interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix: string | null;
}

let dir: string;
let cleanup: () => Promise<void>;
let emptyHub: string;
let tinyModel: string;
let n = 0;

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-doctor-'));
  emptyHub = path.join(dir, 'hf-empty');
  await mkdir(emptyHub);
  tinyModel = path.join(dir, 'tiny-model');
  await generateTinyModel({ family: 'qwen2_vl', outDir: tinyModel, seed: 3, dtypes: ['fp32'] });
});
after(() => cleanup());

/** A fresh, empty folder for one test's cache. */
async function freshDir(): Promise<string> {
  const d = path.join(dir, `case-${n++}`);
  await mkdir(d);
  return d;
}

/** Runs the doctor against an empty Hugging Face cache and a cache file in a fresh folder, unless the args say otherwise. */
async function doctor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const withCache = args.includes('--cache') ? args : [...args, '--cache', path.join(await freshDir(), 'cache.db')];
  return runMain(['doctor', ...withCache], { env: { HF_HUB_CACHE: emptyHub, ...env } });
}

function parse(res: CliResult): Check[] {
  return JSON.parse(res.stdout) as Check[];
}

function find(checks: Check[], name: string): Check {
  const found = checks.find((c) => c.check === name || c.check.startsWith(`${name} `));
  assert.ok(found, `no ${name} check in ${JSON.stringify(checks.map((c) => c.check))}`);
  return found;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('doctor: endpoints', () => {
  let server: FakeOpenAI;
  before(async () => {
    server = await startFakeOpenAI({ models: [{ id: 'test-model' }, { id: 'other-served' }] });
  });
  after(() => server.close());

  it('an endpoint serving the model is ok and listed; the API key is sent but never shown', async () => {
    const key = 'sk-doctor-secret-7f3a';
    const res = await doctor(['--endpoint', server.url, '--model', 'test-model', '--api-key', key]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const line = new RegExp(`^ok {4}endpoint ${server.url.replace(/[./]/g, '\\$&')} +reachable \\(\\d+ ms\\); serves test-model \\(and other-served\\)$`, 'm');
    assert.match(res.stdout, line);
    const get = server.requests.find((r) => r.method === 'GET' && r.path === '/v1/models');
    assert.equal(get?.headers.authorization, `Bearer ${key}`);
    assert.ok(!res.stdout.includes(key) && !res.stderr.includes(key), 'the key leaked');
    assert.equal(server.chatRequests().length, 0, 'the doctor sends no inference request');
  });

  it('a closed port fails with "is the server running?" and exit 1', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/v1`;
    const res = await doctor(['--endpoint', url, '--endpoint', server.url, '--model', 'test-model']);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stdout, new RegExp(`^fail {2}endpoint http://127\\.0\\.0\\.1:${port}/v1 +connection refused$`, 'm'));
    assert.match(res.stdout, /^ +fix: is the server running\? Start it/m);
    assert.match(res.stdout, /^ok {4}endpoint .*serves test-model/m, 'the other endpoint is still checked');
  });

  it('a model the server does not serve fails, naming what it serves', async () => {
    const res = await doctor(['--endpoint', server.url, '--model', 'zai-org/GLM-4.6V-Flash', '--json']);
    assert.equal(res.code, 1);
    const check = find(parse(res), 'endpoint');
    assert.equal(check.status, 'fail');
    assert.equal(check.detail, 'does not serve zai-org/GLM-4.6V-Flash; it serves test-model, other-served');
    assert.match(check.fix ?? '', /use --model test-model/);
  });

  it('a wrong API key and a base URL without /v1 each fail with their fix', async () => {
    const strict: Server = createServer((req, res) => {
      const ok = req.url === '/v1/models' && req.headers.authorization === 'Bearer good-key';
      res.writeHead(req.url === '/v1/models' ? (ok ? 200 : 401) : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { object: 'list', data: [{ id: 'm', object: 'model' }] } : { error: { message: 'Invalid API key bad-key-123' } }));
    });
    await new Promise<void>((resolve) => strict.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(strict.address() as AddressInfo).port}`;
      const wrong = await doctor(['--endpoint', `${base}/v1`, '--api-key', 'bad-key-123', '--json']);
      assert.equal(wrong.code, 1);
      const denied = find(parse(wrong), 'endpoint');
      assert.match(denied.detail, /^the server rejected the API key \(HTTP 401\)/);
      assert.match(denied.fix ?? '', /--api-key/);
      assert.ok(!wrong.stdout.includes('bad-key-123'), 'the key echoed by the server is redacted');
      const noV1 = await doctor(['--endpoint', base, '--api-key', 'good-key', '--json']);
      assert.equal(noV1.code, 1);
      assert.equal(find(parse(noV1), 'endpoint').fix, `use --endpoint ${base}/v1`);
    } finally {
      await new Promise<void>((resolve) => strict.close(() => resolve()));
    }
  });

  it('a server that never answers fails after --timeout', async () => {
    const silent: Server = createServer(() => undefined);
    const sockets = new Set<Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
      const res = await doctor(['--endpoint', url, '--timeout', '0.3', '--json']);
      assert.equal(res.code, 1);
      const check = find(parse(res), 'endpoint');
      assert.equal(check.detail, 'no answer within 300 ms');
      assert.match(check.fix ?? '', /--timeout/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('--json is an array of {check, status, detail, fix}, fix null exactly when ok', async () => {
    const res = await doctor(['--endpoint', server.url, '--model', 'test-model', '--json']);
    assert.equal(res.code, 0, res.stdout);
    const checks = parse(res);
    assert.deepEqual(checks.map((c) => c.check.split(' ')[0]), ['node', 'sharp', 'image', 'pdf', 'pdf', 'onnxruntime', 'cache', 'endpoint', 'local']);
    for (const c of checks) {
      assert.deepEqual(Object.keys(c), ['check', 'status', 'detail', 'fix']);
      assert.ok(['ok', 'warn', 'fail'].includes(c.status));
      assert.equal(typeof c.detail, 'string');
      assert.equal(c.fix === null, c.status === 'ok', `${c.check}: ${c.fix}`);
    }
    assert.equal(res.stdout.includes('\x1b['), false, 'no colours when not a TTY');
  });
});

describe('doctor: cache', () => {
  it('a writable folder is ok and the doctor creates neither the database nor missing folders', async () => {
    const folder = await freshDir();
    const res = await doctor(['--cache', path.join(folder, 'cache.db'), '--json']);
    const cache = find(parse(res), 'cache');
    assert.equal(cache.status, 'ok', cache.detail);
    assert.match(cache.detail, /folder writable; no database yet/);
    assert.deepEqual(await readdir(folder), [], 'nothing left behind');
    const nested = await doctor(['--cache', path.join(folder, 'a', 'b', 'cache.db'), '--json']);
    assert.match(find(parse(nested), 'cache').detail, new RegExp(`folder will be created \\(in ${folder}, which is writable\\)`));
    assert.deepEqual(await readdir(folder), []);
  });

  it('a cache under a file or under /proc fails with exit 1', async () => {
    const file = path.join(await freshDir(), 'not-a-folder');
    await writeFile(file, 'x');
    const res = await doctor(['--cache', path.join(file, 'cache.db')]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, new RegExp(`^fail  cache +.*${file} is a file, not a folder`, 'm'));
    assert.match(res.stdout, /fix: move that file away, or choose another cache: --cache FILE or GLM_VISION_CACHE=FILE/);
    const proc = await doctor(['--cache', '/proc/glm-vision-doctor/cache.db', '--json']);
    assert.equal(proc.code, 1);
    const cache = find(parse(proc), 'cache');
    assert.equal(cache.status, 'fail');
    assert.match(cache.detail, /cannot create files in \/proc/);
  });

  it('an existing cache reports its schema and stays as it was; a live run lock warns; a non-database fails', async () => {
    const folder = await freshDir();
    const db = path.join(folder, 'cache.db');
    openDatabase(db).close();
    const before = (await readdir(folder)).sort();
    const res = await doctor(['--cache', db, '--json']);
    const cache = find(parse(res), 'cache');
    assert.equal(cache.status, 'ok', cache.detail);
    assert.match(cache.detail, new RegExp(`MB, schema ${SCHEMA_VERSION}, journal wal, 0 cached results`));
    assert.deepEqual((await readdir(folder)).sort(), before, 'no -wal/-shm or probe files left');

    await mkdir(`${db}.lock`);
    const locked = await doctor(['--cache', db, '--model', tinyModel, '--json']);
    assert.equal(locked.code, 0, `a warning alone does not fail: ${locked.stdout}`);
    const lockCheck = find(parse(locked), 'cache');
    assert.equal(lockCheck.status, 'warn');
    assert.match(lockCheck.detail, /a catalog run is using it now/);

    const junk = path.join(await freshDir(), 'cache.db');
    await writeFile(junk, 'this is not sqlite '.repeat(100));
    const bad = await doctor(['--cache', junk, '--json']);
    assert.equal(bad.code, 1);
    assert.match(find(parse(bad), 'cache').detail, /cannot open the database: SQLITE_NOTADB/);
  });
});

describe('doctor: decoders and engine', () => {
  it('sharp decodes JPEG and PNG; HEIC and BMP are reported, not failed', async () => {
    const res = await doctor(['--json']);
    const checks = parse(res);
    assert.match(find(checks, 'sharp').detail, /^sharp \d+\.\d+\.\d+, libvips \d+\.\d+\.\d+/);
    const formats = find(checks, 'image formats');
    assert.match(formats.detail, /^decodes JPEG, PNG, TIFF, WebP, GIF, AVIF/);
    assert.notEqual(formats.status, 'fail');
    if (formats.status === 'warn') {
      assert.match(formats.detail, /cannot decode .*files become error rows/);
      assert.match(formats.fix ?? '', /build-from-source|convert/);
    }
    assert.match(find(checks, 'pdf').detail, /^PDFium \(@embedpdf\/pdfium \d+\.\d+\.\d+\): renders PDF pages$/);
    const onnx = find(checks, 'onnxruntime');
    assert.match(onnx.detail, /^onnxruntime-node \d+\.\d+\.\d+; providers: CPU/);
  });

  it('a visible GPU without the CUDA provider warns with the install command, unless --endpoint is used', {
    skip: cudaProviderInstalled() && 'the CUDA provider is installed here',
  }, async () => {
    const bin = await freshDir();
    await writeFile(path.join(bin, 'nvidia-smi'), '#!/bin/sh\necho "NVIDIA H200, 550.90.07"\n', { mode: 0o755 });
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
    const onnx = find(parse(await doctor(['--json'], env)), 'onnxruntime');
    assert.equal(onnx.status, 'warn');
    assert.match(onnx.detail, /GPU: NVIDIA H200, driver 550\.90\.07, but the CUDA provider is not installed/);
    assert.ok(onnx.fix?.startsWith(CUDA_INSTALL_HINT), onnx.fix ?? '');
    const server = await startFakeOpenAI();
    try {
      const viaServer = find(parse(await doctor(['--endpoint', server.url, '--json'], env)), 'onnxruntime');
      assert.equal(viaServer.status, 'ok');
      assert.match(viaServer.detail, /not used with --endpoint$/);
    } finally {
      await server.close();
    }
  });
});

describe('doctor: local model', () => {
  it('an empty Hugging Face cache warns with endpoints and fails without, each with the models pull fix', async () => {
    const server = await startFakeOpenAI();
    try {
      const withServer = await doctor(['--endpoint', server.url, '--model', 'test-model', '--json']);
      assert.equal(withServer.code, 0, withServer.stdout);
      const model = find(parse(withServer), 'local model');
      assert.equal(model.status, 'warn');
      assert.match(model.detail, new RegExp(`${DEFAULT_MODEL}@main is not in the Hugging Face cache at ${emptyHub} \\(only used without --endpoint\\)`));
      assert.match(model.fix ?? '', new RegExp(`^glm-vision models pull ${DEFAULT_MODEL}\\b`));
    } finally {
      await server.close();
    }
    const alone = await doctor([]);
    assert.equal(alone.code, 1);
    assert.match(alone.stdout, new RegExp(`^fail  local model +${DEFAULT_MODEL}@main is not in the Hugging Face cache`, 'm'));
    assert.match(alone.stdout, new RegExp(`fix: glm-vision models pull ${DEFAULT_MODEL}`));
    const offline = parse(await doctor(['--json'], { HF_HUB_OFFLINE: '1' }));
    assert.match(find(offline, 'local model').fix ?? '', /HF_HUB_OFFLINE is set/);
  });

  it('is ok when the cache holds the default model, or --model names a model folder; an empty folder fails', async () => {
    const hub = await freshDir();
    const commit = 'c'.repeat(40);
    const repo = path.join(hub, `models--${DEFAULT_MODEL.replace('/', '--')}`);
    await cp(tinyModel, path.join(repo, 'snapshots', commit), { recursive: true });
    await mkdir(path.join(repo, 'refs'));
    await writeFile(path.join(repo, 'refs', 'main'), commit);
    const res = await doctor([], { HF_HUB_CACHE: hub });
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, new RegExp(`^ok {4}local model +${DEFAULT_MODEL}@main \\(commit cccccccc\\) in ${hub}: qwen2_vl, complete for --dtype fp32$`, 'm'));

    const folder = parse(await doctor(['--model', tinyModel, '--json']));
    assert.deepEqual(find(folder, 'local model'), { check: 'local model', status: 'ok', detail: `folder ${tinyModel}: qwen2_vl, complete for --dtype fp32`, fix: null });
    const empty = await doctor(['--model', await freshDir()]);
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /^fail {2}local model +folder .*: The model folder is missing .*config\.json$/m);
  });
});
