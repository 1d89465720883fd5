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

