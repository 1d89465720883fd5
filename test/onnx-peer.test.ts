// glm-vision's local engine against an independent implementation: transformers.js (written against the
// onnx-community exports) on the tiny models of both families, for images of several sizes and two prompts.
// Grids, prompt ids and M-RoPE positions must be equal, and greedy token ids equal at batch 1 and 8, in
// both engines. Where transformers.js departs from the Python processors (Python's round() halves to even;
// a side under 28 px; alpha), the test shows the departure and holds glm-vision to the Python rule, run
// by python3 with Pillow and numpy (test/helpers/py-processor.py); skipped, with the reason, without them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Engine, type EngineRow } from '../src/backends/onnx/engine.js';
import { processImage, visionConfigFrom, type ProcessedImage, type VisionConfig } from '../src/backends/onnx/image-processor.js';
import { TextCodec } from '../src/backends/onnx/text.js';
import { generateTinyModel } from './tiny-model/index.js';
import { makeImage } from './helpers/images.js';
import { tempDir } from './helpers/cli.js';
import { Peer, type PeerRow } from './helpers/transformers-peer.js';

const run = promisify(execFile);
const SCRIPT = path.join(import.meta.dirname, 'helpers', 'py-processor.py');

async function findPython(): Promise<{ python?: string; reason: string }> {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      await run(python, ['-c', 'import PIL, numpy']);
      return { python, reason: '' };
    } catch {
      // try the next
    }
  }
  return { reason: 'needs python3 with Pillow and numpy (Debian: apt-get install python3-pil python3-numpy)' };
}
const found = await findPython();

const FAMILIES = ['qwen2_vl', 'glm'] as const;
type Family = (typeof FAMILIES)[number];
const PROMPTS = ['Describe this image.', 'What is written here? Answer in one line.'];
// Width × height: at the target size already (multiples of 28), and resized up, down and to other shapes.
const SIZES: [number, number][] = [[56, 56], [84, 112], [140, 84], [100, 75], [230, 150], [333, 250]];
const MAX_TOKENS = 8;
// Sizes where transformers.js's smart_resize departs from Python's (width × height).
const HALF_EVEN: [number, number] = [98, 70]; // 98/28 = 3.5 and 70/28 = 2.5: round() gives 4 and 2, Math.round 4 and 3
const SMALL_SIDE: Record<Family, [number, number]> = { qwen2_vl: [35, 10], glm: [25, 8] };
const ALPHA: [number, number] = [84, 56];
const SAME_SIZE: [number, number] = [100, 75];

let dir: string;
let cleanup: () => Promise<void>;
const files: string[] = [];
const sameSizeFiles: string[] = [];
let halfEven: string;
let alpha: string;
const smallSide = {} as Record<Family, string>;

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-peer-'));
  await Promise.all(FAMILIES.map((family) => generateTinyModel({ family, outDir: path.join(dir, family), seed: 4 })));
  for (const [i, [width, height]] of SIZES.entries()) {
    files.push(path.join(dir, `img${i}.png`));
    await makeImage(files[i] as string, { width, height, seed: 40 + i, format: 'png' });
  }
  for (let i = 0; i < 8; i++) {
    sameSizeFiles.push(path.join(dir, `same${i}.png`));
    await makeImage(sameSizeFiles[i] as string, { width: SAME_SIZE[0], height: SAME_SIZE[1], seed: 60 + i, format: 'png' });
  }
  halfEven = path.join(dir, 'half-even.png');
  await makeImage(halfEven, { width: HALF_EVEN[0], height: HALF_EVEN[1], seed: 3, format: 'png' });
  for (const family of FAMILIES) {
    smallSide[family] = path.join(dir, `small-${family}.png`);
    await makeImage(smallSide[family], { width: SMALL_SIDE[family][0], height: SMALL_SIDE[family][1], seed: 4, format: 'png' });
  }
  // Half-transparent stripes over colour: dropping alpha and compositing on white give different pixels.
  const [w, h] = ALPHA;
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 7) % 256, (i * 13) % 256, 90, (i % w) < w / 2 ? 255 : 64 + (i % 128)], i * 4);
  alpha = path.join(dir, 'alpha.png');
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(alpha);
});
after(() => cleanup());

