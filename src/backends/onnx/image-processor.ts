// Turns an image into what a Qwen2-VL / GLM-V vision encoder takes: the Python
// Hugging Face image processors (Qwen2VLImageProcessor, Glm4vImageProcessor),
// redone with sharp and plain loops.
import { FileFailure, UsageError } from '../../support/errors.js';
import { probeImage } from '../../image/preprocess.js';
import type { ImageInput, PatchImage, SourceInfo } from '../backend.js';
import type { Family } from '../../models/model-dir.js';

export type { Family };

export interface VisionConfig {
  patchSize: number;
  mergeSize: number;
  temporalPatchSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Pixel budget bounds as the family's smart_resize counts them (GLM: t·h·w). */
  minPixels: number;
  maxPixels: number;
  /** GLM counts the temporal factor in its pixel budget */
  family: Family;
}

/** Patches for the vision encoder, with the original image's facts. */
export interface ProcessedImage extends Omit<PatchImage, 'kind' | 'ref'> {
  /** [numPatches, patchDim], row-major. */
  pixelValues: Float32Array;
  source: SourceInfo;
}

const MAX_ASPECT_RATIO = 200;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Reads the fields smart_resize and patchify need from preprocessor_config.json. */
export function visionConfigFrom(preprocessorConfig: unknown, family: Family, file: string): VisionConfig {
  if (!isObject(preprocessorConfig)) throw new UsageError(`${file}: not a JSON object`);
  const c = preprocessorConfig;
  const size = isObject(c.size) ? c.size : {};
  const int = (key: string): number => {
    const v = positiveInt(c[key]);
    if (v === undefined) {
      throw new UsageError(`${file}: "${key}" is ${c[key] === undefined ? 'missing' : 'not a positive integer'}`);
    }
    return v;
  };
  const triple = (key: string, positive: boolean): [number, number, number] => {
    const v = c[key];
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ) {
      throw new UsageError(
        `${file}: "${key}" is ${v === undefined ? 'missing' : `not a list of 3 ${positive ? 'positive ' : ''}numbers`}`,
      );
    }
    return [v[0], v[1], v[2]] as [number, number, number];
  };
  // Qwen's top-level min_pixels/max_pixels override `size` (as in the Python
  // constructor); GLM's processor reads only `size`, so there size wins.
  const candidates = (top: string, sizeKeys: string[]): [string, unknown][] => {
    const fromSize = sizeKeys.map((k): [string, unknown] => [`size.${k}`, size[k]]);
    const fromTop: [string, unknown] = [top, c[top]];
    return family === 'qwen2_vl' ? [fromTop, ...fromSize] : [...fromSize, fromTop];
  };
  const budget = (top: string, sizeKeys: string[]): number => {
    const found = candidates(top, sizeKeys).find(([, v]) => v !== undefined && v !== null);
    if (!found) {
      const names = family === 'glm' ? `"size.${sizeKeys[0]}" (or "${top}")` : `"${top}" (or "size.${sizeKeys[0]}")`;
      throw new UsageError(`${file}: ${names} is missing`);
    }
    const v = positiveInt(found[1]);
    if (v === undefined) throw new UsageError(`${file}: "${found[0]}" is not a positive integer`);
    return v;
  };
  const minPixels = budget('min_pixels', ['shortest_edge', 'min_pixels']);
  const maxPixels = budget('max_pixels', ['longest_edge', 'max_pixels']);
  if (minPixels > maxPixels) throw new UsageError(`${file}: the minimum pixel budget ${minPixels} exceeds the maximum ${maxPixels}`);
  return {
    patchSize: int('patch_size'),
    mergeSize: int('merge_size'),
    temporalPatchSize: int('temporal_patch_size'),
    mean: triple('image_mean', false),
    std: triple('image_std', true),
    minPixels,
    maxPixels,
    family,
  };
}

/**
 * Caps the pixel budget at --max-pixels, given as width × height. GLM's
 * smart_resize budgets temporal_patch_size × h × w (t = 2 for a still image),
 * so the cap is scaled by t there: either way the resized h × w stays ≤ maxPixels.
 */
