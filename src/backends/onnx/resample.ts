// An image decoded, oriented, flattened and resized the way the Python image
// processors resize: PIL's Image.resize(size, BICUBIC), no reducing_gap.
import { FileFailure } from '../../support/errors.js';
import type { Probe } from '../../image/preprocess.js';
import { resizeBicubic } from './resize-bicubic.js';

export interface Size {
  width: number;
  height: number;
}

/**
 * How much bigger than the target sharp may leave an image before resizeBicubic
 * finishes it. resizeBicubic is Pillow's arithmetic, but in JavaScript it costs
 * about 12 multiply-adds per source pixel: 635 ms on a 12 MP photo where sharp
 * takes 75. Measured against Pillow (test/onnx-resample.test.ts, 60 images):
 * byte-identical when no side shrinks more than 4×; beyond that, sharp's cubic
 * down to 4× the target, then resizeBicubic, is at most 4 levels off (sharp's
 * cubic alone: up to 25), 230 ms on that photo (npm run bench -- --only resize).
 * Stopping sharp at 2× was no closer to Pillow than sharp alone.
 */
export const PRE_SHRINK = 4;

/** Where the sharp pass stops: the source itself on a side within `preShrink` times the target. */
export function preShrinkSize(source: Size, target: Size, preShrink = PRE_SHRINK): Size {
  return {
    width: Math.min(source.width, preShrink * target.width),
    height: Math.min(source.height, preShrink * target.height),
  };
}

/** Packed 8-bit pixels at `target`, 1-4 bands (a grey image stays grey, alpha is flattened away). */
export async function decodeResized(
  probe: Probe,
  target: Size,
  preShrink = PRE_SHRINK,
): Promise<{ pixels: Uint8Array; channels: number }> {
  const { source } = probe;
  const mid = preShrinkSize(source, target, preShrink);
  const { data, info } = await probe.decode((image) => {
    let pipeline = image
      .rotate() // EXIF auto-orient, as transformers' load_image does
      .flatten({ background: '#ffffff' }); // convert_to_rgb composites on white
    if (mid.width < source.width || mid.height < source.height) {
      pipeline = pipeline.resize(mid.width, mid.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false });
    }
    return pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  });
  if (info.width !== mid.width || info.height !== mid.height) {
    throw new FileFailure(`cannot decode image: got ${info.width}×${info.height} pixels, expected ${mid.width}×${mid.height}`);
  }
  const pixels = resizeBicubic(data, mid.width, mid.height, info.channels, target.width, target.height);
  return { pixels, channels: info.channels };
}
