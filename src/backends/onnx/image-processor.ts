// Turns an image into what a Qwen2-VL / GLM-V vision encoder takes: the Python
// Hugging Face image processors (Qwen2VLImageProcessor, Glm4vImageProcessor),
// redone with sharp and plain loops.
import { probeImage } from '../../image/preprocess.js';
import type { ImageInput, PatchImage, SourceInfo } from '../backend.js';
import type { VisionConfig } from './vision-config.js';
import { patchify, smartResize } from './patches.js';
import { decodeResized } from './resample.js';

// The tests and the bench import these from here.
export { visionConfigFrom, withMaxPixels, type Family, type VisionConfig } from './vision-config.js';
export { patchify, smartResize } from './patches.js';
export { resizeBicubic } from './resize-bicubic.js';
export { decodeResized, preShrinkSize, PRE_SHRINK } from './resample.js';

/** Patches for the vision encoder, with the original image's facts. */
export interface ProcessedImage extends Omit<PatchImage, 'kind' | 'ref'> {
  /** [numPatches, patchDim], row-major. */
  pixelValues: Float32Array;
  source: SourceInfo;
}

/**
 * 256-entry table per channel of normalised values, rounded like the Python
 * float32 path: rescale in float64 then cast, (x − mean) / std in float32.
 * do_rescale false is a factor of 1, do_normalize false a mean of 0 and std of 1.
 */
function normaliseTables(cfg: VisionConfig): Float32Array[] {
  const f = Math.fround;
  return [0, 1, 2].map((c) => {
    const mean = f(cfg.mean[c]!);
    const std = f(cfg.std[c]!);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f(f(f(v * cfg.rescaleFactor) - mean) / std);
    return table;
  });
}

/**
 * Decodes, orients, flattens and resizes an image to smartResize's size (see
 * resample.ts for how close to PIL), then rescales, normalises and patchifies it.
 * sharp also applies embedded ICC profiles, which PIL's convert('RGB') ignores.
 */
export async function processImage(
  data: ImageInput,
  cfg: VisionConfig,
  options: { maxInputPixels: number },
): Promise<ProcessedImage> {
  const probe = await probeImage(data, options.maxInputPixels);
  const { source } = probe;
  const target = smartResize(source.height, source.width, cfg);
  const { pixels, channels } = await decodeResized(probe, target);

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