export function withMaxPixels(cfg: VisionConfig, maxPixels: number | undefined): VisionConfig {
  if (maxPixels === undefined) return cfg;
  if (!Number.isFinite(maxPixels) || maxPixels <= 0) {
    throw new UsageError(`--max-pixels must be a positive number, got ${maxPixels}`);
  }
  const cap = Math.floor(maxPixels) * (cfg.family === 'glm' ? cfg.temporalPatchSize : 1);
  const max = Math.min(cfg.maxPixels, cap);
  return { ...cfg, maxPixels: max, minPixels: Math.min(cfg.minPixels, max) };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The target size, replaying the Python float math step by step (IEEE doubles
 * give the same results in JS). Sides are multiples of patch × merge.
 */
export function smartResize(height: number, width: number, cfg: VisionConfig): { height: number; width: number } {
  if (!(height >= 1 && width >= 1)) throw new FileFailure(`image has no pixels: ${width}×${height}`);
  const factor = cfg.patchSize * cfg.mergeSize;
  let h = height;
  let w = width;
  // GLM counts t·h·w with t = temporal_patch_size; Qwen counts h·w.
  const t = cfg.family === 'glm' ? cfg.temporalPatchSize : 1;
  if (cfg.family === 'glm' && (h < factor || w < factor)) {
    const scale = Math.max(factor / h, factor / w);
    h = Math.trunc(h * scale);
    w = Math.trunc(w * scale);
  }
  // Qwen's Python raises for a side < factor; we let the min_pixels branch scale it up.
  const ratio = Math.max(h, w) / Math.min(h, w);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new FileFailure(
      `aspect ratio ${Number(ratio.toFixed(1))}:1 (${width}×${height}) exceeds ${MAX_ASPECT_RATIO}; the model cannot take it`,
    );
  }
  let hBar = roundHalfEven(h / factor) * factor;
  let wBar = roundHalfEven(w / factor) * factor;
  if (t * hBar * wBar > cfg.maxPixels) {
    const beta = Math.sqrt((t * h * w) / cfg.maxPixels);
    hBar = Math.floor(h / beta / factor) * factor;
    wBar = Math.floor(w / beta / factor) * factor;
  } else if (t * hBar * wBar < cfg.minPixels) {
    const beta = Math.sqrt(cfg.minPixels / (t * h * w));
    hBar = Math.ceil((h * beta) / factor) * factor;
    wBar = Math.ceil((w * beta) / factor) * factor;
  }
  // GLM clamps to one factor; Qwen's Python could return 0 here and fail later.
  return { height: Math.max(factor, hBar), width: Math.max(factor, wBar) };
}

/**
 * Channel-first frame → patches in 2×2 merge-window order, the frame repeated
 * temporal_patch_size times. Equals the Python view
 * (gt, T, C, gh/m, m, p, gw/m, m, p) → permute (0,3,6,4,7,2,1,5,8) → (gt·gh·gw, C·T·p·p).
 */
export function patchify(
  chw: Float32Array,
  height: number,
  width: number,
  cfg: VisionConfig,
): { pixelValues: Float32Array; grid: [number, number, number] } {
  const p = cfg.patchSize;
  const m = cfg.mergeSize;
  const T = cfg.temporalPatchSize;
  const plane = height * width;
  const channels = plane > 0 ? chw.length / plane : 0;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`patchify: ${chw.length} values do not fill ${width}×${height} planes`);
  }
  if (height % (p * m) !== 0 || width % (p * m) !== 0) {
    throw new Error(`patchify: ${width}×${height} is not a multiple of ${p * m} on both sides`);
  }
  const gh = height / p;
  const gw = width / p;
  const patchDim = channels * T * p * p;
  const out = new Float32Array(gh * gw * patchDim);
  let o = 0;
  for (let bh = 0; bh < gh / m; bh++) {
    for (let bw = 0; bw < gw / m; bw++) {
      for (let mh = 0; mh < m; mh++) {
        const y0 = (bh * m + mh) * p;
        for (let mw = 0; mw < m; mw++) {
          const x0 = (bw * m + mw) * p;
          for (let c = 0; c < channels; c++) {
            const start = o;
            const src0 = c * plane + y0 * width + x0;
            for (let py = 0; py < p; py++) {
              const src = src0 + py * width;
              for (let px = 0; px < p; px++) out[o++] = chw[src + px]!;
            }
            // The other temporal slots repeat the frame.
            for (let t = 1; t < T; t++) {
              out.copyWithin(o, start, start + p * p);
              o += p * p;
            }
          }
        }
      }
    }
  }
  return { pixelValues: out, grid: [1, gh, gw] };
}

// Loaded on first use, like src/preprocess.ts: sharp takes ~130 ms to load.

// Pillow's BICUBIC for 8-bit images: Keys cubic with a = −0.5, support widened
// by the scale when shrinking, 22-bit fixed-point weights, horizontal pass first
// into an 8-bit buffer. Matching its rounding makes the output byte-identical.
const PRECISION_BITS = 22;

function cubicWeight(x: number): number {
  const a = -0.5;
  const d = Math.abs(x);
  if (d < 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return (((d - 5) * d + 8) * d - 4) * a;
  return 0;
}

interface Taps {
  /** first source index and tap count per output index */
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  ksize: number;
}

function bicubicTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += w[i] = cubicWeight((i + lo - center + 0.5) * ss);
    for (let i = 0; i < n; i++) {
      const k = (sum !== 0 ? w[i]! / sum : w[i]!) * (1 << PRECISION_BITS);
      weights[o * ksize + i] = Math.trunc(k < 0 ? k - 0.5 : k + 0.5);
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, ksize };
}

const clip8 = (v: number): number => {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
};

