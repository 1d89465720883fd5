import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';

type Sharp = ReturnType<typeof sharp>;

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'avif';

export interface MakeImageOptions {
  width: number;
  height: number;
  format?: ImageFormat;
  seed?: number;
  quality?: number;
}

/** Small, fast, seedable PRNG (mulberry32) so fixtures are byte-for-byte reproducible. */
function prng(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Raw RGB pixels: seeded diagonal gradient plus a few solid rectangles, optionally
 * with per-pixel noise (noise makes JPEG sizes photo-like).
 */
function rawPixels(width: number, height: number, seed: number, noise = 0): Buffer {
  const rnd = prng(seed);
  const buf = Buffer.alloc(width * height * 3);
  // Clamped view does the 0..255 saturation for free in the hot loop.
  const px = new Uint8ClampedArray(buf.buffer, buf.byteOffset, buf.length);
  const base = [30 + rnd() * 195, 30 + rnd() * 195, 30 + rnd() * 195] as const;
  const span = () => (rnd() * 2 - 1) * 120; // total change across the image
  const dx = [span() / Math.max(1, width), span() / Math.max(1, width), span() / Math.max(1, width)] as const;
  const dy = [span() / Math.max(1, height), span() / Math.max(1, height), span() / Math.max(1, height)] as const;

  // A prime-length noise table is far faster than a PRNG call per byte (12 MP = 36M bytes).
  const N = 65521;
  const table = new Int16Array(N + 3);
  if (noise > 0) for (let i = 0; i < table.length; i++) table[i] = Math.floor(rnd() * (2 * noise + 1)) - noise;
  let k = Math.floor(rnd() * N);

  for (let y = 0; y < height; y++) {
    let r = base[0] + dy[0] * y;
    let g = base[1] + dy[1] * y;
    let b = base[2] + dy[2] * y;
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const i = row + x * 3;
      px[i] = r + table[k]!;
      px[i + 1] = g + table[k + 1]!;
      px[i + 2] = b + table[k + 2]!;
      k += 3;
      if (k >= N) k -= N;
      r += dx[0];
      g += dx[1];
      b += dx[2];
    }
  }

  const rects = 3 + Math.floor(rnd() * 3);
  for (let r = 0; r < rects; r++) {
    const rw = Math.max(1, Math.floor(width * (0.1 + rnd() * 0.3)));
    const rh = Math.max(1, Math.floor(height * (0.1 + rnd() * 0.3)));
    const rx = Math.floor(rnd() * Math.max(1, width - rw));
    const ry = Math.floor(rnd() * Math.max(1, height - rh));
    const col = [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)];
    for (let py = ry; py < ry + rh; py++) {
      for (let px = rx; px < rx + rw; px++) {
        const i = (py * width + px) * 3;
        buf[i] = col[0]!;
        buf[i + 1] = col[1]!;
        buf[i + 2] = col[2]!;
      }
    }
  }
  return buf;
}

/** A seeded image with photo-like noise, ready to encode (a scanned page, a photo). */
export function noiseImage(width: number, height: number, seed: number): Sharp {
  return rawSharp(width, height, seed, 12);
}

function rawSharp(width: number, height: number, seed: number, noise = 0): Sharp {
  return sharp(rawPixels(width, height, seed, noise), { raw: { width, height, channels: 3 } });
}

function encode(img: Sharp, format: ImageFormat, quality?: number): Sharp {
  const q = quality === undefined ? {} : { quality };
  switch (format) {
    case 'jpeg':
      return img.jpeg(q);
    case 'png':
      return img.png();
    case 'webp':
      return img.webp(q);
    case 'tiff':
      return img.tiff(q);
    case 'gif':
      return img.gif();
    case 'avif':
      return img.avif({ effort: 0, ...q }); // effort 0: default effort is slow
  }
}

/** Writes a deterministic image; different seeds give different pixels (and hashes). */
export async function makeImage(path: string, o: MakeImageOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const img = encode(rawSharp(o.width, o.height, o.seed ?? 1), o.format ?? 'jpeg', o.quality);
  await img.toFile(path);
}

/**
 * Creates the standard fixture set in `dir` and returns name → absolute path.
 * Includes edge cases: CMYK, 16-bit, grey+alpha, EXIF rotation, broken and non-image files.
 */
