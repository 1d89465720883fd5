// The tiny-model generator: file layout, graph signatures as ORT sees them, KV cache and padding-mask correctness,
// external data, chat templates and tokenizer.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { float16ToFloat32, float32ToFloat16, generateTinyModel, tinyModelFiles } from './tiny-model/index.js';
import type { TinyModelOptions } from './tiny-model/index.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Feeds = Record<string, ort.Tensor>;

const PATCH_DIM = 1176;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await readFile(path, 'utf8')) as Json;
}

function argmax(values: Float32Array, from: number, size: number): number {
  let best = 0;
  for (let i = 1; i < size; i++) if ((values[from + i] ?? -Infinity) > (values[from + best] ?? -Infinity)) best = i;
  return best;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

// Every assert.ok here carries a message: without one, node's assert re-parses the (tsx-compiled) source to
// describe the failure, which can spin for minutes.
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what: string): void {
  const diff = maxAbsDiff(a, b);
  assert.ok(diff < tolerance, `${what}: max |diff| ${diff} >= ${tolerance}`);
}

function assertDiffer(a: ArrayLike<number>, b: ArrayLike<number>, margin: number, what: string): void {
  const diff = maxAbsDiff(a, b);
  assert.ok(diff > margin, `${what}: max |diff| ${diff} <= ${margin}`);
}

const int64 = (values: readonly number[], dims: readonly number[]): ort.Tensor =>
  new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

/** Text-only positions, as transformers does for left padding: cumsum(mask) - 1, pads get 1. */
function textPositions(mask: readonly number[]): number[] {
  let n = 0;
  return mask.map((m) => (m ? n++ : 1));
}

/** Runs the three graphs the way an engine would; every size and id comes from the files. */
class Runner {
  config!: Json;
  text!: Json;
  vision!: ort.InferenceSession;
  embed!: ort.InferenceSession;
  decoder!: ort.InferenceSession;

  constructor(
    readonly dir: string,
    readonly suffix = '',
  ) {}

  async load(): Promise<this> {
    this.config = await readJson(join(this.dir, 'config.json'));
    this.text = (this.config.text_config as Json | undefined) ?? this.config;
    const open = (name: string): Promise<ort.InferenceSession> =>
      ort.InferenceSession.create(join(this.dir, 'onnx', `${name}${this.suffix}.onnx`));
    [this.vision, this.embed, this.decoder] = await Promise.all([
      open('vision_encoder'),
      open('embed_tokens'),
      open('decoder_model_merged'),
    ]);
    return this;
  }

  async release(): Promise<void> {
    await Promise.all([this.vision.release(), this.embed.release(), this.decoder.release()]);
  }

  get hidden(): number {
    return this.text.hidden_size as number;
  }
  get vocab(): number {
    return this.text.vocab_size as number;
  }
  get layers(): number {
    return this.text.num_hidden_layers as number;
  }
  get kvHeads(): number {
    return this.text.num_key_value_heads as number;
  }
  get headDim(): number {
    return (this.text.head_dim as number | undefined) ?? this.hidden / (this.text.num_attention_heads as number);
  }

  async embedIds(rows: readonly (readonly number[])[]): Promise<Float32Array> {
    const s = rows[0]?.length ?? 0;
    const out = await this.embed.run({ input_ids: int64(rows.flat(), [rows.length, s]) });
    return out.inputs_embeds?.data as Float32Array;
  }

  async encodeImages(pixels: Float32Array, grids: readonly (readonly number[])[]): Promise<ort.Tensor> {
    const gridName = this.vision.inputNames.find((n) => n !== 'pixel_values') ?? '';
    const out = await this.vision.run({
      pixel_values: new ort.Tensor('float32', pixels, [pixels.length / PATCH_DIM, PATCH_DIM]),
      [gridName]: int64(grids.flat(), [grids.length, 3]),
    });
    const features = out.image_features;
    assert.ok(features, 'no image_features output');
    return features;
  }

  emptyPast(batch: number): Feeds {
    const past: Feeds = {};
    for (let i = 0; i < this.layers; i++) {
      for (const kv of ['key', 'value']) {
        past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
          batch,
          this.kvHeads,
          0,
          this.headDim,
        ]);
      }
    }
    return past;
  }

  /** One decoder call; `positions` is [3][B][S], `past` the previous step's presents (or empty). */
  async step(args: {
    embeds: Float32Array;
    batch: number;
    mask: readonly (readonly number[])[];
    positions: readonly (readonly (readonly number[])[])[];
    past?: Feeds;
    keep?: number;
  }): Promise<{ logits: ort.Tensor; present: Feeds }> {
    const s = args.embeds.length / args.batch / this.hidden;
    const feeds: Feeds = {
      inputs_embeds: new ort.Tensor('float32', args.embeds, [args.batch, s, this.hidden]),
      attention_mask: int64(args.mask.flat(), [args.batch, args.mask[0]?.length ?? 0]),
      position_ids: int64(args.positions.flat(2), [3, args.batch, s]),
      ...(args.past ?? this.emptyPast(args.batch)),
    };
    if (this.decoder.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = int64([args.keep ?? 1], []);
    const out = await this.decoder.run(feeds);
    const present: Feeds = {};
    for (const [name, t] of Object.entries(out)) {
      if (name.startsWith('present.')) present[name.replace('present.', 'past_key_values.')] = t;
    }
    assert.ok(out.logits, 'no logits output');
    return { logits: out.logits, present };
  }
}

