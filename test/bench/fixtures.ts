// Bench fixtures, generated once and reused: large photo-like JPEGs for the
// cold-throughput run, many small distinct images for the cached re-run, and
// for the onnx section a tiny random-weight model and images in a few sizes.
// Each set is finished by a marker file; files are written under a temporary
// name and renamed, so an interrupted generation never leaves a torn image.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ROOT } from '../helpers/cli.js';
import { PDFDocument } from '@cantoo/pdf-lib';
import { makeImage, makeLargeJpeg, noiseImage } from '../helpers/images.js';
import { generateTinyModel, tinyModelFiles, type Family } from '../tiny-model/index.js';

export interface FixtureSet {
  dir: string;
  files: string[];
  totalBytes: number;
  generated: boolean;
  generateMs: number;
}

interface Marker {
  version: number;
  count: number;
  params: Record<string, unknown>;
  totalBytes: number;
}

async function readMarker(file: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function sameParams(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const LARGE_VERSION = 1;

export async function ensureLargeJpegs(root: string, count: number, megapixels: number, log: (s: string) => void): Promise<FixtureSet> {
  const dir = path.join(root, `large-${megapixels}mp`);
  const markerFile = path.join(root, `large-${megapixels}mp.done.json`);
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `photo-${String(i).padStart(3, '0')}.jpg`));
  const params = { megapixels };
  const marker = await readMarker(markerFile);
  if (marker && marker.version === LARGE_VERSION && marker.count === count && sameParams(marker.params, params) && files.every((f) => existsSync(f))) {
    return { dir, files, totalBytes: marker.totalBytes, generated: false, generateMs: 0 };
  }
  const t0 = performance.now();
  log(`generating ${count} × ${megapixels} MP JPEGs in ${dir} (once) ...`);
  await mkdir(dir, { recursive: true });
  let totalBytes = 0;
  // Two at a time: each holds a 36 MB raw buffer and the pixel loop is JS.
  await pool(files, 2, async (file, i) => {
    if (!existsSync(file)) {
      const tmp = `${file}.tmp`;
      await makeLargeJpeg(tmp, megapixels, 10_000 + i);
      await rename(tmp, file);
    }
  });
  for (const f of files) totalBytes += (await readFile(f)).length;
  await writeFile(markerFile, JSON.stringify({ version: LARGE_VERSION, count, params, totalBytes } satisfies Marker));
  return { dir, files, totalBytes, generated: true, generateMs: performance.now() - t0 };
}

const SMALL_VERSION = 1;

/** Seeded pixels: every image differs (so every hash and every sent JPEG differs). */
function smallPixels(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size * size * 3);
  let a = (seed * 2654435761) >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const base = [rnd() & 255, rnd() & 255, rnd() & 255];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const n = rnd();
      buf[i] = ((base[0] as number) + x * 4 + (n & 15)) & 255;
      buf[i + 1] = ((base[1] as number) + y * 4 + ((n >>> 4) & 15)) & 255;
      buf[i + 2] = ((base[2] as number) + (x + y) * 2 + ((n >>> 8) & 15)) & 255;
    }
  }
  return buf;
}