/** The Python processors' patches and grid for each file, or null where Python refuses the image. */
async function pythonPatches(family: Family, cfg: VisionConfig, inputs: string[]): Promise<({ grid: number[]; pixels: Float32Array } | null)[]> {
  const cases = inputs.map((input, i) => ({
    input, output: path.join(dir, `${family}-${i}.f32`), family, min_pixels: cfg.minPixels, max_pixels: cfg.maxPixels,
    patch_size: cfg.patchSize, merge_size: cfg.mergeSize, temporal_patch_size: cfg.temporalPatchSize,
    rescale_factor: cfg.rescaleFactor, image_mean: cfg.mean, image_std: cfg.std,
  }));
  const list = path.join(dir, `${family}-cases.json`);
  await writeFile(list, JSON.stringify(cases));
  const { stdout } = await run(found.python as string, [SCRIPT, list]);
  const grids = JSON.parse(stdout) as (number[] | null)[];
  return Promise.all(grids.map(async (grid, i) => {
    if (!grid) return null;
    const bytes = await readFile(cases[i]!.output);
    return { grid, pixels: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  }));
}

/** Patches back to x / 255: channel-major within each patch (C, T, p, p). */
function denormalise(values: Float32Array, cfg: VisionConfig): Float32Array {
  const perChannel = cfg.temporalPatchSize * cfg.patchSize * cfg.patchSize;
  return values.map((v, i) => {
    const c = Math.floor(i / perChannel) % 3;
    return v * (cfg.std[c] as number) + (cfg.mean[c] as number);
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

for (const family of FAMILIES) {
  describe(`peer check against transformers.js: ${family}`, () => {
    let engine: Engine;
    let codec: TextCodec;
    let peer: Peer;
    let cfg: VisionConfig;
    const images: ProcessedImage[] = [];
    const sameSize: ProcessedImage[] = [];
    const preprocess = async (file: string): Promise<ProcessedImage> => processImage(await readFile(file), cfg, { maxInputPixels: 1e8 });
    const rowOf = (image: ProcessedImage, prompt: string): EngineRow => engine.prepare({
      pixelValues: image.pixelValues, grid: image.grid, tokens: image.tokens, promptIds: codec.promptIds(undefined, prompt),
      maxTokens: MAX_TOKENS, sampling: { temperature: 0, topP: 1, topK: 0 }, seed: 0,
    });
    const peerRow = (image: ProcessedImage, prompt: string): PeerRow => ({ prompt, pixelValues: image.pixelValues, grid: image.grid });

    before(async () => {
      const modelDir = path.join(dir, family);
      engine = await Engine.load({ dir: modelDir, dtype: 'fp32', device: 'cpu', threads: 1 }, () => {});
      codec = await TextCodec.load(modelDir, { imageTokenId: engine.model.ids.image, family });
      cfg = visionConfigFrom(engine.model.preprocessorConfig, family, 'preprocessor_config.json');
      peer = await Peer.load(modelDir, family, 1);
      for (const file of files) images.push(await preprocess(file));
      for (const file of sameSizeFiles) sameSize.push(await preprocess(file));
    });
    after(() => peer.dispose());

    it('gives the same grids and prompt ids, and the same pixels where no resize is needed', async () => {
      for (const [i, file] of files.entries()) {
        const image = images[i] as ProcessedImage;
        for (const prompt of PROMPTS) {
          const theirs = await peer.process(file, prompt);
          assert.deepEqual(image.grid, theirs.grid, `${path.basename(file)}: grid`);
          assert.deepEqual(rowOf(image, prompt).ids, theirs.ids, `${path.basename(file)}, "${prompt}": prompt ids`);
          // transformers.js resizes with sharp's affine bicubic, not Pillow's: pixels compare only where neither resizes.
          const [w, h] = SIZES[i] as [number, number];
          if (image.width !== w || image.height !== h) continue;
          // GLM-OCR's preprocessor_config.json has no do_normalize key: Python's Glm46VImageProcessor defaults it
          // to true, transformers.js to false, so its patches are x / 255. glm-vision normalises, like Python.
          const want = family === 'glm' ? denormalise(image.pixelValues, cfg) : image.pixelValues;
          assert.ok(maxDiff(want, theirs.pixelValues) < 1e-5, `${path.basename(file)}: pixels`);
        }
      }
    });

    it('gives the same M-RoPE positions (get_rope_index), one row at a time and left-padded in a batch', () => {
      const rows = images.flatMap((image) => PROMPTS.map((prompt) => ({ image, prompt })));
      const ours = rows.map(({ image, prompt }) => rowOf(image, prompt));
      const theirs = peer.positions(rows.map(({ image, prompt }) => peerRow(image, prompt)));
      const width = Math.max(...ours.map((r) => r.ids.length));
      ours.forEach((row, b) => {
        const pad = width - row.ids.length;
        (['t', 'h', 'w'] as const).forEach((axis, k) => {
          assert.deepEqual(theirs.positions[k]![b]!.slice(pad), row.positions[axis], `row ${b}, axis ${axis}`);
        });
        // transformers.js counts the delta against the padded width.
        assert.equal(row.nextPosition, width + (theirs.deltas[b] as number), `row ${b}: next position`);
      });
      assert.ok(new Set(ours.map((r) => r.ids.length)).size >= 4, 'rows of several lengths, so the batch is padded');
    });

    it('generates the same greedy token ids at batch 1 and batch 8', async () => {
      const solo = async (rows: { image: ProcessedImage; prompt: string }[]): Promise<{ ours: number[][]; theirs: number[][] }> => {
        const ours: number[][] = [];
        const theirs: number[][] = [];
        for (const { image, prompt } of rows) {
          ours.push(...(await engine.generate([rowOf(image, prompt)])).map((o) => o.ids));
          theirs.push(...(await peer.generate([peerRow(image, prompt)], MAX_TOKENS)));
        }
        assert.deepEqual(ours, theirs, 'batch 1: glm-vision against transformers.js');
        return { ours, theirs };
      };
      const batch = (rows: { image: ProcessedImage; prompt: string }[]) => engine.generate(rows.map(({ image, prompt }) => rowOf(image, prompt)));
      // Eight rows of one shape: neither engine pads.
      const even = sameSize.map((image) => ({ image, prompt: PROMPTS[0] as string }));
      const one = await solo(even);
      assert.deepEqual((await batch(even)).map((o) => o.ids), one.ours, 'batch 8, one shape: glm-vision');
      assert.deepEqual(await peer.generate(even.map(({ image, prompt }) => peerRow(image, prompt)), MAX_TOKENS), one.theirs, 'batch 8, one shape: transformers.js');
      // Eight rows of six sizes and two prompts: left-padded. transformers.js 4.3.2 forgets the padding after the
      // prompt step (its decode steps rebuild attention_mask as ones over the whole past), so a padded row of
      // its own batch departs from that row alone; glm-vision's padded batch is held to transformers.js's batch 1.
      const mixed = [0, 1, 2, 3, 4, 5, 0, 3].map((i, k) => ({ image: images[i] as ProcessedImage, prompt: PROMPTS[k % 2] as string }));
      const each = await solo(mixed);
      assert.deepEqual((await batch(mixed)).map((o) => o.ids), each.theirs, 'batch 8, padded: glm-vision against transformers.js at batch 1');
      const theirs8 = await peer.generate(mixed.map(({ image, prompt }) => peerRow(image, prompt)), MAX_TOKENS);
      assert.notDeepEqual(theirs8, each.theirs, 'transformers.js now keeps the padding: compare its padded batch directly');
      for (const rows of [one.ours, each.ours]) {
        assert.ok(new Set(rows.map((ids) => ids.join())).size >= 3, 'the rows generate different tokens, so a mix-up would show');
      }
    });

    it('follows the Python processors where transformers.js departs from them', { skip: found.python ? false : found.reason }, async () => {
      const inputs = [...files, halfEven, smallSide[family], alpha];
      const python = await pythonPatches(family, cfg, inputs);
      // Every image: glm-vision's patches are Python's, float for float.
      const level = 1 / 255 / Math.min(...cfg.std);
      for (const [i, file] of inputs.entries()) {
        const want = python[i];
        if (!want) continue;
        const ours = await preprocess(file);
        assert.deepEqual(ours.grid, want.grid, `${path.basename(file)}: grid`);
        // libvips' flatten rounds one level away from Pillow's alpha_composite on some pixels, which a bicubic enlargement can double.
        const bound = file === alpha ? 2 : 0;
        assert.ok(maxDiff(ours.pixelValues, want.pixels) <= level * (bound + 0.01), `${path.basename(file)}: pixels within ${bound} level(s) of Pillow's`);
      }
      // Python's round() takes 2.5 to 2; transformers.js's Math.round takes it to 3.
      const half = await peer.process(halfEven, PROMPTS[0] as string);
      assert.deepEqual(python[files.length]?.grid, [1, 4, 8], 'Python: 98×70 → 112×56');
      assert.deepEqual(half.grid, [1, 6, 8], 'transformers.js: 98×70 → 112×84');
      // A side under 28 px.
      const small = await peer.process(smallSide[family], PROMPTS[0] as string);
      const ours = await preprocess(smallSide[family]);
      if (family === 'glm') {
        // Glm46V scales the short side up to 28 and truncates the other with int(); transformers.js rounds it (87.5 → 88).
        assert.deepEqual(python[files.length + 1]?.grid, [1, 4, 10], 'Python: 25×8 → 87×28 → 140×56');
        assert.deepEqual(small.grid, [1, 4, 12], 'transformers.js: 25×8 → 88×28 → 168×56');
      } else {
        // Qwen2VL's Python refuses a side under 28 px; transformers.js scales it up first, glm-vision lets min_pixels do it.
        assert.equal(python[files.length + 1], null, 'Python refuses 35×10');
        assert.deepEqual(small.grid, [1, 2, 8], 'transformers.js: 35×10 → 112×28');
        assert.deepEqual(ours.grid, [1, 4, 8], 'glm-vision: 35×10 → 112×56, the min_pixels branch');
      }
      // Alpha: Python composites on white (convert_to_rgb); transformers.js drops the channel.
      const clear = await peer.process(alpha, PROMPTS[0] as string);
      const composited = (python[files.length + 2] as { pixels: Float32Array }).pixels;
      assert.ok(maxDiff(clear.pixelValues, family === 'glm' ? denormalise(composited, cfg) : composited) > 0.5, 'transformers.js ignores alpha');
    });
  });
}
