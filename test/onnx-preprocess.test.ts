// The ONNX engine's image preprocessing and M-RoPE positions, against
// hand-computed values and outputs of the Python reference (Pillow, numpy).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { FileFailure, UsageError } from '../src/support/errors.js';
import {
  patchify,
  processImage,
  resizeBicubic,
  smartResize,
  visionConfigFrom,
  withMaxPixels,
  type VisionConfig,
} from '../src/backends/onnx/image-processor.js';
import { ropePositions, type RopeOptions } from '../src/backends/onnx/rope-index.js';
import { preprocessorConfig, resolveSpec, type PreprocessorLayout } from './tiny-model/index.js';

const MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
// Qwen2-VL-2B-Instruct's and GLM-4.6V's shipped budgets.
const QWEN: VisionConfig = {
  patchSize: 14, mergeSize: 2, temporalPatchSize: 2, rescaleFactor: 1 / 255, mean: MEAN, std: STD,
  minPixels: 3136, maxPixels: 12_845_056, family: 'qwen2_vl',
};
const GLM: VisionConfig = { ...QWEN, minPixels: 12_544, maxPixels: 9_633_792, family: 'glm' };
const NO_LIMIT = { maxInputPixels: 268_402_689 };

const size = (height: number, width: number) => ({ height, width });

describe('visionConfigFrom', () => {
  const common = { patch_size: 14, merge_size: 2, temporal_patch_size: 2, image_mean: MEAN, image_std: STD };
  const generated = (family: 'qwen2_vl' | 'glm', preprocessorLayout?: PreprocessorLayout) =>
    preprocessorConfig(resolveSpec({ family, outDir: '', ...(preprocessorLayout ? { preprocessorLayout } : {}) }));
  it('reads the three Qwen layouts the generator writes identically, and GLM\'s', () => {
    for (const layout of ['saved', 'original', 'size-edges'] as const) {
      assert.deepEqual(visionConfigFrom(generated('qwen2_vl', layout), 'qwen2_vl', 'p.json'), QWEN, layout);
    }
    assert.deepEqual(visionConfigFrom(generated('glm'), 'glm', 'p.json'), GLM);
  });
  it('lets top-level min_pixels/max_pixels win over size for Qwen, and reads only size for GLM, as the Python processors do', () => {
    const both = { ...common, min_pixels: 1000, max_pixels: 2000, size: { shortest_edge: 3000, longest_edge: 4000 } };
    const budget = (cfg: unknown, family: 'qwen2_vl' | 'glm') => {
      const c = visionConfigFrom(cfg, family, 'p.json');
      return [c.minPixels, c.maxPixels];
    };
    assert.deepEqual(budget(both, 'qwen2_vl'), [1000, 2000]);
    assert.deepEqual(budget({ ...both, size: { min_pixels: 3000, max_pixels: 4000 } }, 'qwen2_vl'), [1000, 2000]);
    assert.deepEqual(budget({ ...common, size: { min_pixels: 3000, max_pixels: 4000 } }, 'qwen2_vl'), [3000, 4000]);
    assert.deepEqual(budget(both, 'glm'), [3000, 4000]);
    // Glm4vImageProcessor never reads min_pixels/max_pixels.
    assert.throws(
      () => visionConfigFrom({ ...common, min_pixels: 12_544, max_pixels: 9_633_792 }, 'glm', 'g.json'),
      /g\.json: "size.shortest_edge" is missing/,
    );
  });
  it('honours do_rescale, rescale_factor and do_normalize; refuses do_resize false and filters other than BICUBIC', () => {
    const qwen = generated('qwen2_vl');
    const read = (changes: Record<string, unknown>) => visionConfigFrom({ ...qwen, ...changes }, 'qwen2_vl', '/m/p.json');
    assert.equal(read({ do_rescale: false }).rescaleFactor, 1);
    assert.equal(read({ rescale_factor: 0.5 }).rescaleFactor, 0.5);
    const plain = read({ do_normalize: false, image_mean: undefined, image_std: 'ignored' });
    assert.deepEqual([plain.mean, plain.std], [[0, 0, 0], [1, 1, 1]]);
    assert.throws(() => read({ do_resize: false }), /\/m\/p\.json: "do_resize" is false; glm-vision always resizes/);
    assert.throws(() => read({ resample: 2 }), /"resample" is 2 \(BILINEAR\); glm-vision resizes only with 3 \(BICUBIC\)/);
    assert.throws(() => read({ do_rescale: 'yes' }), /"do_rescale" is not true or false/);
    assert.throws(() => read({ rescale_factor: 0 }), /"rescale_factor" is not a positive number/);
    assert.equal(read({ resample: undefined }).rescaleFactor, 1 / 255, 'BICUBIC is the default');
  });
  it('names the file and the field for a missing or invalid value', () => {
    const ok = { ...common, min_pixels: 3136, max_pixels: 12_845_056 };
    const bad = (cfg: unknown, re: RegExp) =>
      assert.throws(() => visionConfigFrom(cfg, 'qwen2_vl', '/m/preprocessor_config.json'), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /^\/m\/preprocessor_config\.json: /);
        assert.match(e.message, re);
        return true;
      });
    bad({ ...ok, patch_size: undefined }, /"patch_size" is missing/);
    bad({ ...ok, merge_size: 2.5 }, /"merge_size" is not a positive integer/);
    bad({ ...ok, image_mean: [0.5, 0.5] }, /"image_mean" is not a list of 3 numbers/);
    bad({ ...ok, image_std: [0.5, 0, 0.5] }, /"image_std" is not a list of 3 positive numbers/);
    bad({ ...ok, max_pixels: undefined }, /"max_pixels" \(or "size.longest_edge"\) is missing/);
    bad({ ...ok, min_pixels: -1 }, /"min_pixels" is not a positive integer/);
    bad({ ...ok, min_pixels: 5000, max_pixels: 4000 }, /minimum pixel budget 5000 exceeds the maximum 4000/);
    bad([1, 2], /not a JSON object/);
  });
});