/** Resizes packed 8-bit pixels exactly as Pillow's Image.resize(size, BICUBIC) does. */
export function resizeBicubic(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  const half = 1 << (PRECISION_BITS - 1);
  let rows = src;
  let rowOffset = 0;
  let rowCount = height;
  const v = outHeight !== height ? bicubicTaps(height, outHeight) : undefined;
  if (outWidth !== width) {
    const h = bicubicTaps(width, outWidth);
    // Only the source rows the vertical pass reads.
    if (v) {
      rowOffset = v.first[0]!;
      rowCount = v.first[outHeight - 1]! + v.count[outHeight - 1]! - rowOffset;
    }
    const stride = outWidth * channels;
    const tmp = new Uint8Array(rowCount * stride);
    const { first, count, weights, ksize } = h;
    for (let y = 0; y < rowCount; y++) {
      const srcRow = (y + rowOffset) * width * channels;
      let d = y * stride;
      for (let o = 0; o < outWidth; o++) {
        const n = count[o]!;
        const k0 = o * ksize;
        const s0 = srcRow + first[o]! * channels;
        if (channels === 3) {
          let r = half;
          let g = half;
          let b = half;
          for (let i = 0, s = s0; i < n; i++, s += 3) {
            const k = weights[k0 + i]!;
            r += src[s]! * k;
            g += src[s + 1]! * k;
            b += src[s + 2]! * k;
          }
          tmp[d++] = clip8(r);
          tmp[d++] = clip8(g);
          tmp[d++] = clip8(b);
        } else {
          for (let c = 0; c < channels; c++) {
            let acc = half;
            for (let i = 0, s = s0 + c; i < n; i++, s += channels) acc += src[s]! * weights[k0 + i]!;
            tmp[d++] = clip8(acc);
          }
        }
      }
    }
    rows = tmp;
  }
  if (!v) return rows;
  const stride = outWidth * channels;
  const out = new Uint8Array(outHeight * stride);
  const acc = new Float64Array(stride);
  for (let o = 0; o < outHeight; o++) {
    acc.fill(half);
    const lo = v.first[o]! - rowOffset;
    const k0 = o * v.ksize;
    for (let i = 0; i < v.count[o]!; i++) {
      const k = v.weights[k0 + i]!;
      const r = (lo + i) * stride;
      for (let x = 0; x < stride; x++) acc[x] = acc[x]! + rows[r + x]! * k;
    }
    for (let x = 0; x < stride; x++) out[o * stride + x] = clip8(acc[x]!);
  }
  return out;
}

/**
 * 256-entry table per channel of normalised values, rounded like the Python
 * float32 path: rescale in float64 then cast, (x − mean) / std in float32.
 */
function normaliseTables(cfg: VisionConfig): Float32Array[] {
  const f = Math.fround;
  return [0, 1, 2].map((c) => {
    const mean = f(cfg.mean[c]!);
    const std = f(cfg.std[c]!);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f(f(f(v * (1 / 255)) - mean) / std);
    return table;
  });
}

/**
 * Decodes, orients, flattens and resizes an image to smartResize's size, then
 * normalises and patchifies it.
 *
 * Resampling follows PIL's BICUBIC. When the image grows on either axis it is
 * decoded at full size and resized by resizeBicubic (byte-identical to Pillow);
 * libvips' upsizing sits about half a pixel off PIL's. When it only shrinks,
 * sharp's 'cubic' kernel (the same Catmull-Rom cubic) does it far faster, within
 * a level or two of PIL (libvips box-shrinks large factors first, and JPEGs
 * may shrink in the DCT on load). sharp also applies embedded ICC profiles,
 * which PIL's convert('RGB') ignores.
 */
export async function processImage(
  data: ImageInput,
  cfg: VisionConfig,
  options: { maxInputPixels: number },
): Promise<ProcessedImage> {
  const { decode, source } = await probeImage(data, options.maxInputPixels);
  const target = smartResize(source.height, source.width, cfg);

  const grows = target.width > source.width || target.height > source.height;
  const { data: raw, info } = await decode((image) => {
    let pipeline = image
      .rotate() // EXIF auto-orient, as transformers' load_image does
      .flatten({ background: '#ffffff' }); // convert_to_rgb composites on white
    if (!grows) {
      pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false });
    }
    return pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  });
  let pixels: Uint8Array = raw;
  const channels = info.channels;
  let size = { width: info.width, height: info.height };
  if (grows) {
    pixels = resizeBicubic(pixels, size.width, size.height, channels, target.width, target.height);
    size = target;
  }
  if (size.width !== target.width || size.height !== target.height) {
    throw new FileFailure(
      `cannot decode image: got ${size.width}×${size.height} pixels, expected ${target.width}×${target.height}`,
    );
  }

  const plane = target.width * target.height;
  const chw = new Float32Array(3 * plane);
  const tables = normaliseTables(cfg);
  for (let c = 0; c < 3; c++) {
    const table = tables[c]!;
    // A single remaining band is grey: repeat it.
    const band = channels >= 3 ? c : 0;
    const offset = c * plane;
    for (let i = 0, j = band; i < plane; i++, j += channels) chw[offset + i] = table[pixels[j]!]!;
  }
  const { pixelValues, grid } = patchify(chw, target.height, target.width, cfg);
  const numPatches = grid[0] * grid[1] * grid[2];
  return {
    pixelValues,
    numPatches,
    patchDim: pixelValues.length / numPatches,
    grid,
    tokens: numPatches / (cfg.mergeSize * cfg.mergeSize),
    width: target.width,
    height: target.height,
    source,
  };
}
