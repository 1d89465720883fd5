// Turns an image into what a Qwen2-VL / GLM-V vision encoder takes: the Python
// Hugging Face image processors (Qwen2VLImageProcessor, Glm4vImageProcessor),
// redone with sharp and plain loops.
import { FileFailure } from '../../support/errors.js';
import { probeImage } from '../../image/preprocess.js';
import type { ImageInput, PatchImage, SourceInfo } from '../backend.js';
import type { VisionConfig } from './vision-config.js';
import { patchify, smartResize } from './patches.js';
import { resizeBicubic } from './resize-bicubic.js';

// The tests and the bench import these from here.
export { visionConfigFrom, withMaxPixels, type Family, type VisionConfig } from './vision-config.js';
export { patchify, smartResize } from './patches.js';
export { resizeBicubic } from './resize-bicubic.js';

/** Patches for the vision encoder, with the original image's facts. */
export interface ProcessedImage extends Omit<PatchImage, 'kind' | 'ref'> {
  /** [numPatches, patchDim], row-major. */
  pixelValues: Float32Array;
  source: SourceInfo;
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