describe('smartResize', () => {
  it('rounds each side to a multiple of 28 within the budget', () => {
    assert.deepEqual(smartResize(666, 540, QWEN), size(672, 532));
    assert.deepEqual(smartResize(200, 300, QWEN), size(196, 308));
    // 3000×4000 → 2996×4004 = 11,995,984 px: under Qwen's 12,845,056.
    assert.deepEqual(smartResize(3000, 4000, QWEN), size(2996, 4004));
  });
  it('rounds halves to even like Python round()', () => {
    // 70/28 = 2.5 → 2 and 98/28 = 3.5 → 4 (Math.round would give 84 × 112).
    assert.deepEqual(smartResize(70, 98, QWEN), size(56, 112));
    assert.deepEqual(smartResize(70, 98, GLM), size(56, 112));
  });
  it('reproduces the published GLM-OCR case: 540×666 → 532×672', () => {
    assert.deepEqual(smartResize(666, 540, GLM), size(672, 532));
  });
  it('Qwen: scales down by sqrt(h·w / max) and floors; scales up by sqrt(min / h·w) and ceils', () => {
    const capped = { ...QWEN, maxPixels: 1_003_520 };
    // beta = sqrt(12e6 / 1,003,520) = 3.458; 3000/beta/28 = 30.98 → 840, 4000/beta/28 = 41.31 → 1148.
    assert.deepEqual(smartResize(3000, 4000, capped), size(840, 1148));
    // 20×30 rounds to 28×28 = 784 < 3136: beta = sqrt(3136/600) = 2.286; 45.7/28 → 2 → 56, 68.6/28 → 3 → 84.
    assert.deepEqual(smartResize(20, 30, QWEN), size(56, 84));
    assert.deepEqual(smartResize(1, 1, QWEN), size(56, 56));
  });
  it('GLM: counts t·h·w with t = 2, and first scales a side under 28 up to 28', () => {
    // 2·2996·4004 > 9,633,792: beta = sqrt(2·12e6 / 9,633,792) = 1.578; 3000/beta/28 = 67.9 → 1876, 90.5 → 2520.
    assert.deepEqual(smartResize(3000, 4000, GLM), size(1876, 2520));
    // 20×30 → ×1.4 → 28×42 → rounds to 28×56 (1.5 → 2); 2·28·56 = 3136 < 12,544:
    // beta = sqrt(12544 / (2·28·42)) = 2.309; 64.7/28 → 3 → 84, 97.0/28 → 4 → 112.
    assert.deepEqual(smartResize(20, 30, GLM), size(84, 112));
  });
  it('rejects an aspect ratio over 200 as a FileFailure', () => {
    for (const cfg of [QWEN, GLM]) {
      assert.throws(() => smartResize(1, 201, cfg), (e: unknown) => e instanceof FileFailure && /aspect ratio 201:1 .*exceeds 200/.test(e.message));
      assert.throws(() => smartResize(6000, 29, cfg), FileFailure);
    }
    assert.deepEqual(smartResize(1, 200, QWEN), size(28, 812));
    assert.deepEqual(smartResize(1, 200, GLM), size(28, 5600));
  });
  it('never returns a side under 28, where Qwen\'s Python would return 0', () => {
    assert.deepEqual(smartResize(28, 5600, { ...QWEN, maxPixels: 100_000 }), size(28, 4452));
  });
});

