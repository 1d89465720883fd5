// The in-process engine on tiny generated models: batching must not change
// answers, rows stop on their own, and bad model folders fail clearly.
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine, type EngineRow } from '../src/backends/onnx/engine.js';
import { processImage, visionConfigFrom, withMaxPixels } from '../src/backends/onnx/image-processor.js';
import { TextCodec } from '../src/backends/onnx/text.js';
import { VisionEncoder, type EncoderImage } from '../src/backends/onnx/vision-encoder.js';
import ort from 'onnxruntime-node';
import { generateTinyModel } from './tiny-model/index.js';
import { makeImage, makeMultiPageTiff } from './helpers/images.js';
import { makePdf } from './helpers/pdfs.js';
import { parseJsonl, runMain, tempDir } from './helpers/cli.js';

/**
 * A run that wrote every row without an error. A random-weight model often runs into --max-tokens,
 * and a truncated row exits 1, so the code must match the rows: 0 only when every row is ok.
 */
function assertFinished(res: { code: number | null; stdout: string; stderr: string }): void {
  const rows = parseJsonl(res.stdout);
  assert.ok(rows.length > 0 && rows.every((r) => r.status !== 'error'), res.stdout + res.stderr);
  assert.equal(res.code, rows.every((r) => r.status === 'ok') ? 0 : 1, res.stderr);
}

const FAMILIES = ['qwen2_vl', 'glm'] as const;
const SIZES: [number, number][] = [[56, 56], [84, 112], [140, 84]];
const PROMPTS = ['Describe this image.', 'Caption it in five words.'];
let dir: string;
let cleanup: () => Promise<void>;
const images: string[] = [];

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-onnx-'));
  for (const family of FAMILIES) await generateTinyModel({ family, outDir: path.join(dir, family), seed: 7 });
  await mkdir(path.join(dir, 'images'));
  for (let i = 0; i < 9; i++) {
    const [width, height] = SIZES[i % 3] as [number, number];
    const file = path.join(dir, 'images', `img${i}.png`);
    await makeImage(file, { width, height, seed: 100 + i, format: 'png' });
    images.push(file);
  }
});
after(() => cleanup());

function codecFor(engine: Engine): Promise<TextCodec> {
  return TextCodec.load(engine.model.dir, { imageTokenId: engine.model.ids.image, family: engine.family });
}

async function rowsFor(engine: Engine, maxTokens: number): Promise<EngineRow[]> {
  const codec = await codecFor(engine);
  const cfg = withMaxPixels(visionConfigFrom(engine.model.preprocessorConfig, engine.family, 'preprocessor_config.json'), 200_000);
  const rows: EngineRow[] = [];
  for (const [i, file] of images.entries()) {
    const img = await processImage(await readFile(file), cfg, { maxInputPixels: 1e8 });
    rows.push(engine.prepare({
      pixelValues: img.pixelValues, grid: img.grid, tokens: img.tokens, promptIds: codec.promptIds(undefined, PROMPTS[i % 2] as string),
      maxTokens, sampling: { temperature: 0, topP: 1, topK: 0 }, seed: 0,
    }));
  }
  return rows;
}