export async function makeFixtureSet(dir: string): Promise<Record<string, string>> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const out: Record<string, string> = {};
  const p = (name: string): string => (out[name] = join(root, name));

  await makeImage(p('plain.jpg'), { width: 640, height: 480, format: 'jpeg', seed: 1 });
  await makeImage(p('plain.png'), { width: 640, height: 480, format: 'png', seed: 2 });
  await makeImage(p('plain.webp'), { width: 640, height: 480, format: 'webp', seed: 3 });

  await rawSharp(320, 240, 4).toColourspace('cmyk').jpeg().toFile(p('cmyk.jpg'));

  // Build genuine 16-bit samples so the PNG isn't just 8-bit values scaled up.
  {
    const w = 64;
    const h = 48;
    const px = new Uint16Array(w * h * 3);
    const rnd = prng(5);
    for (let i = 0; i < px.length; i++) px[i] = Math.floor(rnd() * 65536);
    await sharp(Buffer.from(px.buffer), { raw: { width: w, height: h, channels: 3, premultiplied: false } })
      .toColourspace('rgb16')
      .png()
      .toFile(p('sixteen-bit.png'));
  }

  {
    const w = 64;
    const h = 48;
    const px = Buffer.alloc(w * h * 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 2;
        px[i] = Math.floor((x / w) * 255);
        px[i + 1] = Math.floor((y / h) * 255);
      }
    }
    await sharp(px, { raw: { width: w, height: h, channels: 2 } }).toColourspace('b-w').png().toFile(p('gray-alpha.png'));
  }

  await rawSharp(300, 200, 6).jpeg().withMetadata({ orientation: 6 }).toFile(p('exif-rotated.jpg'));

  {
    const full = await rawSharp(640, 480, 7).jpeg().toBuffer();
    await writeFile(p('truncated.jpg'), full.subarray(0, Math.floor(full.length / 2)));
  }

  await writeFile(p('zero.jpg'), Buffer.alloc(0));
  await writeFile(p('text.jpg'), 'This is not an image — just UTF-8 text.\n', 'utf8');
  await makeImage(p('tiny.png'), { width: 1, height: 1, format: 'png', seed: 8 });

  return out;
}

/** Photo-like large JPEG (noise + gradients so size is realistic, roughly 2–5 MB at 12 MP). */
export async function makeLargeJpeg(path: string, megapixels: number, seed: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // 4:3 aspect, e.g. 12 MP → 4000x3000.
  const width = Math.max(1, Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3)));
  const height = Math.max(1, Math.round((width * 3) / 4));
  // optimiseCoding off: Huffman optimisation triples encode time for ~3% size.
  await rawSharp(width, height, seed, 20).jpeg({ quality: 85, optimiseCoding: false }).toFile(path);
}

/** A tiny, valid PNG whose header claims width×height: a decompression bomb. */
export function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1024))), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A TIFF with one page per colour. */
export async function makeMultiPageTiff(path: string, colours: string[]): Promise<void> {
  const pages = await Promise.all(colours.map((background) =>
    sharp({ create: { width: 60, height: 40, channels: 3, background } }).png().toBuffer()));
  await sharp(pages, { join: { animated: true } }).tiff().toFile(path);
}


export interface TiffOptions {
  width: number;
  height: number;
  samplesPerPixel?: number;
  bitsPerSample?: number;
  /** PhotometricInterpretation: 2 RGB, 8 CIELab, … */
  photometric?: number;
  compression?: number;
  /** The one strip's bytes; mid-grey pixels by default. */
  data?: Buffer;
  /** More [tag, SHORT values] entries, e.g. ExtraSamples [338, [2]]. */
  tags?: [number, number[]][];
  /** Breakage: move the strip, the first IFD or the next-IFD link, or misstate the strip's size. */
  stripOffset?: number;
  ifdOffset?: number;
  nextIfd?: 'self';
  stripByteCount?: number;
}

/** A little-endian baseline TIFF with one strip, written byte by byte so tests can break any field. */
export function tiffBytes(o: TiffOptions): Buffer {
  const spp = o.samplesPerPixel ?? 3;
  const bps = o.bitsPerSample ?? 8;
  const data = o.data ?? Buffer.alloc(Math.ceil((o.width * o.height * spp * bps) / 8), 0x80);
  const dataAt = 8;
  const ifdAt = dataAt + data.length + (data.length % 2);
  // [tag, type (3 SHORT, 4 LONG), values]
  const entries: [number, 3 | 4, number[]][] = [
    [256, 4, [o.width]], [257, 4, [o.height]], [258, 3, Array<number>(Math.max(1, spp)).fill(bps)],
    [259, 3, [o.compression ?? 1]], [262, 3, [o.photometric ?? 2]], [273, 4, [o.stripOffset ?? dataAt]],
    [277, 3, [spp]], [278, 4, [o.height]], [279, 4, [o.stripByteCount ?? data.length]], [284, 3, [1]],
    ...(o.tags ?? []).map(([tag, values]): [number, 3, number[]] => [tag, 3, values]),
  ];
  entries.sort((a, b) => a[0] - b[0]);
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  const overflow: Buffer[] = [];
  let overflowAt = ifdAt + ifd.length;
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, values], i) => {
    const at = 2 + i * 12;
    const size = type === 3 ? 2 : 4;
    const bytes = Buffer.alloc(values.length * size);
    values.forEach((v, j) => (size === 2 ? bytes.writeUInt16LE(v, j * 2) : bytes.writeUInt32LE(v, j * 4)));
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(values.length, at + 4);
    if (bytes.length <= 4) {
      bytes.copy(ifd, at + 8);
    } else {
      ifd.writeUInt32LE(overflowAt, at + 8);
      overflow.push(bytes);
      overflowAt += bytes.length;
    }
  });
  if (o.nextIfd === 'self') ifd.writeUInt32LE(ifdAt, ifd.length - 4);
  const header = Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]);
  header.writeUInt32LE(o.ifdOffset ?? ifdAt, 4);
  return Buffer.concat([header, data, Buffer.alloc(data.length % 2), ifd, ...overflow]);
}