describe('withMaxPixels', () => {
  it('caps h×w for both families (GLM budgets t·h·w, so its cap is doubled)', () => {
    assert.equal(withMaxPixels(QWEN, undefined), QWEN);
    assert.equal(withMaxPixels(QWEN, 1_003_520).maxPixels, 1_003_520);
    assert.equal(withMaxPixels(GLM, 1_003_520).maxPixels, 2_007_040);
    assert.equal(withMaxPixels(GLM, 100_000_000).maxPixels, GLM.maxPixels, 'never raises the model budget');
    for (const cfg of [QWEN, GLM]) {
      const s = smartResize(3000, 4000, withMaxPixels(cfg, 1_003_520));
      assert.deepEqual(s, size(840, 1148));
      assert.ok(s.height * s.width <= 1_003_520);
    }
  });
  it('lowers the minimum under a small cap', () => {
    const c = withMaxPixels(QWEN, 2000);
    assert.deepEqual([c.minPixels, c.maxPixels], [2000, 2000]);
    assert.throws(() => withMaxPixels(QWEN, 0), UsageError);
  });
});

describe('patchify', () => {
  // A 56×56 frame (grid 1×4×4) whose value encodes channel, row and column.
  const H = 56;
  const W = 56;
  const code = (c: number, y: number, x: number) => c * 10_000 + y * 100 + x;
  const chw = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) chw[c * H * W + y * W + x] = code(c, y, x);
  const { pixelValues, grid } = patchify(chw, H, W, QWEN);
  const at = (row: number, col: number) => pixelValues[row * 1176 + col];

  it('has one row per patch and C·T·14·14 columns', () => {
    assert.deepEqual(grid, [1, 4, 4]);
    assert.equal(pixelValues.length, 16 * 1176);
  });
  it('orders rows by 2×2 merge window, then the 4 patches inside it', () => {
    // Rows 0-3: window (0,0) = patches (0,0) (0,1) (1,0) (1,1); rows 4-7: window (0,1).
    assert.equal(at(0, 0), code(0, 0, 0));
    assert.equal(at(1, 0), code(0, 0, 14));
    assert.equal(at(2, 0), code(0, 14, 0));
    assert.equal(at(3, 0), code(0, 14, 14));
    assert.equal(at(4, 0), code(0, 0, 28));
    assert.equal(at(5, 0), code(0, 0, 42));
    assert.equal(at(6, 0), code(0, 14, 28));
    assert.equal(at(7, 0), code(0, 14, 42));
    assert.equal(at(8, 0), code(0, 28, 0));
    assert.equal(at(10, 0), code(0, 42, 0));
    assert.equal(at(15, 0), code(0, 42, 42));
  });
  it('lays each row out channel-major C, T, 14, 14 with the frame repeated for T = 2', () => {
    assert.equal(at(0, 15), code(0, 1, 1)); // (c0, t0, py1, px1)
    assert.equal(at(0, 196), code(0, 0, 0)); // t1 repeats t0
    assert.equal(at(0, 196 + 15), code(0, 1, 1));
    assert.equal(at(0, 392), code(1, 0, 0)); // c1, t0
    assert.equal(at(0, 588 + 13 * 14 + 13), code(1, 13, 13)); // c1, t1, last pixel
    assert.equal(at(0, 784), code(2, 0, 0));
    assert.equal(at(0, 1175), code(2, 13, 13));
    assert.equal(at(5, 3 * 14 + 2), code(0, 3, 44)); // patch (0,3), py3, px2
    assert.equal(at(13, 392 + 196 + 14 * 7 + 9), code(1, 28 + 7, 42 + 9)); // window (1,1), patch (2,3), c1 t1
  });
  it('equals the view → permute(0,3,6,4,7,2,1,5,8) → reshape of the Python processor on a non-square grid', () => {
    // 84×112 (grid 1×6×8), temporal 3, merge 2: compute each element from its 9-D index.
    const cfg = { ...QWEN, temporalPatchSize: 3 };
    const h = 84;
    const w = 112;
    const frame = new Float32Array(3 * h * w).map((_, i) => (i * 7919) % 10_007);
    const out = patchify(frame, h, w, cfg);
    assert.deepEqual(out.grid, [1, 6, 8]);
    const [T, p, m] = [3, 14, 2];
    const dims = [1, 6 / m, 8 / m, m, m, 3, T, p, p]; // permuted: gt, gh/m, gw/m, m, m, C, T, p, p
    const expected: number[] = [];
    const idx = new Array<number>(9).fill(0);
    for (let n = 0; n < out.pixelValues.length; n++) {
      const [, bh, bw, mh, mw, c, , py, px] = idx as [number, number, number, number, number, number, number, number, number];
      expected.push(frame[c * h * w + ((bh * m + mh) * p + py) * w + (bw * m + mw) * p + px]!);
      for (let d = 8; d >= 0; d--) {
        if (++idx[d]! < dims[d]!) break;
        idx[d] = 0;
      }
    }
    assert.deepEqual(Array.from(out.pixelValues), expected);
  });
  it('rejects sizes that are not multiples of 28', () => {
    assert.throws(() => patchify(new Float32Array(3 * 42 * 56), 42, 56, QWEN), /not a multiple of 28/);
  });
});

