// 8-bit CIELab TIFFs (PhotometricInterpretation 8 or 9). libvips packs 8-bit
// CIELab into its LabQ coding and then rejects the image ("image: bad labq
// format"; with an alpha band it loses the alpha). So the file is relabelled as
// RGB, which libvips reads through libtiff as plain bytes (any compression,
// strips or tiles), and the L*a*b* bytes are converted to sRGB here, with the
// D65 white point libvips and ImageMagick use.
import { tiffOrder } from './tiff-order.js';

const PHOTOMETRIC = 262;
const BITS_PER_SAMPLE = 258;
const CIELAB = 8; // a*, b* signed
const ICCLAB = 9; // a*, b* offset by 128
const RGB = 2;

export interface CielabTiff {
  /** The file with its first image's PhotometricInterpretation set to RGB. */
  asRgb: Buffer;
  /** True when a* and b* are stored with an offset of 128 (ICCLab) rather than signed. */
  offsetAB: boolean;
}

/** The relabelled file when the first image is 8-bit CIELab; undefined for anything else. */
export function cielabTiff(data: Buffer): CielabTiff | undefined {
  const read = data.length < 16 ? undefined : tiffOrder(data);
  if (!read) return undefined;
  const { le, u16, u32, u64 } = read;
  const version = u16(2);
  const big = version === 43;
  if (version !== 42 && !big) return undefined;
  const ifd = big ? u64(8) : u32(4);
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  if (!Number.isSafeInteger(ifd) || ifd + countSize > data.length) return undefined;
  const count = big ? u64(ifd) : u16(ifd);
  let photometricAt: number | undefined;
  let photometric: number | undefined;
  let bits: number | undefined;
  for (let i = 0; i < count; i++) {
    const entry = ifd + countSize + i * entrySize;
    if (entry + entrySize > data.length) return undefined;
    const tag = u16(entry);
    const type = u16(entry + 2);
    // SHORT values sit inline at the start of the value field; 8 bits per sample is the same for every sample.
    const value = big ? entry + 12 : entry + 8;
    if (type !== 3) continue;
    if (tag === PHOTOMETRIC) {
      photometricAt = value;
      photometric = u16(value);
    } else if (tag === BITS_PER_SAMPLE) {
      const n = big ? u64(entry + 4) : u32(entry + 4);
      const inline = n * 2 <= (big ? 8 : 4);
      const at = inline ? value : big ? u64(value) : u32(value);
      if (at + 2 <= data.length) bits = u16(at);
    }
  }
  if (photometricAt === undefined || (photometric !== CIELAB && photometric !== ICCLAB) || bits !== 8) return undefined;
  const asRgb = Buffer.from(data);
  if (le) asRgb.writeUInt16LE(RGB, photometricAt);
  else asRgb.writeUInt16BE(RGB, photometricAt);
  return { asRgb, offsetAB: photometric === ICCLAB };
}

// D65 reference white, as libvips' Lab2XYZ defaults to.
const WHITE = [0.95047, 1, 1.08883] as const;

function labInverse(t: number): number {
  return t > 6 / 29 ? t * t * t : 3 * (6 / 29) ** 2 * (t - 4 / 29);
}

function encodeSrgb(linear: number): number {
  const c = Math.min(1, Math.max(0, linear));
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(v * 255);
}

/**
 * Converts 8-bit L*a*b* pixels (L* as 0..255 for 0..100) to sRGB in place;
 * bands after the third (alpha) are left as they are.
 */
export function labToSrgb(pixels: Uint8Array, channels: number, offsetAB: boolean): void {
  if (channels < 3) throw new Error(`labToSrgb: ${channels} bands, expected L*, a* and b*`);
  const signed = (v: number): number => (offsetAB ? v - 128 : v > 127 ? v - 256 : v);
  for (let i = 0; i + 2 < pixels.length; i += channels) {
    const L = (pixels[i]! * 100) / 255;
    const fy = (L + 16) / 116;
    const fx = fy + signed(pixels[i + 1]!) / 500;
    const fz = fy - signed(pixels[i + 2]!) / 200;
    const x = WHITE[0] * labInverse(fx);
    const y = WHITE[1] * labInverse(fy);
    const z = WHITE[2] * labInverse(fz);
    pixels[i] = encodeSrgb(3.2404542 * x - 1.5371385 * y - 0.4985314 * z);
    pixels[i + 1] = encodeSrgb(-0.969266 * x + 1.8760108 * y + 0.041556 * z);
    pixels[i + 2] = encodeSrgb(0.0556434 * x - 0.2040259 * y + 1.0572252 * z);
  }
}
