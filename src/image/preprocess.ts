// Decodes, orients and shrinks an image to a pixel budget with sharp, and
// re-encodes it as JPEG for a server.
import type SharpType from 'sharp';
import type { Sharp } from 'sharp';
import { FileFailure } from '../support/errors.js';
import type { ImageInput, Prepared, RawImage, SourceInfo } from '../backends/backend.js';
import { cielabTiff, labToSrgb, type CielabTiff } from './cielab-tiff.js';
import { describeDecodeError, lostCause } from './decode-error.js';
import { decodeOwnError } from './sharp-gate.js';

export type { SourceInfo } from '../backends/backend.js';
// Kept here for the callers that import them from this module.
export { decodeErrorCause, describeDecodeError } from './decode-error.js';

export interface PreprocessOptions {
  /** Largest width × height sent to the model. */
  maxPixels: number;
  /** sharp's limitInputPixels: guards against decompression bombs. */
  maxInputPixels: number;
  jpegQuality: number;
}

// In config/constants.ts, so that the command line's options need not load sharp.
export { DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PIXELS } from '../config/constants.js';
export const JPEG_QUALITY = 90;
/** Vision models merge 2×2 patches of 14 px, so sides are kept multiples of 28. */
export const PATCH_FACTOR = 28;

/** Target size for a budget: keep aspect, floor to the patch factor, never upscale. */
export function fitToBudget(width: number, height: number, maxPixels: number): { width: number; height: number } {
  if (width * height <= maxPixels) return { width, height };
  const scale = Math.sqrt(maxPixels / (width * height));
  const w = Math.max(PATCH_FACTOR, Math.floor((width * scale) / PATCH_FACTOR) * PATCH_FACTOR);
  const h = Math.max(PATCH_FACTOR, Math.floor((height * scale) / PATCH_FACTOR) * PATCH_FACTOR);
  return { width: w, height: h };
}

// Loaded on first use: a fully cached run never decodes, and sharp takes ~130 ms to load.
let sharpModule: Promise<typeof SharpType> | undefined;
export const loadSharp = (): Promise<typeof SharpType> => (sharpModule ??= import('sharp').then((m) => m.default));

export interface Probe {
  /**
   * Runs `finish` on a fresh pipeline over the input (with the bomb guard and
   * strict decoding), so that a failure's reason is this file's own (see
   * sharp-gate.ts); a failure becomes a FileFailure.
   */
  decode: <T>(finish: (pipeline: Sharp) => Promise<T>) => Promise<T>;
  source: SourceInfo;
}

/**
 * Runs one sharp operation through the gate and turns its failure into a
 * FileFailure with a clean reason; `data` lets the reason name the format.
 */
export async function decodeOrFail<T>(op: () => Promise<T>, data?: Buffer, prefix = ''): Promise<T> {
  try {
    return await decodeOwnError(op, lostCause);
  } catch (error) {
    throw new FileFailure(`${prefix}${describeDecodeError(error, data)}`);
  }
}

/** Reads an image's header: refuses bombs and non-images, and gives its displayed size. */
export async function probeImage(data: ImageInput, maxInputPixels: number): Promise<Probe> {
  const sharp = await loadSharp();
  if (!Buffer.isBuffer(data)) {
    const { pixels, width, height, channels, format } = data;
    const raw = { raw: { width, height, channels }, limitInputPixels: maxInputPixels };
    return { decode: (finish) => decodeOrFail(() => finish(sharp(pixels, raw))), source: { width, height, format } };
  }
  const lab = cielabTiff(data);
  if (lab) return probeImage(await decodeCielab(sharp, lab, maxInputPixels), maxInputPixels);
  const input = { limitInputPixels: maxInputPixels, failOn: 'error' as const, sequentialRead: true };
  // The header alone, unlimited, so the size check below can name the dimensions (nothing is decoded here).
  const meta = await decodeOrFail(() => sharp(data, { ...input, limitInputPixels: false }).metadata(), data);
  if (!meta.width || !meta.height || !meta.format) throw new FileFailure('not an image sharp can read');
  refuseTooLarge(meta.width, meta.height, maxInputPixels);
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    decode: (finish) => decodeOrFail(() => finish(sharp(data, input)), data),
    source: {
      width: rotated ? meta.height : meta.width,
      height: rotated ? meta.width : meta.height,
      format: meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : 'heif') : meta.format,
    },
  };
}

/** The bomb guard, from the header's size, before anything is decoded. */
function refuseTooLarge(width: number, height: number, maxInputPixels: number): void {
  if (width * height > maxInputPixels) {
    throw new FileFailure(`image too large: ${width}×${height} pixels exceeds --max-input-pixels ${maxInputPixels}`);
  }
}

/** An 8-bit CIELab TIFF, decoded as its bytes and converted to sRGB (see cielab-tiff.ts). */
async function decodeCielab(sharp: typeof SharpType, lab: CielabTiff, maxInputPixels: number): Promise<RawImage> {
  // Its ICC profile, if any, describes Lab, not the RGB the file now claims.
  const input = { failOn: 'error' as const, ignoreIcc: true, limitInputPixels: false as const };
  const meta = await decodeOrFail(() => sharp(lab.asRgb, input).metadata(), lab.asRgb);
  const [width, height] = (meta.orientation ?? 1) >= 5 ? [meta.height ?? 0, meta.width ?? 0] : [meta.width ?? 0, meta.height ?? 0];
  refuseTooLarge(width, height, maxInputPixels);
  const { data: pixels, info } = await decodeOrFail(
    () => sharp(lab.asRgb, input).rotate().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    lab.asRgb,
  );
  if (info.channels !== 3 && info.channels !== 4) {
    throw new FileFailure(`cannot decode image: a CIELab TIFF with ${info.channels} bands (expected L*a*b*, and alpha at most)`);
  }
  labToSrgb(pixels, info.channels, lab.offsetAB);
  return { kind: 'raw', pixels, width: info.width, height: info.height, channels: info.channels, format: 'tiff' };
}

export async function preprocess(data: ImageInput, options: PreprocessOptions): Promise<Prepared> {
  const { decode, source } = await probeImage(data, options.maxInputPixels);
  const target = fitToBudget(source.width, source.height, options.maxPixels);
  const { data: out, info } = await decode((pipeline) =>
    pipeline
      .rotate() // EXIF auto-orient
      .resize(target.width, target.height, { fit: 'fill', fastShrinkOnLoad: true })
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: options.jpegQuality, mozjpeg: false })
      .toBuffer({ resolveWithObject: true }));
  return { source, image: { kind: 'encoded', data: out, mime: 'image/jpeg', width: info.width, height: info.height } };
}