describe('resizeBicubic', () => {
  const source = (w: number, h: number) => {
    const a = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) a[(y * w + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + x * y * 13) & 255;
      }
    }
    return a;
  };
  // Image.fromarray(source).resize((tw, th), Image.BICUBIC) with Pillow 12.3.
  const pillow: [number, number, number, number, string][] = [
    [6, 5, 10, 7, '002d62053a6f1f54893468a84a81c460a2da7cbbfc9bd0ffb5e96dc2f7082b5da43975bc589ed37dc489a1ba5dc2657e955aa74b80c662aa9c7ac27c78b39d90a9bbb2a2d7a7cd77acc33ed9546ba14a6f4176655d6e947b65b3b1fa1bd5a433f52a5f7b44853076af629be18ccd96b2e71cde6d3cf617602f6a524d67807d6db489af61a1b832d9536aaa5b81569e8d8ba4bdb8a1db285bab4c87a281c78b77be53809b45be6883b0458d783d83617cb858a8dc6a9fe999ce97cbff26588c581653a658ace9a672a6d80033683065155f94'],
    [6, 5, 3, 9, '0c40775592d9ace4972d69997d91ab88b79d6eb2cec08e5c4d69a4a9aa949e8b77826c76c684456789aacc8d4b78786a978675a294943e8194b8834f7386c970ae8881818079539190c88060809e7f376e'],
    [9, 7, 4, 3, '6785948b90968c8f8b827b6b809878947f7b896e957c799267a6988e70a7897d8697788b'],
  ];
  for (const [w, h, tw, th, hex] of pillow) {
    it(`matches Pillow's BICUBIC byte for byte: ${w}×${h} → ${tw}×${th}`, () => {
      assert.equal(Buffer.from(resizeBicubic(source(w, h), w, h, 3, tw, th)).toString('hex'), hex);
    });
  }
});