for (const family of FAMILIES) {
  describe(`onnx engine: ${family}`, () => {
    let engine: Engine;
    before(async () => {
      engine = await Engine.load({ dir: path.join(dir, family), dtype: 'fp32', device: 'cpu', threads: 2 }, () => {});
    });

    it('batched greedy output equals one-at-a-time output (9 images, 3 sizes, 2 prompts)', async () => {
      const rows = await rowsFor(engine, 10);
      assert.ok(new Set(rows.map((r) => r.ids.length)).size >= 3, 'rows of different lengths, so batches need padding');
      const solo = [];
      for (const r of rows) solo.push(...(await engine.generate([r])));
      const batched = [...(await engine.generate(rows.slice(0, 8))), ...(await engine.generate(rows.slice(8)))];
      assert.deepEqual(batched.map((o) => o.ids), solo.map((o) => o.ids));
      assert.ok(new Set(solo.map((o) => o.ids.join())).size >= 2, 'all rows produced the same tokens: the test could not tell');
    });

    it('the shared text before the image, computed once, gives the same tokens as the whole prompt each time', async () => {
      const whole = await Engine.load({ dir: path.join(dir, family), dtype: 'fp32', device: 'cpu', threads: 2, prefixCache: false }, () => {});
      const rows = await rowsFor(engine, 10);
      const cached = [...(await engine.generate(rows.slice(0, 5))), ...(await engine.generate(rows.slice(5)))];
      const plain = [...(await whole.generate(rows.slice(0, 5))), ...(await whole.generate(rows.slice(5)))];
      assert.deepEqual(cached.map((o) => o.ids), plain.map((o) => o.ids));
      // A batch whose rows start differently (two system prompts) shares no prefix and still answers each row as alone.
      const codec = await codecFor(engine);
      const withSystem = (i: number): number[] => codec.promptIds('You catalogue photographs.', PROMPTS[i % 2] as string);
      const mixed = rows.slice(0, 4).map((r, i) => (i % 2 ? engine.prepare({ ...r.job, promptIds: withSystem(i) }) : r));
      const solo = [];
      for (const r of mixed) solo.push(...(await whole.generate([r])));
      assert.deepEqual((await engine.generate(mixed)).map((o) => o.ids), solo.map((o) => o.ids));
    });

    it('seeded sampling gives the same tokens batched and alone', async () => {
      const rows = (await rowsFor(engine, 8)).map((r, i) => ({
        ...r, job: { ...r.job, sampling: { temperature: 1.5, topP: 0.95, topK: 50 }, seed: 40 + i },
      }));
      const solo = [];
      for (const r of rows.slice(0, 6)) solo.push(...(await engine.generate([r])));
      const batched = await engine.generate(rows.slice(0, 6));
      assert.deepEqual(batched.map((o) => o.ids), solo.map((o) => o.ids), 'sampling depends only on the row, not the batch');
      const again = await engine.generate(rows.slice(0, 6));
      assert.deepEqual(again.map((o) => o.ids), batched.map((o) => o.ids), 'same seed, same tokens');
    });

    it('EOS and max_tokens stop each row on its own', async () => {
      const rows = await rowsFor(engine, 8);
      const solo = [];
      for (const r of rows) solo.push(((await engine.generate([r]))[0]?.ids ?? []) as number[]);
      // Random weights rarely emit EOS, so make one: a token row A emits at step k (and not before),
      // which row B never emits. Then A must stop at k while B runs on to its own max_tokens.
      let pick: { a: number; b: number; k: number } | undefined;
      for (const [a, ids] of solo.entries()) {
        for (const [k, token] of ids.entries()) {
          if (ids.indexOf(token) !== k) continue;
          const b = solo.findIndex((other, i) => i !== a && !other.includes(token));
          if (b >= 0) pick = pick && pick.k >= k ? pick : { a, b, k };
        }
      }
      assert.ok(pick, `no usable stop token in ${JSON.stringify(solo)}`);
      const { a, b, k } = pick;
      const stop = (solo[a] as number[])[k] as number;
      const eos = engine.model.ids.eos;
      const saved = [...eos];
      eos.splice(0, eos.length, stop);
      try {
        const rowB = rows[b] as EngineRow;
        const short = { ...rowB, job: { ...rowB.job, maxTokens: 3 } };
        const [outA, outB] = await engine.generate([rows[a] as EngineRow, short]);
        assert.equal(outA?.finishReason, 'stop', 'row A stops at its EOS');
        assert.deepEqual(outA?.ids, (solo[a] as number[]).slice(0, k), 'row A keeps the tokens before EOS');
        assert.equal(outB?.finishReason, 'length', 'row B runs to its own max_tokens');
        assert.deepEqual(outB?.ids, (solo[b] as number[]).slice(0, 3), 'row B is not disturbed by A stopping');
      } finally {
        eos.splice(0, eos.length, ...saved);
      }
    });

    it('runs through the CLI with the worker and batcher, with equal output at batch size 1 and 8', async () => {
      const model = path.join(dir, family);
      const common = ['catalog', path.join(dir, 'images'), '--model', model, '--max-tokens', '8', '--max-pixels', '200000', '-q'];
      const one = await runMain([...common, '--batch-size', '1', '--cache', path.join(dir, `${family}-1.db`)]);
      const eight = await runMain([...common, '--batch-size', '8', '--batch-wait-ms', '200', '--cache', path.join(dir, `${family}-8.db`)]);
      assertFinished(one);
      assertFinished(eight);
      assert.equal(one.stderr, '', 'no warnings on a CPU-only install');
      const pick = (text: string) => parseJsonl(text).map((r) => [r.SourceFile, r.status, r.output, r.tokens_in, r.tokens_out]);
      assert.deepEqual(pick(eight.stdout), pick(one.stdout));
      assert.equal(parseJsonl(one.stdout).length, 9);
      const again = await runMain([...common, '--batch-size', '8', '--cache', path.join(dir, `${family}-8.db`)]);
      assert.ok(parseJsonl(again.stdout).every((r) => r.cached === true), 'a re-run is answered from the cache');
      // The model's identity is part of the job: a changed model file means new answers.
      const copy = path.join(dir, `${family}-changed`);
      await cp(model, copy, { recursive: true });
      const gen = JSON.parse(await readFile(path.join(copy, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(path.join(copy, 'generation_config.json'), JSON.stringify({ ...gen, note: 'edited' }));
      const changed = await runMain([...common.map((a) => (a === model ? copy : a)), '--cache', path.join(dir, `${family}-8.db`)]);
      assertFinished(changed);
      assert.ok(parseJsonl(changed.stdout).every((r) => r.cached === false), 'a changed model re-infers');
    });
  });
}

describe('onnx engine: vision encoder calls', () => {
  // The tiny encoder reads the grid as the real one does (positions of each image's merge windows), so these
  // checks fail if the engine sends a grid that does not belong to its patches.
  const encoderOf = async (modelDir: string): Promise<{ encoder: VisionEncoder; session: ort.InferenceSession }> => {
    const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'vision_encoder.onnx'));
    return { encoder: new VisionEncoder(session), session };
  };
  const jobs = async (): Promise<EncoderImage[]> => {
    const cfg = withMaxPixels(visionConfigFrom(JSON.parse(await readFile(path.join(dir, 'qwen2_vl', 'preprocessor_config.json'), 'utf8')), 'qwen2_vl', 'p.json'), 200_000);
    return Promise.all(images.slice(0, 4).map(async (f) => processImage(await readFile(f), cfg, { maxInputPixels: 1e8 })));
  };
  const flat = (parts: readonly unknown[]): number[] => parts.flatMap((p) => Array.from(p as Float32Array));
  const maxDiff = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? NaN))), 0);

  it('one call for a batch gives each image the features it gets alone, and so does the one-image-per-call fallback', async () => {
    const single = path.join(dir, 'qwen2_vl-one-image');
    await generateTinyModel({ family: 'qwen2_vl', outDir: single, seed: 7, visionOneImagePerCall: true });
    const batch = await jobs();
    const multi = await encoderOf(path.join(dir, 'qwen2_vl'));
    const fallback = await encoderOf(single);
    try {
      const together = flat(await multi.encoder.encode(batch));
      const alone = flat((await Promise.all(batch.map((b) => multi.encoder.encode([b])))).flat());
      assert.ok(maxDiff(together, alone) < 1e-5, 'batched vs alone');
      assert.ok(maxDiff(flat(await fallback.encoder.encode(batch)), alone) < 1e-5, 'fallback vs alone');
      // The fallback is remembered: the next batch goes one image per call straight away, with the same result.
      assert.ok(maxDiff(flat(await fallback.encoder.encode(batch)), alone) < 1e-5, 'second batch on the fallback');
    } finally {
      await multi.session.release();
      await fallback.session.release();
    }
  });

  it('a transposed or reordered grid changes the features', async () => {
    // Two images of 24 patches each, 4×6 and 6×4 patches.
    const image = (grid: [number, number, number], seed: number): EncoderImage => ({
      pixelValues: Float32Array.from({ length: 24 * 1176 }, (_, i) => Math.sin(i * 0.013 + seed)), grid, tokens: 6,
    });
    const [a, b] = [image([1, 4, 6], 1), image([1, 6, 4], 2)];
    const { encoder, session } = await encoderOf(path.join(dir, 'qwen2_vl'));
    try {
      const right = flat(await encoder.encode([a, b]));
      assert.ok(maxDiff(flat(await encoder.encode([{ ...a, grid: [1, 6, 4] }])), right.slice(0, right.length / 2)) > 0.1, 'transposed grid');
      assert.ok(maxDiff(flat(await encoder.encode([{ ...a, grid: b.grid }, { ...b, grid: a.grid }])), right) > 0.1, 'grids swapped between images');
    } finally {
      await session.release();
    }
  });
});