/** Seeded junk bytes, for compressed strips that do not decompress. */
export function junkBytes(length: number, seed: number): Buffer {
  const rnd = prng(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(rnd() * 256)));
}

/**
 * 40 TIFFs, each broken its own way: truncated files and strips, IFDs past the
 * end, inside the pixels or linked to themselves, unknown compression, zero
 * sizes, junk LZW/Deflate/JPEG data, old-style JPEG, odd bit depths, sample
 * counts and photometric values.
 */
export function brokenTiffs(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let k = 0; k < 3; k++) {
    const width = 16 + k * 8;
    const good = tiffBytes({ width, height: 12 });
    out.set(`truncated-file-${k}`, good.subarray(0, [6, 40, 300][k]));
    out.set(`strip-past-end-${k}`, tiffBytes({ width, height: 12, stripOffset: 100_000 * (k + 1) }));
    out.set(`strip-bytes-short-${k}`, tiffBytes({ width, height: 12, compression: 5, stripByteCount: 3 + k }));
    out.set(`ifd-past-end-${k}`, tiffBytes({ width, height: 12, ifdOffset: 1_000_000 * (k + 1) }));
    out.set(`ifd-in-pixels-${k}`, tiffBytes({ width, height: 12, ifdOffset: 10 + k * 2 }));
    out.set(`bad-compression-${k}`, tiffBytes({ width, height: 12, compression: [12345, 3, 99][k] }));
    out.set(`zero-size-${k}`, tiffBytes({ width: k === 1 ? 16 : 0, height: k === 0 ? 12 : 0, data: Buffer.alloc(64) }));
    out.set(`bad-lzw-${k}`, tiffBytes({ width, height: 12, compression: 5, data: junkBytes(200 + k, 7 + k) }));
    out.set(`bad-deflate-${k}`, tiffBytes({ width, height: 12, compression: 8, data: junkBytes(150 + k, 17 + k) }));
    out.set(`bad-jpeg-${k}`, tiffBytes({ width, height: 12, compression: 7, data: junkBytes(300 + k, 27 + k) }));
    out.set(`old-jpeg-${k}`, tiffBytes({ width, height: 12, compression: 6, data: junkBytes(300 + k, 37 + k) }));
    out.set(`bad-bits-${k}`, tiffBytes({ width, height: 12, bitsPerSample: [3, 24, 0][k] }));
    out.set(`bad-samples-${k}`, tiffBytes({ width: 8, height: 8, samplesPerPixel: [0, 100, 2][k], data: Buffer.alloc(128) }));
  }
  out.set('ifd-loop', tiffBytes({ width: 16, height: 12, nextIfd: 'self', photometric: 99 }));
  return out;
}

/** An 8-bit CIELab TIFF (PhotometricInterpretation 8) of one colour: L* 0..100, a* and b* signed. */
export function cielabTiff(width: number, height: number, lab: [number, number, number]): Buffer {
  const [L, a, b] = lab;
  const pixel = [Math.round((L * 255) / 100), a & 0xff, b & 0xff];
  const data = Buffer.from(Array.from({ length: width * height }, () => pixel).flat());
  return tiffBytes({ width, height, photometric: 8, data });
}

/** The same colour as a 16-bit CIELab TIFF, which libvips converts itself: an oracle for the 8-bit one. */
export function cielabTiff16(width: number, height: number, lab: [number, number, number]): Buffer {
  const [L, a, b] = lab;
  const data = Buffer.alloc(width * height * 6);
  for (let i = 0; i < width * height; i++) {
    data.writeUInt16LE(Math.round((L * 65535) / 100), i * 6);
    data.writeInt16LE(a * 256, i * 6 + 2);
    data.writeInt16LE(b * 256, i * 6 + 4);
  }
  return tiffBytes({ width, height, bitsPerSample: 16, photometric: 8, data });
}

/** A valid 24-bit Windows BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes) of one colour. */
export function bmpBytes(width: number, height: number, rgb: [number, number, number]): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set([rgb[2], rgb[1], rgb[0]], y * stride + x * 3);
  }
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10); // pixels start after both headers
  header.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26); // planes
  header.writeUInt16LE(24, 28); // bits per pixel
  header.writeUInt32LE(pixels.length, 34);
  header.writeInt32LE(2835, 38); // 72 dpi
  header.writeInt32LE(2835, 42);
  return Buffer.concat([header, pixels]);
}
