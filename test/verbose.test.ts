// What a run says about its backend: -v's choices and one line per request
// (a loopback server counts them) or per batch, and the local engine's line
// before its first image.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runMain, tempDir } from './helpers/cli.js';
import { sequence, startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { generateTinyModel } from './tiny-model/index.js';

let dir: string;
let cleanup: () => Promise<void>;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A latency as printed: whatever it took (312 ms, 4.21 s). */
const LATENCY = String.raw`(?:\d+ ms|\d+\.\d\d s)`;

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-verbose-'));
  for (let i = 0; i < 3; i++) await makeImage(path.join(dir, 'in', `v${i}.png`), { width: 56, height: 56, seed: 70 + i, format: 'png' });
});
after(() => cleanup());

describe('-v with a server', () => {
  let server: FakeOpenAI;
  before(async () => {
    server = await startFakeOpenAI();
  });
  after(() => server.close());

  it('prints the choices, the flavour found, and one line per request with its latency', async () => {
    // The first answer is a 503 that asks for no pause: a retry, and a line of its own.
    server.setHandler(sequence([{ type: 'status', status: 503, headers: { 'retry-after': '0' } }]));
    const res = await runMain([
      'catalog', path.join(dir, 'in'), '--endpoint', server.url, '--model', 'm', '-j', '1', '--no-config',
      '--cache', path.join(dir, 'server.db'), '-v',
    ]);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stderr.split('\n');
    const url = escape(server.url);
    assert.deepEqual(lines.filter((l) => l.includes('backend openai')), [
      `glm-vision: backend openai, flavour auto, endpoint ${server.url}, model m, concurrency 1, timeout 300 s, 5 retries`,
    ]);
    assert.equal(lines.filter((l) => new RegExp(`^glm-vision: ${url} speaks \\w+ \\(detected\\)$`).test(l)).length, 1, res.stderr);
    const requests = lines.filter((l) => l.startsWith('glm-vision: request '));
    assert.equal(server.chatRequests().length, 4);
    assert.equal(requests.length, server.chatRequests().length, res.stderr);
    assert.match(requests[0] ?? '', new RegExp(`^glm-vision: request 1 to ${url}: HTTP 503, server error after ${LATENCY}$`));
    assert.match(requests[1] ?? '', new RegExp(`^glm-vision: request 2 to ${url} \\(retry 1\\): answered in ${LATENCY} \\(\\d+ tokens in, \\d+ out\\)$`));
    for (const line of requests.slice(2)) assert.match(line, new RegExp(`: answered in ${LATENCY} `));
  });

  it('says nothing of the kind without -v', async () => {
    server.setHandler(sequence([]));
    const res = await runMain([
      'catalog', path.join(dir, 'in'), '--endpoint', server.url, '--model', 'm', '--no-config', '--cache', path.join(dir, 'quiet.db'),
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /request \d|backend openai|speaks/);
  });
});

describe('the local engine', () => {
  let model: string;
  before(async () => {
    model = path.join(dir, 'tiny');
    await generateTinyModel({ family: 'qwen2_vl', outDir: model, seed: 7 });
  });

  it('says it is loading, then prints one line with what it runs, before its first image; -v adds a line per batch', async () => {
    const res = await runMain([
      'catalog', path.join(dir, 'in'), '--model', model, '--threads', '2', '--max-tokens', '4', '--max-pixels', '200000',
      '--no-config', '--cache', path.join(dir, 'engine.db'), '-v',
    ]);
    assert.ok(res.code === 0 || res.code === 1, res.stderr); // a random model may run into --max-tokens
    const lines = res.stderr.split('\n');
    const where = (test: (l: string) => boolean): number => lines.findIndex(test);
    const loading = where((l) => / glm-vision: loading model /.test(l));
    const engine = lines.filter((l) => l.startsWith('glm-vision: local engine: '));
    assert.equal(engine.length, 1, res.stderr);
    assert.match(engine[0] ?? '', new RegExp(
      `^glm-vision: local engine: ${escape(model)} \\(a folder: no revision\\), dtype \\w+ \\(auto\\), device cpu, 2 threads, ` +
        'batches of up to 8 images and 8,192 visual tokens, waiting up to 20 ms to fill one$',
    ));
    assert.match(lines[loading] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) glm-vision: loading model /);
    assert.ok(loading >= 0 && loading < where((l) => l.startsWith('glm-vision: local engine: ')), res.stderr);
    const batches = lines.filter((l) => l.startsWith('glm-vision: batch '));
    const images = batches.map((l) => Number(/: (\d+) images?, /.exec(l)?.[1]));
    assert.equal(images.reduce((a, b) => a + b, 0), 3, res.stderr);
    assert.ok(where((l) => l.startsWith('glm-vision: local engine: ')) < where((l) => l.startsWith('glm-vision: batch 1: ')));
    assert.match(lines.find((l) => l.includes('backend onnx')) ?? '', new RegExp(`^glm-vision: backend onnx, model ${escape(model)}, dtype auto, device auto, 2 threads, concurrency 24 `));

    const cached = await runMain([
      'catalog', path.join(dir, 'in'), '--model', model, '--threads', '2', '--max-tokens', '4', '--max-pixels', '200000',
      '--no-config', '--cache', path.join(dir, 'engine.db'),
    ]);
    assert.doesNotMatch(cached.stderr, /loading model|local engine/, 'a run the cache answers never loads the model');
    assert.match(cached.stderr, /3\/3 files, .* \(\d[\d,.]* files\/s\)\n$/, 'a cached run counts files per second');
  });
});