describe('onnx engine: document pages', () => {
  it('PDF and TIFF pages reach the local engine as pixels, each page its own answer', async () => {
    const docs = path.join(dir, 'documents');
    await mkdir(docs);
    await writeFile(path.join(docs, 'letter.pdf'), await makePdf([{ kind: 'scan', seed: 3 }, { kind: 'text', text: 'Dear Sir' }]));
    await makeMultiPageTiff(path.join(docs, 'scans.tif'), ['#a00000', '#00a000', '#0000a0']);
    const res = await runMain([
      'catalog', docs, '--model', path.join(dir, 'qwen2_vl'), '--max-tokens', '6', '--max-pixels', '50000', '-q',
      '--cache', path.join(dir, 'documents.db'),
    ]);
    assertFinished(res);
    const rows = parseJsonl(res.stdout);
    assert.deepEqual(rows.map((r) => [path.basename(String(r.SourceFile)), r.page, r.pages]), [
      ['letter.pdf', 1, 2], ['letter.pdf', 2, 2], ['scans.tif', 1, 3], ['scans.tif', 2, 3], ['scans.tif', 3, 3],
    ]);
    assert.ok(rows.every((r) => r.status !== 'error' && Number(r.tokens_in) > 0), res.stdout);
  });
});

describe('onnx model folder errors', () => {
  it('a missing file is a clear error naming that file', async () => {
    const broken = path.join(dir, 'broken');
    await cp(path.join(dir, 'qwen2_vl'), broken, { recursive: true });
    await rm(path.join(broken, 'onnx', 'embed_tokens.onnx'));
    const res = await runMain(['catalog', images[0] as string, '--model', broken, '--cache', ':memory:']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, new RegExp(`missing ${path.join(broken, 'onnx', 'embed_tokens.onnx').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    await rm(path.join(broken, 'tokenizer.json'));
    const res2 = await runMain(['catalog', images[0] as string, '--model', broken, '--cache', ':memory:']);
    assert.match(res2.stderr, /tokenizer\.json/);
  });

  it('an unknown model_type lists the supported ones; a missing dtype says which exist', async () => {
    const odd = path.join(dir, 'odd');
    await cp(path.join(dir, 'glm'), odd, { recursive: true });
    const config = JSON.parse(await readFile(path.join(odd, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(odd, 'config.json'), JSON.stringify({ ...config, model_type: 'llava' }));
    const res = await runMain(['catalog', images[0] as string, '--model', odd, '--cache', ':memory:']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /model_type "llava" is not supported; supported: qwen2_vl, glm_ocr, glm4v, glm46v/);
    const q4 = await runMain(['catalog', images[0] as string, '--model', path.join(dir, 'glm'), '--dtype', 'q4', '--cache', ':memory:']);
    assert.equal(q4.code, 2);
    assert.match(q4.stderr, /decoder_model_merged_q4\.onnx|vision_encoder_q4\.onnx/);
    assert.match(q4.stderr, /this folder has --dtype fp32/);
  });

  it('loads the model only when an image needs it: a cached re-run never does, and a bad graph fails the first run that does', async () => {
    const lazy = path.join(dir, 'lazy');
    await cp(path.join(dir, 'qwen2_vl'), lazy, { recursive: true });
    const cache = path.join(dir, 'lazy.db');
    const args = (input: string) => ['catalog', input, '--model', lazy, '--max-tokens', '4', '--max-pixels', '200000', '-q', '--cache', cache];
    // Whole seconds, so the time stamp can be put back exactly.
    const graph = path.join(lazy, 'onnx', 'decoder_model_merged.onnx');
    const when = 1_700_000_000;
    await utimes(graph, when, when);
    const first = await runMain(args(images[0] as string));
    assertFinished(first);
    // Corrupt the decoder in place, keeping its size, inode and time stamp, so the cache still knows its digest.
    await writeFile(graph, Buffer.alloc((await stat(graph)).size, 0x5a));
    await utimes(graph, when, when);
    const cached = await runMain(args(images[0] as string));
    assertFinished(cached);
    assert.equal(parseJsonl(cached.stdout)[0]?.cached, true);
    const fresh = await runMain(args(images[1] as string));
    assert.equal(fresh.code, 2, fresh.stderr);
    assert.match(fresh.stderr, /Cannot load .*decoder_model_merged\.onnx/);
  });

  it('--device cuda without the CUDA provider exits 2 with the install command', async () => {
    const res = await runMain(['catalog', images[0] as string, '--model', path.join(dir, 'qwen2_vl'), '--device', 'cuda', '--cache', ':memory:']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node/);
  });
});