describe('processImage', () => {
  const solid = (width: number, height: number, background: { r: number; g: number; b: number; alpha?: number }) =>
    sharp({ create: { width, height, channels: background.alpha === undefined ? 3 : 4, background } });

  it('reproduces the GLM-OCR check case: pixel_values [1824, 1176], grid [1, 48, 38], 456 tokens', async () => {
    const png = await solid(540, 666, { r: 10, g: 200, b: 30 }).png().toBuffer();
    const r = await processImage(png, GLM, NO_LIMIT);
    assert.deepEqual([r.width, r.height], [532, 672]);
    assert.deepEqual(r.grid, [1, 48, 38]);
    assert.deepEqual([r.numPatches, r.patchDim, r.tokens], [1824, 1176, 456]);
    assert.equal(r.pixelValues.length, 1824 * 1176);
    assert.deepEqual(r.source, { width: 540, height: 666, format: 'png' });
  });

  it('normalises exactly as numpy float32 does', async () => {
    // numpy: ((u8.astype(float64) * (1/255)).astype(float32) - mean32) / std32
    const expected = [1.9303361177444458, -1.7520971298217773, 0.33994877338409424];
    for (const [w, h] of [[300, 200], [56, 56], [900, 700]] as const) {
      const r = await processImage(await solid(w, h, { r: 255, g: 0, b: 128 }).png().toBuffer(), QWEN, NO_LIMIT);
      for (let row = 0; row < r.numPatches; row += 7) {
        for (const [c, v] of expected.entries()) {
          assert.equal(r.pixelValues[row * 1176 + c * 392], v);
          assert.equal(r.pixelValues[row * 1176 + c * 392 + 196 + 195], v);
        }
      }
    }
  });

  it('skips rescaling and normalisation when the config turns them off', async () => {
    const png = await solid(56, 56, { r: 255, g: 0, b: 128 }).png().toBuffer();
    const rescaled = await processImage(png, { ...QWEN, mean: [0, 0, 0], std: [1, 1, 1] }, NO_LIMIT);
    const raw = await processImage(png, { ...QWEN, rescaleFactor: 1, mean: [0, 0, 0], std: [1, 1, 1] }, NO_LIMIT);
    // numpy: (u8.astype(float64) * (1/255)).astype(float32), and the bytes as they are
    for (const [c, v] of [1, 0, 0.501960813999176].entries()) assert.equal(rescaled.pixelValues[c * 392 + 5], v);
    for (const [c, v] of [255, 0, 128].entries()) assert.equal(raw.pixelValues[c * 392 + 5], v);
  });

  it('gives shapes consistent with the grid and values within the normalised range', async () => {
    const w = 300;
    const h = 200;
    const raw = Buffer.alloc(w * h * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i % 3) * 50) & 255;
    const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    for (const cfg of [QWEN, GLM]) {
      const r = await processImage(png, cfg, NO_LIMIT);
      assert.deepEqual([r.width, r.height], [308, 196]);
      assert.deepEqual(r.grid, [1, 14, 22]);
      assert.equal(r.numPatches, 14 * 22);
      assert.equal(r.tokens, (14 * 22) / 4);
      assert.equal(r.pixelValues.length, r.numPatches * r.patchDim);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of r.pixelValues) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      assert.ok(lo >= -1.7924 && hi <= 2.1459, `range ${lo}..${hi}`);
      assert.ok(lo < -1.5 && hi > 1.8, 'uses most of the range');
    }
  });

  it('applies the EXIF orientation before resizing', async () => {
    // Stored 200×100, left half red, right half blue; orientation 6 shows it
    // rotated 90° clockwise: 100×200, red on top, blue below.
    const raw = Buffer.alloc(200 * 100 * 3);
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 200; x++) raw.set(x < 100 ? [255, 0, 0] : [0, 0, 255], (y * 200 + x) * 3);
    }
    const jpeg = await sharp(raw, { raw: { width: 200, height: 100, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await processImage(jpeg, QWEN, NO_LIMIT);
    assert.deepEqual(r.source, { width: 100, height: 200, format: 'jpeg' });
    assert.deepEqual([r.width, r.height], [112, 196]);
    assert.deepEqual(r.grid, [1, 14, 8]);
    const channelMean = (row: number, c: number) => {
      let s = 0;
      for (let i = 0; i < 196; i++) s += r.pixelValues[row * 1176 + c * 392 + i]!;
      return s / 196;
    };
    // Row of patch (py, px) in merge-window order, grid width 8.
    const row = (py: number, px: number) => ((((py >> 1) * 4 + (px >> 1)) * 2 + (py & 1)) * 2) + (px & 1);
    assert.equal(row(13, 7), r.numPatches - 1);
    for (const px of [0, 7]) {
      assert.ok(channelMean(row(0, px), 0) > 1.8 && channelMean(row(0, px), 2) < -1.3, `top is red at column ${px}`);
      assert.ok(channelMean(row(13, px), 0) < -1.6 && channelMean(row(13, px), 2) > 2.0, `bottom is blue at column ${px}`);
    }
  });

  it('flattens transparency onto white and expands grey to RGB', async () => {
    const clear = await solid(64, 64, { r: 0, g: 0, b: 0, alpha: 0 }).png().toBuffer();
    const white = [1.9303361177444458, 2.0748836994171143, 2.1458969116210938];
    const r = await processImage(clear, QWEN, NO_LIMIT);
    for (const [c, v] of white.entries()) assert.equal(r.pixelValues[c * 392 + 100], v);

    // 70×70 → 56×56: 70/28 = 2.5 rounds to even.
    const grey = await solid(70, 70, { r: 100, g: 100, b: 100 }).toColourspace('b-w').png().toBuffer();
    const g = await processImage(grey, QWEN, NO_LIMIT);
    assert.deepEqual(g.grid, [1, 4, 4]);
    const expected = [-0.33241987228393555, -0.2513202726840973, -0.05821315571665764];
    for (const [c, v] of expected.entries()) assert.equal(g.pixelValues[15 * 1176 + c * 392 + 7], v);
  });

  it('reports decode problems and oversized inputs as FileFailures', async () => {
    await assert.rejects(processImage(Buffer.from('not an image at all'), QWEN, NO_LIMIT), (e: unknown) => {
      assert.ok(e instanceof FileFailure);
      assert.match(e.message, /not an image, or a format sharp cannot decode/);
      return true;
    });
    const jpeg = await solid(640, 480, { r: 1, g: 2, b: 3 }).jpeg().toBuffer();
    await assert.rejects(processImage(jpeg.subarray(0, jpeg.length >> 1), QWEN, NO_LIMIT), FileFailure);
    await assert.rejects(
      processImage(jpeg, QWEN, { maxInputPixels: 10_000 }),
      (e: unknown) => e instanceof FileFailure && /image too large/.test(e.message),
    );
    const strip = await solid(402, 2, { r: 0, g: 0, b: 0 }).png().toBuffer();
    await assert.rejects(
      processImage(strip, QWEN, NO_LIMIT),
      (e: unknown) => e instanceof FileFailure && /aspect ratio 201:1 .*exceeds 200/.test(e.message),
    );
  });
});

