// Multi-page TIFF scans, a page at a time, with sharp.
import { createHash } from 'node:crypto';
import type { RawImage } from '../backends/backend.js';
import { FileFailure } from '../support/errors.js';
import { decodeOrFail, fitToBudget, loadSharp } from '../image/preprocess.js';
import { shared } from '../image/sharp-gate.js';
import type { PageImage } from './document.js';

/** The TIFF signatures: II*\0, MM\0*, and BigTIFF's II+\0 and MM\0+. */
export function isTiff(data: Buffer): boolean {
  const head = data.subarray(0, 4).toString('latin1');
  return head === 'II*\0' || head === 'MM\0*' || head === 'II+\0' || head === 'MM\0+';
}

/**
 * The number of pages; 1 for a file sharp cannot read (it then fails as an
 * image), and for one picture stored with smaller copies of itself: a pyramid
 * (each image half the one before) or a single thumbnail (a quarter or less,
 * same shape). Those copies are not pages.
 */
export async function tiffPageCount(data: Buffer): Promise<number> {
  const sharp = await loadSharp();
  let pages: number;
  try {
    // Through the gate, though its errors are ignored: its runs clear libvips' error buffer (see sharp-gate.ts).
    pages = (await shared(() => sharp(data, { limitInputPixels: false }).metadata())).pages ?? 1;
  } catch {
    return 1;
  }
  if (pages < 2 || pages > 16) return pages;
  try {
    const sizes = await Promise.all(Array.from({ length: pages }, async (_, page) => {
      const m = await shared(() => sharp(data, { page, limitInputPixels: false }).metadata());
      return { w: m.width ?? 0, h: m.height ?? 0 };
    }));
    const half = (a: number, b: number): boolean => a === Math.floor(b / 2) || a === Math.ceil(b / 2);
    const pyramid = sizes.every((s, i) => i === 0 || (half(s.w, sizes[i - 1]!.w) && half(s.h, sizes[i - 1]!.h)));
    const [first, second] = sizes as [{ w: number; h: number }, { w: number; h: number }];
    const thumbnail = pages === 2 && second.w * 4 <= first.w && Math.abs(second.w / second.h / (first.w / first.h) - 1) < 0.02;
    return pyramid || thumbnail ? 1 : pages;
  } catch {
    return pages;
  }
}

export async function renderTiffPage(
  data: Buffer, page: number, options: { maxPixels: number; maxInputPixels: number },
): Promise<PageImage> {
  const sharp = await loadSharp();
  const input = { page: page - 1, limitInputPixels: options.maxInputPixels, failOn: 'error' as const };
  const prefix = `page ${page}: `;
  const meta = await decodeOrFail(() => sharp(data, { ...input, limitInputPixels: false }).metadata(), data, prefix);
  const rotated = (meta.orientation ?? 1) >= 5;
  const fullWidth = (rotated ? meta.height : meta.width) ?? 0;
  const fullHeight = (rotated ? meta.width : meta.height) ?? 0;
  if (fullWidth * fullHeight > options.maxInputPixels) {
    throw new FileFailure(
      `page ${page} is too large: ${fullWidth}×${fullHeight} pixels exceeds --max-input-pixels ${options.maxInputPixels}`,
    );
  }
  const target = fitToBudget(fullWidth, fullHeight, options.maxPixels);
  const { data: pixels, info } = await decodeOrFail(
    () => sharp(data, input)
      .rotate()
      .resize(target.width, target.height, { fit: 'fill' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
    data,
    prefix,
  );
  const channels = info.channels as RawImage['channels'];
  return {
    image: { kind: 'raw', pixels, width: info.width, height: info.height, channels, format: 'tiff' },
    fullWidth,
    fullHeight,
    pixelHash: createHash('sha256').update(`${info.width}x${info.height}x${channels}\n`).update(pixels).digest('hex'),
    text: '',
  };
}