export async function ensureSmallImages(
  root: string,
  count: number,
  folders: number,
  size: number,
  log: (s: string) => void,
): Promise<FixtureSet> {
  const dir = path.join(root, `small-${count}`);
  const markerFile = path.join(root, `small-${count}.done.json`);
  const perFolder = Math.ceil(count / folders);
  const files = Array.from({ length: count }, (_, i) =>
    path.join(dir, `d${String(Math.floor(i / perFolder)).padStart(3, '0')}`, `img-${String(i).padStart(5, '0')}.jpg`),
  );
  const params = { folders, size, format: 'jpeg' };
  const marker = await readMarker(markerFile);
  const intact = (): boolean => existsSync(files[0] as string) && existsSync(files[files.length - 1] as string);
  if (marker && marker.version === SMALL_VERSION && marker.count === count && sameParams(marker.params, params) && intact()) {
    return { dir, files, totalBytes: marker.totalBytes, generated: false, generateMs: 0 };
  }
  const t0 = performance.now();
  log(`generating ${count} small ${size}×${size} JPEGs in ${folders} folders under ${dir} (once) ...`);
  for (let d = 0; d < folders; d++) await mkdir(path.join(dir, `d${String(d).padStart(3, '0')}`), { recursive: true });
  let totalBytes = 0;
  await pool(files, 8, async (file, i) => {
    const data = await sharp(smallPixels(size, i + 1), { raw: { width: size, height: size, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    totalBytes += data.length;
    const tmp = `${file}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  });
  await writeFile(markerFile, JSON.stringify({ version: SMALL_VERSION, count, params, totalBytes } satisfies Marker));
  return { dir, files, totalBytes, generated: true, generateMs: performance.now() - t0 };
}

const MODEL_VERSION = 1;

export interface ModelFixture {
  dir: string;
  /** Bytes of all its files (the ONNX graphs and their weights, configs, tokenizer). */
  totalBytes: number;
  generated: boolean;
  generateMs: number;
}

/** SHA-256 over test/tiny-model/*.ts, so a changed generator makes a new model. */
async function generatorDigest(): Promise<string> {
  const dir = path.join(ROOT, 'test', 'tiny-model');
  const hash = createHash('sha256');
  for (const f of (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort()) {
    hash.update(`${f}\n`).update(await readFile(path.join(dir, f)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A tiny random-weight model from test/tiny-model, generated once under
 * root/onnx-model-<family>-l<layers>-h<hidden>-v<vocab>-s<seed>/. It is written
 * to a temporary folder and renamed, and finished by a marker file.
 */
export async function ensureTinyModel(
  root: string,
  o: { family: Family; layers: number; hidden: number; vocab: number; seed: number },
  log: (s: string) => void,
): Promise<ModelFixture> {
  const name = `onnx-model-${o.family}-l${o.layers}-h${o.hidden}-v${o.vocab}-s${o.seed}`;
  const dir = path.join(root, name);
  const markerFile = path.join(root, `${name}.done.json`);
  const params = { ...o, generator: await generatorDigest() };
  const files = tinyModelFiles({ ...o, outDir: dir });
  const marker = await readMarker(markerFile);
  if (
    marker && marker.version === MODEL_VERSION && marker.count === files.length && sameParams(marker.params, params) &&
    files.every((f) => existsSync(path.join(dir, f)))
  ) {
    return { dir, totalBytes: marker.totalBytes, generated: false, generateMs: 0 };
  }
  const t0 = performance.now();
  log(`generating the tiny ${o.family} model (${o.layers} layers, hidden ${o.hidden}, vocabulary ${o.vocab}) in ${dir} (once) ...`);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await generateTinyModel({ ...o, outDir: tmp });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  let totalBytes = 0;
  for (const f of files) totalBytes += (await stat(path.join(dir, f))).size;
  await writeFile(markerFile, JSON.stringify({ version: MODEL_VERSION, count: files.length, params, totalBytes } satisfies Marker));
  return { dir, totalBytes, generated: true, generateMs: performance.now() - t0 };
}

const ONNX_IMAGES_VERSION = 1;

/**
 * Distinct JPEGs from makeImage (seeded gradients and rectangles), cycling
 * through `sizes`, in root/<name>/; generated once.
 */
export async function ensureSizedImages(
  root: string,
  name: string,
  count: number,
  sizes: readonly (readonly [number, number])[],
  seed: number,
  log: (s: string) => void,
): Promise<FixtureSet> {
  const dir = path.join(root, name);
  const markerFile = path.join(root, `${name}.done.json`);
  const files = Array.from({ length: count }, (_, i) => {
    const [w, h] = sizes[i % sizes.length] as readonly [number, number];
    return path.join(dir, `img-${String(i).padStart(3, '0')}-${w}x${h}.jpg`);
  });
  const params = { sizes, seed, format: 'jpeg' };
  const marker = await readMarker(markerFile);
  if (marker && marker.version === ONNX_IMAGES_VERSION && marker.count === count && sameParams(marker.params, params) && files.every((f) => existsSync(f))) {
    return { dir, files, totalBytes: marker.totalBytes, generated: false, generateMs: 0 };
  }
  const t0 = performance.now();
  log(`generating ${count} JPEGs (${sizes.map(([w, h]) => `${w}×${h}`).join(', ')}) in ${dir} (once) ...`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await pool(files, 4, async (file, i) => {
    const [width, height] = sizes[i % sizes.length] as readonly [number, number];
    const tmp = `${file}.tmp.jpg`;
    await makeImage(tmp, { width, height, seed: seed + i, format: 'jpeg' });
    await rename(tmp, file);
  });
  let totalBytes = 0;
  for (const f of files) totalBytes += (await stat(f)).size;
  await writeFile(markerFile, JSON.stringify({ version: ONNX_IMAGES_VERSION, count, params, totalBytes } satisfies Marker));
  return { dir, files, totalBytes, generated: true, generateMs: performance.now() - t0 };
}

const SCANS_VERSION = 1;

/** A scanned document twice: `count` page scans as JPEG files, and one PDF holding the same JPEGs, one per A4 page. */
export async function ensureScannedDocument(
  root: string, count: number, size: { width: number; height: number }, log: (s: string) => void,
): Promise<FixtureSet & { pdf: string }> {
  const dir = path.join(root, `scans-${count}`);
  const pdf = path.join(root, `scans-${count}.pdf`);
  const markerFile = path.join(root, `scans-${count}.done.json`);
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `page-${String(i + 1).padStart(3, '0')}.jpg`));
  const params = size;
  const marker = await readMarker(markerFile);
  if (marker && marker.version === SCANS_VERSION && sameParams(marker.params, params) && existsSync(pdf) && files.every((f) => existsSync(f))) {
    return { dir, files, pdf, totalBytes: marker.totalBytes, generated: false, generateMs: 0 };
  }
  const t0 = performance.now();
  log(`generating a ${count}-page scanned PDF and its pages as JPEGs in ${root} (once) ...`);
  await mkdir(dir, { recursive: true });
  await pool(files, 2, async (file, i) => {
    const tmp = `${file}.tmp`;
    await writeFile(tmp, await noiseImage(size.width, size.height, 20_000 + i).jpeg({ quality: 80 }).toBuffer());
    await rename(tmp, file);
  });
  const doc = await PDFDocument.create();
  for (const file of files) {
    const image = await doc.embedJpg(await readFile(file));
    doc.addPage([595, 842]).drawImage(image, { x: 0, y: 0, width: 595, height: 842 });
  }
  await writeFile(`${pdf}.tmp`, await doc.save());
  await rename(`${pdf}.tmp`, pdf);
  let totalBytes = 0;
  for (const f of files) totalBytes += (await stat(f)).size;
  await writeFile(markerFile, JSON.stringify({ version: SCANS_VERSION, count, params, totalBytes } satisfies Marker));
  return { dir, files, pdf, totalBytes, generated: true, generateMs: performance.now() - t0 };
}

const TREE_VERSION = 2;

/**
 * A JPEG with an APP15 segment (FF EF) right after SOI: same pixels, different bytes. Not a comment:
 * the cache knows a JPEG by its content, comments and EXIF left out, and each file must be new to it.
 */
function withMarker(jpeg: Buffer, text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const segment = Buffer.alloc(4 + body.length);
  segment.writeUInt16BE(0xffef, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  body.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

export interface TreeFixture extends FixtureSet {
  /** root/scale-N/p<g>/: each group holds `perGroup` leaf folders of `perFolder` files. */
  groups: string[];
  filesPerGroup: number;
  bases: number;
}

/**
 * A tree of `count` tiny JPEGs, two levels deep: root/scale-N/p<g>/d<f>/img-<i>.jpg,
 * `perFolder` files per leaf folder and `foldersPerGroup` leaf folders per group,
 * so one group is a subset of the same kind of files. Only `bases` images are
 * encoded with sharp (distinct seeded pixels); each file is one of them with
 * its index in an APP15 segment, so every file's bytes, SHA-256 and content
 * identity differ and generating 100,000 files takes seconds, not minutes.
 */
export async function ensureImageTree(
  root: string,
  o: { count: number; perFolder: number; foldersPerGroup: number; size: number; bases: number },
  log: (s: string) => void,
): Promise<TreeFixture> {
  const dir = path.join(root, `scale-${o.count}`);
  const markerFile = path.join(root, `scale-${o.count}.done.json`);
  const folders = Math.ceil(o.count / o.perFolder);
  const groupCount = Math.ceil(folders / o.foldersPerGroup);
  const groups = Array.from({ length: groupCount }, (_, g) => path.join(dir, `p${g}`));
  const fileOf = (i: number): string => {
    const f = Math.floor(i / o.perFolder);
    return path.join(groups[Math.floor(f / o.foldersPerGroup)] as string, `d${String(f % o.foldersPerGroup).padStart(3, '0')}`, `img-${String(i).padStart(6, '0')}.jpg`);
  };
  const files = Array.from({ length: o.count }, (_, i) => fileOf(i));
  const params = { perFolder: o.perFolder, foldersPerGroup: o.foldersPerGroup, size: o.size, bases: o.bases, format: 'jpeg' };
  const result = (totalBytes: number, generated: boolean, generateMs: number): TreeFixture => ({
    dir, files, totalBytes, generated, generateMs, groups, filesPerGroup: o.perFolder * o.foldersPerGroup, bases: o.bases,
  });
  const marker = await readMarker(markerFile);
  const intact = (): boolean => existsSync(files[0] as string) && existsSync(files[files.length - 1] as string);
  if (marker && marker.version === TREE_VERSION && marker.count === o.count && sameParams(marker.params, params) && intact()) {
    return result(marker.totalBytes, false, 0);
  }
  const t0 = performance.now();
  log(`generating ${o.count} tiny ${o.size}×${o.size} JPEGs in ${folders} folders of ${o.perFolder} under ${dir} (once) ...`);
  await rm(markerFile, { force: true });
  await rm(dir, { recursive: true, force: true });
  const bases = await Promise.all(
    Array.from({ length: o.bases }, (_, b) =>
      sharp(smallPixels(o.size, 500_000 + b), { raw: { width: o.size, height: o.size, channels: 3 } }).jpeg({ quality: 85 }).toBuffer(),
    ),
  );
  for (let f = 0; f < folders; f++) await mkdir(path.dirname(fileOf(f * o.perFolder)), { recursive: true });
  let totalBytes = 0;
  // Written in place: the marker comes last, and a missing marker regenerates the whole tree.
  await pool(files, 16, async (file, i) => {
    const data = withMarker(bases[i % o.bases] as Buffer, `glm-vision bench ${i}`);
    totalBytes += data.length;
    await writeFile(file, data);
  });
  await writeFile(markerFile, JSON.stringify({ version: TREE_VERSION, count: o.count, params, totalBytes } satisfies Marker));
  return result(totalBytes, true, performance.now() - t0);
}