describe('ropePositions', () => {
  const QWEN_IDS = { visionStart: 151652, image: 151655, visionEnd: 151653 };
  const GLM_IDS = { begin: 59256, image: 59280, end: 59257 }; // GLM-OCR
  const qwen: RopeOptions = { family: 'qwen2_vl', imageTokenId: QWEN_IDS.image, visionStartTokenId: QWEN_IDS.visionStart, mergeSize: 2 };
  const glm: RopeOptions = { family: 'glm', imageTokenId: GLM_IDS.image, mergeSize: 2 };
  const rep = (id: number, n: number) => new Array<number>(n).fill(id);

  it('gives text the same running position on all axes', () => {
    const r = ropePositions([5, 6, 7], [], qwen);
    assert.deepEqual(r, { t: [0, 1, 2], h: [0, 1, 2], w: [0, 1, 2], delta: 0 });
  });

  it('Qwen: text, <|vision_start|>, a 2×2 merged image, <|vision_end|>, text', () => {
    const { visionStart: vs, image: im, visionEnd: ve } = QWEN_IDS;
    const ids = [1, 2, vs, ...rep(im, 4), ve, 3, 4];
    const r = ropePositions(ids, [[1, 4, 4]], qwen);
    // Image starts at 3: (t,h,w) = (3,3,3) (3,3,4) (3,4,3) (3,4,4); text resumes at 3 + 2.
    assert.deepEqual(r.t, [0, 1, 2, 3, 3, 3, 3, 5, 6, 7]);
    assert.deepEqual(r.h, [0, 1, 2, 3, 3, 4, 4, 5, 6, 7]);
    assert.deepEqual(r.w, [0, 1, 2, 3, 4, 3, 4, 5, 6, 7]);
    assert.equal(r.delta, 8 - 10);
  });

  it('GLM: the same positions for <|begin_of_image|>, a run of <|image|>, <|end_of_image|>', () => {
    const { begin, image, end } = GLM_IDS;
    const ids = [1, 2, begin, ...rep(image, 4), end, 3, 4];
    const r = ropePositions(ids, [[1, 4, 4]], glm);
    assert.deepEqual(r.t, [0, 1, 2, 3, 3, 3, 3, 5, 6, 7]);
    assert.deepEqual(r.h, [0, 1, 2, 3, 3, 4, 4, 5, 6, 7]);
    assert.deepEqual(r.w, [0, 1, 2, 3, 4, 3, 4, 5, 6, 7]);
    assert.equal(r.delta, -2);
  });

  it('two images in one row, the second 2×3 merged', () => {
    const { visionStart: vs, image: im, visionEnd: ve } = QWEN_IDS;
    const ids = [9, vs, ...rep(im, 4), ve, vs, ...rep(im, 6), ve, 9];
    const grids = [[1, 4, 4], [1, 4, 6]] as const;
    const expected = {
      // 9  vs  img1 (start 2)  ve  vs  img2 (start 6)        ve  9
      t: [0, 1, 2, 2, 2, 2, 4, 5, 6, 6, 6, 6, 6, 6, 9, 10],
      h: [0, 1, 2, 2, 3, 3, 4, 5, 6, 6, 6, 7, 7, 7, 9, 10],
      w: [0, 1, 2, 3, 2, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10],
      delta: 11 - 16,
    };
    assert.deepEqual(ropePositions(ids, grids, qwen), expected);
    const g = [9, GLM_IDS.begin, ...rep(GLM_IDS.image, 4), GLM_IDS.end, GLM_IDS.begin, ...rep(GLM_IDS.image, 6), GLM_IDS.end, 9];
    assert.deepEqual(ropePositions(g, grids, glm), expected);
  });

  it('steps t across temporal groups and resumes after the largest axis', () => {
    const { visionStart: vs, image: im } = QWEN_IDS;
    const r = ropePositions([vs, ...rep(im, 8), 7], [[2, 4, 4]], qwen);
    assert.deepEqual(r.t, [0, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
    assert.deepEqual(r.h, [0, 1, 1, 2, 2, 1, 1, 2, 2, 3]);
    assert.deepEqual(r.w, [0, 1, 2, 1, 2, 1, 2, 1, 2, 3]);
    assert.equal(r.delta, 4 - 10);
  });

  it('rejects blocks that do not match the grids', () => {
    const { visionStart: vs, image: im, visionEnd: ve } = QWEN_IDS;
    assert.throws(() => ropePositions([vs, ...rep(im, 4), ve], [], qwen), /1 image block\(s\) but 0 image grid\(s\)/);
    assert.throws(() => ropePositions([1, 2], [[1, 4, 4]], qwen), /0 image block\(s\) but 1 image grid\(s\)/);
    assert.throws(() => ropePositions([vs, ...rep(im, 5), ve], [[1, 4, 4]], qwen), /has 5 image tokens but its grid \[1, 4, 4\] needs 4/);
    assert.throws(() => ropePositions([1, ...rep(im, 4)], [[1, 4, 4]], qwen), /do not follow the vision start token/);
    assert.throws(() => ropePositions([vs, ...rep(im, 4)], [[1, 4, 4]], { ...qwen, visionStartTokenId: undefined }), /vision start token id/);
    assert.throws(() => ropePositions(rep(GLM_IDS.image, 4), [[1, 3, 4]], glm), /divisible by 2/);
  });
});
