// Decodes, orients and shrinks an image to a pixel budget with sharp, and
// re-encodes it as JPEG for a server.
import type SharpType from 'sharp';
import type { Sharp } from 'sharp';
import { FileFailure } from './errors.js';
import type { ImageInput, Prepared, SourceInfo } from './backends/backend.js';

export type { SourceInfo } from './backends/backend.js';

export interface PreprocessOptions {
  /** Largest width × height sent to the model. */
  maxPixels: number;
  /** sharp's limitInputPixels: guards against decompression bombs. */
  maxInputPixels: number;
  jpegQuality: number;
}

export const DEFAULT_MAX_PIXELS = 1_003_520; // 1280 merged 28-px patches
export const DEFAULT_MAX_INPUT_PIXELS = 268_402_689; // sharp's own default (0x3FFF × 0x3FFF)
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
  sharp: typeof SharpType;
  /** A pipeline over the input, with the bomb guard and strict decoding. */
  open: () => Sharp;
  source: SourceInfo;
}

/** Reads an image's header: refuses bombs and non-images, and gives its displayed size. */
export async function probeImage(data: ImageInput, maxInputPixels: number): Promise<Probe> {
  const sharp = await loadSharp();
  if (!Buffer.isBuffer(data)) {
    const { pixels, width, height, channels, format } = data;
    const raw = { raw: { width, height, channels }, limitInputPixels: maxInputPixels };
    return { sharp, open: () => sharp(pixels, raw), source: { width, height, format } };
  }
  const input = { limitInputPixels: maxInputPixels, failOn: 'error' as const, sequentialRead: true };
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    // The header alone, unlimited, so the size check below can name the dimensions (nothing is decoded here).
    meta = await sharp(data, { ...input, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new FileFailure(describeDecodeError(error));
  }
  if (!meta.width || !meta.height || !meta.format) throw new FileFailure('not an image sharp can read');
  if (meta.width * meta.height > maxInputPixels) {
    throw new FileFailure(`image too large: ${meta.width}×${meta.height} pixels exceeds --max-input-pixels ${maxInputPixels}`);
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    sharp,
    open: () => sharp(data, input),
    source: {
      width: rotated ? meta.height : meta.width,
      height: rotated ? meta.width : meta.height,
      format: meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : 'heif') : meta.format,
    },
  };
}

export async function preprocess(data: ImageInput, options: PreprocessOptions): Promise<Prepared> {
  const { open, source } = await probeImage(data, options.maxInputPixels);
  const target = fitToBudget(source.width, source.height, options.maxPixels);
  try {
    const { data: out, info } = await open()
      .rotate() // EXIF auto-orient
      .resize(target.width, target.height, { fit: 'fill', fastShrinkOnLoad: true })
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: options.jpegQuality, mozjpeg: false })
      .toBuffer({ resolveWithObject: true });
    return { source, image: { kind: 'encoded', data: out, mime: 'image/jpeg', width: info.width, height: info.height } };
  } catch (error) {
    throw new FileFailure(describeDecodeError(error));
  }
}

/** The line of a sharp error naming the cause ('' when there is none). */
export function decodeErrorCause(error: unknown): string {
  // libvips prefixes the cause with read-retry noise ("source: bad seek to 1024"); the cause is the last line.
  const lines = String((error as Error).message ?? error).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^source: bad seek/.test(l));
  return lines.at(-1) ?? '';
}

/** A one-line reason for a decode failure, shared by every image path. */
export function describeDecodeError(error: unknown): string {
  const message = decodeErrorCause(error);
  if (/compression format has not been built in: HEVC/i.test(message)) {
    return 'HEIC (HEVC) images cannot be decoded by the prebuilt sharp: convert them to JPEG, or see glm-vision doctor';
  }
  if (/unsupported image format/i.test(message)) return 'not an image, or a format sharp cannot decode';
  if (/pixel limit/i.test(message)) return `image too large: ${message}`;
  if (/premature end|truncated|unexpected end|Invalid SOS|VipsJpeg|read error|Input buffer/i.test(message)) {
    return `corrupt or truncated image: ${message}`;
  }
  return `cannot decode image: ${message}`;
}