const sameForAllAxes = (row: readonly number[]): number[][] => [[...row], [...row], [...row]];

/** Re-sorts [B][3][S] position lists into the decoder's [3][B][S] layout. */
const byAxis = (rows: readonly (readonly number[][])[]): number[][][] =>
  [0, 1, 2].map((a) => rows.map((r) => r[a] ?? []));

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tiny-model-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// glm46v adds partial (half-dim) interleaved rotary and GLM-4.x-V's three EOS ids.
const VARIANTS = [
  { family: 'qwen2_vl', modelType: 'qwen2_vl' },
  { family: 'glm', modelType: 'glm_ocr' },
  { family: 'glm', modelType: 'glm46v' },
] as const;

for (const { family, modelType } of VARIANTS) {
  describe(`tiny ${modelType} model`, () => {
    const options = (): TinyModelOptions => ({
      family,
      modelType,
      outDir: join(root, modelType),
      dtypes: family === 'qwen2_vl' ? ['', 'fp16'] : [''],
    });
    let runner: Runner;
    let tokenizer: Tokenizer;
    let generation: Json;

    before(async () => {
      await generateTinyModel(options());
      runner = await new Runner(options().outDir).load();
      tokenizer = new Tokenizer(
        await readJson(join(options().outDir, 'tokenizer.json')),
        await readJson(join(options().outDir, 'tokenizer_config.json')),
      );
      generation = await readJson(join(options().outDir, 'generation_config.json'));
    });
    after(async () => {
      await runner.release();
    });

    it('writes the onnx-community file layout', async () => {
      const files = await listFiles(options().outDir);
      assert.deepEqual(files, tinyModelFiles(options()));
      const expected = [
        'config.json',
        'generation_config.json',
        'onnx/decoder_model_merged.onnx',
        'onnx/decoder_model_merged.onnx_data',
        'onnx/embed_tokens.onnx',
        'onnx/vision_encoder.onnx',
        'onnx/vision_encoder.onnx_data',
        'preprocessor_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ];
      // The GLM template sits in tokenizer_config.json, where transformers.js reads it.
      if (family === 'qwen2_vl') {
        expected.push(
          'onnx/decoder_model_merged_fp16.onnx',
          'onnx/decoder_model_merged_fp16.onnx_data',
          'onnx/embed_tokens_fp16.onnx',
          'onnx/vision_encoder_fp16.onnx',
          'onnx/vision_encoder_fp16.onnx_data',
        );
      }
      assert.deepEqual(files, expected.sort());
    });

    it('keeps every token id inside the vocabulary and consistent across the files', async () => {
      const c = runner.config;
      const vocab = runner.vocab;
      const tok = (s: string): number | undefined => tokenizer.token_to_id(s);
      const eos = generation.eos_token_id as number[];
      if (family === 'qwen2_vl') {
        assert.equal(c.model_type, 'qwen2_vl');
        assert.equal(c.image_token_id, tok('<|image_pad|>'));
        assert.equal(c.video_token_id, tok('<|video_pad|>'));
        assert.equal(c.vision_start_token_id, tok('<|vision_start|>'));
        assert.equal(c.vision_end_token_id, tok('<|vision_end|>'));
        assert.deepEqual(eos, [tok('<|im_end|>'), tok('<|endoftext|>')]);
        assert.deepEqual(c.rope_scaling.mrope_section.reduce((a: number, b: number) => a + b, 0), runner.headDim / 2);
        // The form transformers saves: every attribute, sorted, 567 bytes like the onnx-community export's file.
        const file = await readFile(join(options().outDir, 'preprocessor_config.json'), 'utf8');
        assert.equal(Buffer.byteLength(file), 567);
        const pre = JSON.parse(file) as Json;
        assert.deepEqual(Object.keys(pre), [...Object.keys(pre)].sort());
        assert.deepEqual(
          [pre.do_resize, pre.do_rescale, pre.do_normalize, pre.do_convert_rgb, pre.resample, pre.rescale_factor],
          [true, true, true, true, 3, 1 / 255],
        );
        assert.deepEqual([pre.min_pixels, pre.max_pixels, pre.patch_size, pre.merge_size], [3136, 12845056, 14, 2]);
        assert.deepEqual(pre.size, { max_pixels: 12845056, min_pixels: 3136 });
      } else {
        assert.equal(c.model_type, modelType);
        assert.equal(c.image_token_id, tok('<|image|>'));
        assert.equal(c.image_start_token_id, tok('<|begin_of_image|>'));
        assert.equal(c.image_end_token_id, tok('<|end_of_image|>'));
        const stops = ['<|endoftext|>', '<|user|>', ...(modelType === 'glm46v' ? ['<|observation|>'] : [])];
        assert.deepEqual(eos, stops.map(tok));
        const rope = c.text_config.rope_parameters;
        assert.equal(rope.mrope_section.reduce((a: number, b: number) => a + b, 0), (runner.headDim * rope.partial_rotary_factor) / 2);
        assert.deepEqual(c.text_config.eos_token_id, eos);
        const pre = await readJson(join(options().outDir, 'preprocessor_config.json'));
        assert.deepEqual(pre.size, { shortest_edge: 12544, longest_edge: 9633792 });
      }
      assert.deepEqual([c.vision_config.patch_size, c.vision_config.spatial_merge_size], [14, 2]);
      assert.equal(c.vision_config.temporal_patch_size, 2);
      for (const [key, value] of Object.entries(c)) {
        if (key.endsWith('token_id')) assert.ok((value as number) < vocab && (value as number) >= vocab - 30, key);
      }
      for (const id of eos) assert.ok(id < vocab, `eos ${id} outside the vocabulary`);
      assert.equal(tokenizer.get_vocab(true).size, vocab);
    });

    it('exposes the real input and output names, dtypes and shapes', () => {
      const meta = (s: ort.InferenceSession, which: 'inputMetadata' | 'outputMetadata'): Record<string, unknown> =>
        Object.fromEntries(
          s[which].map((m) => [m.name, m.isTensor ? { type: m.type, shape: [...m.shape] } : 'non-tensor']),
        );
      const grid = family === 'qwen2_vl' ? 'grid_thw' : 'image_grid_thw';
      const H = runner.hidden;
      assert.deepEqual(runner.vision.inputNames, ['pixel_values', grid]);
      assert.deepEqual(runner.vision.outputNames, ['image_features']);
      assert.deepEqual(meta(runner.vision, 'inputMetadata'), {
        pixel_values: { type: 'float32', shape: ['num_patches', PATCH_DIM] },
        [grid]: { type: 'int64', shape: ['num_images', 3] },
      });
      assert.deepEqual(meta(runner.vision, 'outputMetadata'), {
        image_features: { type: 'float32', shape: ['num_image_tokens', H] },
      });
      assert.deepEqual(runner.embed.inputNames, ['input_ids']);
      assert.deepEqual(meta(runner.embed, 'outputMetadata'), {
        inputs_embeds: { type: 'float32', shape: ['batch_size', 'sequence_length', H] },
      });
      const layers = Array.from({ length: runner.layers }, (_, i) => i);
      const kv = (prefix: string): string[] => layers.flatMap((i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]);
      assert.deepEqual(runner.decoder.inputNames, [
        'inputs_embeds',
        'attention_mask',
        'position_ids',
        ...kv('past_key_values'),
        'num_logits_to_keep',
      ]);
      assert.deepEqual(runner.decoder.outputNames, ['logits', ...kv('present')]);
      const inputs = meta(runner.decoder, 'inputMetadata');
      assert.deepEqual(inputs.attention_mask, { type: 'int64', shape: ['batch_size', 'total_sequence_length'] });
      assert.deepEqual(inputs.position_ids, { type: 'int64', shape: [3, 'batch_size', 'sequence_length'] });
      assert.deepEqual(inputs['past_key_values.0.key'], {
        type: 'float32',
        shape: ['batch_size', runner.kvHeads, 'past_sequence_length', runner.headDim],
      });
      assert.deepEqual(inputs.num_logits_to_keep, { type: 'int64', shape: [] });
      const outputs = meta(runner.decoder, 'outputMetadata');
      assert.deepEqual(outputs.logits, { type: 'float32', shape: ['batch_size', 'logits_length', runner.vocab] });
      assert.deepEqual(outputs[`present.${runner.layers - 1}.value`], {
        type: 'float32',
        shape: ['batch_size', runner.kvHeads, 'total_sequence_length', runner.headDim],
      });
    });

    it('encodes two images in one vision_encoder call, one row per 2x2 window', async () => {
      const grids = [
        [1, 4, 4],
        [1, 2, 6],
      ];
      const counts = grids.map(([t = 0, h = 0, w = 0]) => t * h * w);
      const pixels = Float32Array.from({ length: (counts[0]! + counts[1]!) * PATCH_DIM }, (_, i) =>
        Math.sin(i * 0.37),
      );
      const both = await runner.encodeImages(pixels, grids);
      assert.deepEqual(both.dims, [(counts[0]! + counts[1]!) / 4, runner.hidden]);
      const first = await runner.encodeImages(pixels.slice(0, counts[0]! * PATCH_DIM), [grids[0]!]);
      const second = await runner.encodeImages(pixels.slice(counts[0]! * PATCH_DIM), [grids[1]!]);
      const joined = new Float32Array([...(first.data as Float32Array), ...(second.data as Float32Array)]);
      assertClose(both.data as Float32Array, joined, 1e-5, 'two images in one call vs one call each');
      const values = both.data as Float32Array;
      assert.ok(values.every(Number.isFinite), 'non-finite image features');
      const rms = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
      assert.ok(rms > 0.01 && rms < 10, `activation scale ${rms}`);
    });

    it('makes the features depend on the grid: a transposed or reordered grid changes them', async () => {
      const grids = [
        [1, 4, 6],
        [1, 6, 4],
      ];
      const pixels = Float32Array.from({ length: 48 * PATCH_DIM }, (_, i) => Math.cos(i * 0.11));
      const one = pixels.slice(0, 24 * PATCH_DIM);
      const features = async (p: Float32Array, g: number[][]) => (await runner.encodeImages(p, g)).data as Float32Array;
      const right = await features(one, [grids[0]!]);
      assertDiffer(right, await features(one, [grids[1]!]), 0.1, 'a transposed grid');
      assertDiffer(right, await features(one, [[1, 2, 12]]), 0.1, 'another grid with the same patch count');
      // Same patches, grids in the other order: each image's features change, though the token counts do not.
      const both = await features(pixels, grids);
      assertDiffer(both, await features(pixels, [grids[1]!, grids[0]!]), 0.1, 'swapped grids of two images');
      assertClose(both.subarray(0, right.length), right, 1e-5, 'first image of two vs alone');
    });

    it('has a one-image-per-call variant that refuses a second image', async () => {
      const dir = join(root, `${modelType}-one-image`);
      await generateTinyModel({ ...options(), outDir: dir, dtypes: [''], visionOneImagePerCall: true });
      const single = await new Runner(dir).load();
      try {
        const pixels = Float32Array.from({ length: 32 * PATCH_DIM }, (_, i) => Math.sin(i * 0.29));
        const alone = await single.encodeImages(pixels.slice(0, 16 * PATCH_DIM), [[1, 4, 4]]);
        const reference = await runner.encodeImages(pixels.slice(0, 16 * PATCH_DIM), [[1, 4, 4]]);
        assertClose(alone.data as Float32Array, reference.data as Float32Array, 1e-5, 'same weights as the multi-image export');
        await assert.rejects(single.encodeImages(pixels, [[1, 4, 4], [1, 4, 4]]));
      } finally {
        await single.release();
      }
    });

    it('prefills and decodes 3 greedy steps with the KV cache, matching a full recomputation', async () => {
      const ids = tokenizer.encode('Hello world, 你好', { add_special_tokens: false }).ids;
      const mask = [ids.map(() => 1)];
      const positions = byAxis([sameForAllAxes(textPositions(mask[0]!))]);
      let { logits, present } = await runner.step({ embeds: await runner.embedIds([ids]), batch: 1, mask, positions });
      assert.deepEqual(logits.dims, [1, 1, runner.vocab]);
      const seq = [...ids];
      let last = logits.data as Float32Array;
      for (let k = 0; k < 3; k++) {
        const next = argmax(last, 0, runner.vocab);
        seq.push(next);
        const pastLen = seq.length - 1;
        ({ logits, present } = await runner.step({
          embeds: await runner.embedIds([[next]]),
          batch: 1,
          mask: [seq.map(() => 1)],
          positions: byAxis([sameForAllAxes([pastLen])]),
          past: present,
        }));
        assert.deepEqual(present['past_key_values.0.key']?.dims, [1, runner.kvHeads, seq.length, runner.headDim]);
        last = logits.data as Float32Array;
      }
      const full = await runner.step({
        embeds: await runner.embedIds([seq]),
        batch: 1,
        mask: [seq.map(() => 1)],
        positions: byAxis([sameForAllAxes(textPositions(seq.map(() => 1)))]),
      });
      assertClose(full.logits.data as Float32Array, last, 1e-4, 'cached decode vs full recomputation');
    });

    it('gives left-padded batch rows the logits of the same rows run alone (image row included)', async () => {
      const c = runner.config;
      const imageId = c.image_token_id as number;
      const start = (c.vision_start_token_id ?? c.image_start_token_id) as number;
      const end = (c.vision_end_token_id ?? c.image_end_token_id) as number;
      const text = (s: string): number[] => tokenizer.encode(s, { add_special_tokens: false }).ids;
      // Row A: text, an image of grid 1x4x4 (4 tokens after the 2x2 merge), text. Row B: short text.
      const rowA = [...text('Look'), start, imageId, imageId, imageId, imageId, end, ...text(' at this')];
      const rowB = text('Hi there');
      const imageAt = rowA.indexOf(imageId);
      const image = await runner.encodeImages(
        Float32Array.from({ length: 16 * PATCH_DIM }, (_, i) => Math.cos(i * 0.11)),
        [[1, 4, 4]],
      );
      // Positions (get_rope_index): the image block spans t = s, h = s + row, w = s + col; text resumes at max + 1.
      const s0 = imageAt;
      const posA: number[][] = [[], [], []];
      for (let i = 0; i < rowA.length; i++) {
        if (i < imageAt) for (const axis of posA) axis.push(i);
        else if (i < imageAt + 4) {
          const j = i - imageAt;
          posA[0]!.push(s0);
          posA[1]!.push(s0 + Math.floor(j / 2));
          posA[2]!.push(s0 + (j % 2));
        } else for (const axis of posA) axis.push(s0 + 2 + (i - imageAt - 4));
      }
      const deltaA = Math.max(...posA.flat()) + 1 - rowA.length;
      const imageRows = image.data as Float32Array;

      const pad = (generation.pad_token_id ?? c.text_config?.pad_token_id) as number;
      const padN = rowA.length - rowB.length;
      const paddedB = [...Array<number>(padN).fill(pad), ...rowB];
      const maskB = [...Array<number>(padN).fill(0), ...rowB.map(() => 1)];
      const maskA = rowA.map(() => 1);
      const posB = sameForAllAxes(textPositions(maskB));

      const batchEmbeds = await runner.embedIds([rowA, paddedB]);
      batchEmbeds.set(imageRows, imageAt * runner.hidden);
      const aloneEmbeds = await runner.embedIds([rowA]);
      aloneEmbeds.set(imageRows, imageAt * runner.hidden);
      const batch = await runner.step({
        embeds: batchEmbeds,
        batch: 2,
        mask: [maskA, maskB],
        positions: byAxis([posA, posB]),
      });
      const aloneA = await runner.step({
        embeds: aloneEmbeds,
        batch: 1,
        mask: [maskA],
        positions: byAxis([posA]),
      });
      const aloneB = await runner.step({
        embeds: await runner.embedIds([rowB]),
        batch: 1,
        mask: [rowB.map(() => 1)],
        positions: byAxis([sameForAllAxes(textPositions(rowB.map(() => 1)))]),
      });
      const V = runner.vocab;
      const batchLogits = batch.logits.data as Float32Array;
      assertClose(batchLogits.subarray(0, V), aloneA.logits.data as Float32Array, 1e-4, 'prefill row A');
      assertClose(batchLogits.subarray(V), aloneB.logits.data as Float32Array, 1e-4, 'prefill padded row B');

      // Without the padding mask the padded row changes: the mask is what makes batching exact.
      const unmasked = await runner.step({
        embeds: batchEmbeds,
        batch: 2,
        mask: [maskA, maskA],
        positions: byAxis([posA, posB]),
      });
      const unmaskedB = (unmasked.logits.data as Float32Array).subarray(V);
      assertDiffer(unmaskedB, aloneB.logits.data as Float32Array, 1e-3, 'padded row B without its mask');

      // One decode step on the batch: position = past length + delta per row, mask grows by one.
      const nextA = argmax(batchLogits, 0, V);
      const nextB = argmax(batchLogits, V, V);
      const T = rowA.length;
      const stepBatch = await runner.step({
        embeds: await runner.embedIds([[nextA], [nextB]]),
        batch: 2,
        mask: [
          [...maskA, 1],
          [...maskB, 1],
        ],
        positions: byAxis([sameForAllAxes([T + deltaA]), sameForAllAxes([T - padN])]),
        past: batch.present,
      });
      const stepA = await runner.step({
        embeds: await runner.embedIds([[nextA]]),
        batch: 1,
        mask: [[...maskA, 1]],
        positions: byAxis([sameForAllAxes([T + deltaA])]),
        past: aloneA.present,
      });
      const stepB = await runner.step({
        embeds: await runner.embedIds([[nextB]]),
        batch: 1,
        mask: [[...rowB.map(() => 1), 1]],
        positions: byAxis([sameForAllAxes([rowB.length])]),
        past: aloneB.present,
      });
      const stepLogits = stepBatch.logits.data as Float32Array;
      assertClose(stepLogits.subarray(0, V), stepA.logits.data as Float32Array, 1e-4, 'decode step row A');
      assertClose(stepLogits.subarray(V), stepB.logits.data as Float32Array, 1e-4, 'decode step padded row B');
    });

    it('uses all three position rows (M-RoPE) and honours num_logits_to_keep', async () => {
      const ids = tokenizer.encode('the cat is on the mat', { add_special_tokens: false }).ids;
      const embeds = await runner.embedIds([ids]);
      const mask = [ids.map(() => 1)];
      const flat = textPositions(mask[0]!);
      const base = await runner.step({ embeds, batch: 1, mask, positions: byAxis([sameForAllAxes(flat)]), keep: 0 });
      assert.deepEqual(base.logits.dims, [1, ids.length, runner.vocab]);
      const one = await runner.step({ embeds, batch: 1, mask, positions: byAxis([sameForAllAxes(flat)]), keep: 1 });
      const all = base.logits.data as Float32Array;
      assertClose(all.subarray(all.length - runner.vocab), one.logits.data as Float32Array, 1e-5, 'keep 0 vs keep 1');
      for (const axis of [0, 1, 2]) {
        const rows = sameForAllAxes(flat);
        rows[axis] = flat.map((p) => p * 3 + 1);
        const moved = await runner.step({ embeds, batch: 1, mask, positions: byAxis([rows]), keep: 1 });
        assertDiffer(moved.logits.data as Float32Array, one.logits.data as Float32Array, 1e-3, `position axis ${axis}`);
      }
    });

    it('keeps the decoder and vision weights in .onnx_data files the graphs depend on', async () => {
      const dir = join(options().outDir, 'onnx');
      const onnxBytes = await readFile(join(dir, 'decoder_model_merged.onnx'));
      const dataSize = (await stat(join(dir, 'decoder_model_merged.onnx_data'))).size;
      assert.ok(dataSize > onnxBytes.length * 4, `${dataSize} vs ${onnxBytes.length}`);
      const { onnx } = onnxProto;
      const model = onnx.ModelProto.decode(onnxBytes);
      assert.equal(Number(model.irVersion), 8);
      assert.equal(Number(model.opsetImport[0]?.version), 17);
      const isExternal = (t: { dataLocation?: number | null }): boolean =>
        t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
      const external = (model.graph?.initializer ?? []).filter(isExternal);
      assert.ok(external.length >= runner.layers * 7, `${external.length} external tensors`);
      for (const t of external) {
        const entry = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
        assert.equal(entry.location, 'decoder_model_merged.onnx_data');
        assert.ok(Number(entry.offset) + Number(entry.length) <= dataSize, `${t.name} past the end of the data file`);
        assert.equal(t.rawData?.length ?? 0, 0);
      }
      assert.ok(external.some((t) => t.name === 'lm_head.weight'), 'lm_head.weight is not external');
      // Without its data file the graph cannot load.
      const alone = await mkdtemp(join(root, 'alone-'));
      await copyFile(join(dir, 'decoder_model_merged.onnx'), join(alone, 'decoder_model_merged.onnx'));
      await assert.rejects(ort.InferenceSession.create(join(alone, 'decoder_model_merged.onnx')));
      const embedModel = onnx.ModelProto.decode(await readFile(join(dir, 'embed_tokens.onnx')));
      assert.ok((embedModel.graph?.initializer ?? []).every((t) => !isExternal(t)), 'embed_tokens should be inline');
    });

    it('round-trips Chinese and English through the tokenizer; specials are single ids', () => {
      for (const s of ['你好，世界！这是一张图片。', 'Hello world, the cat is on the mat.', 'mixed 中文 and 123 emoji 🙂\n']) {
        const { ids } = tokenizer.encode(s, { add_special_tokens: false });
        assert.equal(tokenizer.decode(ids), s);
      }
      const imageToken = family === 'qwen2_vl' ? '<|image_pad|>' : '<|image|>';
      const { ids } = tokenizer.encode(`a${imageToken}${imageToken}b`, { add_special_tokens: false });
      assert.deepEqual(ids.slice(1, 3), [runner.config.image_token_id, runner.config.image_token_id]);
      // "好" becomes two tokens, the first ending inside the character: decoders must buffer.
      const hao = tokenizer.encode('好', { add_special_tokens: false }).ids;
      assert.equal(hao.length, 2);
      assert.ok(tokenizer.decode([hao[0]!]).includes('\uFFFD'), 'first half of 好 should not decode');
      assert.equal(tokenizer.decode(hao), '好');
    });

    it('decodes generated ids, skipping special tokens on request', () => {
      const eos = (generation.eos_token_id as number[])[0]!;
      const ids = [...tokenizer.encode('done', { add_special_tokens: false }).ids, eos];
      assert.equal(tokenizer.decode(ids, { skip_special_tokens: true }), 'done');
      if (family === 'glm') {
        const boxed = tokenizer.encode('<think></think><|begin_of_box|>A<|end_of_box|>', { add_special_tokens: false });
        assert.equal(boxed.ids.length, 5);
        // Thinking and box markers are not "special": they survive, as they do from real servers.
        assert.equal(tokenizer.decode(boxed.ids, { skip_special_tokens: true }), '<think></think><|begin_of_box|>A<|end_of_box|>');
      }
    });
  });
}

describe('tiny model chat templates', () => {
  const messages = [
    { role: 'system', content: 'You catalogue photos.' },
    { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe this image.' }] },
  ];
  const render = (template: string, extra: Record<string, unknown> = {}): string =>
    new Template(template).render({ messages, add_generation_prompt: true, ...extra });

  it('renders Qwen2-VL ChatML from tokenizer_config.json', async () => {
    const dir = join(root, 'tpl-qwen');
    await generateTinyModel({ family: 'qwen2_vl', outDir: dir });
    const { chat_template: template } = await readJson(join(dir, 'tokenizer_config.json'));
    assert.equal(
      render(template),
      '<|im_start|>system\nYou catalogue photos.<|im_end|>\n' +
        '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    assert.equal(
      new Template(template).render({
        messages: [{ role: 'user', content: [{ type: 'image' }, { type: 'image' }, { type: 'text', text: 'Same?' }] }],
        add_generation_prompt: false,
        add_vision_id: true,
      }),
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n' +
        'Picture 1: <|vision_start|><|image_pad|><|vision_end|>Picture 2: <|vision_start|><|image_pad|><|vision_end|>' +
        'Same?<|im_end|>\n',
    );
  });

  it('renders the GLM templates from tokenizer_config.json, with and without thinking', async () => {
    const expectations = {
      glm_ocr: '<|assistant|>\n<think></think>\n',
      glm46v: '<|assistant|>\n<think></think>',
      glm4v: '<|assistant|>\n<think></think>',
    };
    for (const [modelType, suffix] of Object.entries(expectations)) {
      const dir = join(root, `tpl-${modelType}`);
      await generateTinyModel({ family: 'glm', modelType: modelType as TinyModelOptions['modelType'], outDir: dir });
      const { chat_template: template } = await readJson(join(dir, 'tokenizer_config.json'));
      const prefix =
        '[gMASK]<sop><|system|>\nYou catalogue photos.<|user|>\n<|begin_of_image|><|image|><|end_of_image|>Describe this image.';
      assert.equal(render(template, { enable_thinking: false }), `${prefix}/nothink${suffix}`);
      assert.equal(render(template), `${prefix}<|assistant|>${modelType === 'glm_ocr' ? '\n' : ''}`);
      const history = new Template(template).render({
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: '<think>greeting</think>Hello!' },
          { role: 'user', content: 'Bye/nothink' },
        ],
        add_generation_prompt: false,
        enable_thinking: false,
      });
      assert.equal(history, '[gMASK]<sop><|user|>\nHi/nothink<|assistant|>\n<think></think>\nHello!<|user|>\nBye/nothink');
      const config = await readJson(join(dir, 'config.json'));
      assert.equal(config.model_type, modelType);
      const rope = config.text_config.rope_parameters ?? config.text_config.rope_scaling;
      assert.equal(rope.mrope_section.length, 3);
      const pre = await readJson(join(dir, 'preprocessor_config.json'));
      assert.deepEqual(pre.size, { shortest_edge: 12544, longest_edge: 9633792 });
      const gen = await readJson(join(dir, 'generation_config.json'));
      assert.equal(gen.eos_token_id.length, modelType === 'glm_ocr' ? 2 : 3);
    }
  });
});

describe('tiny model generator options', () => {
  it('writes the chat template in each place transformers keeps one', async () => {
    const dir = (place: string) => join(root, `place-${place}`);
    const places = ['tokenizer_config', 'tokenizer_config_list', 'chat_template.jinja', 'chat_template.json'] as const;
    for (const place of places) await generateTinyModel({ family: 'glm', outDir: dir(place), chatTemplateIn: place, dtypes: [''] });
    const config = async (place: string) => readJson(join(dir(place), 'tokenizer_config.json'));
    const template = (await config('tokenizer_config')).chat_template as string;
    assert.match(template, /^\[gMASK\]<sop>/);
    const list = (await config('tokenizer_config_list')).chat_template as Json[];
    assert.deepEqual(list.map((t) => t.name), ['tool_use', 'default']);
    assert.equal(list[1]?.template, template);
    assert.equal(await readFile(join(dir('chat_template.jinja'), 'chat_template.jinja'), 'utf8'), template);
    assert.equal((await readJson(join(dir('chat_template.json'), 'chat_template.json'))).chat_template, template);
    for (const place of ['chat_template.jinja', 'chat_template.json'] as const) {
      assert.equal((await config(place)).chat_template, undefined, `${place}: tokenizer_config.json has no template`);
      assert.deepEqual(await listFiles(dir(place)), tinyModelFiles({ family: 'glm', outDir: '', chatTemplateIn: place, dtypes: [''] }));
    }
  });

  it('writes the three layouts of Qwen\'s preprocessor_config.json', async () => {
    const layout = async (preprocessorLayout: 'original' | 'size-edges') => {
      const dir = join(root, `layout-${preprocessorLayout}`);
      await generateTinyModel({ family: 'qwen2_vl', outDir: dir, preprocessorLayout, dtypes: [''] });
      return readJson(join(dir, 'preprocessor_config.json'));
    };
    const original = await layout('original');
    assert.deepEqual(Object.keys(original).sort(), [
      'image_mean', 'image_processor_type', 'image_std', 'max_pixels', 'merge_size', 'min_pixels', 'patch_size',
      'processor_class', 'temporal_patch_size',
    ]);
    const edges = await layout('size-edges');
    assert.deepEqual(edges.size, { shortest_edge: 3136, longest_edge: 12845056 });
    assert.equal(edges.min_pixels, undefined);
    assert.throws(() => tinyModelFiles({ family: 'glm', outDir: '', preprocessorLayout: 'original' }), /needs --family qwen2_vl/);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const data = async (seed: number, name: string): Promise<Buffer> => {
      const dir = join(root, name);
      await generateTinyModel({ family: 'glm', outDir: dir, seed, dtypes: [''] });
      return readFile(join(dir, 'onnx', 'decoder_model_merged.onnx_data'));
    };
    const a = await data(7, 'seed-a');
    const b = await data(7, 'seed-b');
    const c = await data(8, 'seed-c');
    assert.ok(a.equals(b), 'same seed, different weights');
    assert.ok(!a.equals(c), 'different seeds, same weights');
  });

  it('drops num_logits_to_keep on request and returns logits for every position', async () => {
    const dir = join(root, 'no-keep');
    await generateTinyModel({ family: 'qwen2_vl', outDir: dir, logitsToKeep: false, layers: 1 });
    const runner = await new Runner(dir).load();
    try {
      assert.ok(!runner.decoder.inputNames.includes('num_logits_to_keep'), 'num_logits_to_keep still present');
      const ids = [1, 2, 3, 4];
      const out = await runner.step({
        embeds: await runner.embedIds([ids]),
        batch: 1,
        mask: [[1, 1, 1, 1]],
        positions: byAxis([sameForAllAxes([0, 1, 2, 3])]),
      });
      assert.deepEqual(out.logits.dims, [1, 4, runner.vocab]);
    } finally {
      await runner.release();
    }
  });

  it('writes float16 variants that run with float16 inputs and agree with float32', async () => {
    const dir = join(root, 'qwen2_vl');
    for (const name of ['vision_encoder', 'embed_tokens']) {
      const session = await ort.InferenceSession.create(join(dir, 'onnx', `${name}_fp16.onnx`));
      const io = [...session.inputMetadata, ...session.outputMetadata].map((m) => (m.isTensor ? m.type : ''));
      assert.deepEqual(io, name === 'vision_encoder' ? ['float16', 'int64', 'float16'] : ['int64', 'float16']);
      await session.release();
    }
    const fp32 = await new Runner(dir).load();
    const fp16 = await ort.InferenceSession.create(join(dir, 'onnx', 'decoder_model_merged_fp16.onnx'));
    try {
      const types = Object.fromEntries(fp16.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '']));
      assert.equal(types.inputs_embeds, 'float16');
      assert.equal(types['past_key_values.0.key'], 'float16');
      const ids = [5, 6, 7];
      const embeds = await fp32.embedIds([ids]);
      const positions = byAxis([sameForAllAxes([0, 1, 2])]);
      const ref = await fp32.step({ embeds, batch: 1, mask: [[1, 1, 1]], positions });
      const half = (t: ort.Tensor): ort.Tensor =>
        new ort.Tensor('float16', float32ToFloat16(t.data as Float32Array), t.dims);
      const feeds: Feeds = {
        inputs_embeds: new ort.Tensor('float16', float32ToFloat16(embeds), [1, 3, fp32.hidden]),
        attention_mask: int64([1, 1, 1], [1, 3]),
        position_ids: int64(positions.flat(2), [3, 1, 3]),
        num_logits_to_keep: int64([1], []),
      };
      for (const [name, t] of Object.entries(fp32.emptyPast(1))) feeds[name] = half(t);
      const out = await fp16.run(feeds);
      assert.equal(out.logits?.type, 'float16');
      const logits = float16ToFloat32(out.logits?.data as Uint16Array);
      assertClose(logits, ref.logits.data as Float32Array, 0.1, 'fp16 vs fp32 logits');
      assert.equal(argmax(logits, 0, fp32.vocab), argmax(ref.logits.data as Float32Array, 0, fp32.vocab));
    } finally {
      await fp32.release();
      await fp16.release();
    }
  });
});
