// The local engine's resize on 12 MP photos: sharp's cubic straight to the
// target (what glm-vision did before), PIL-exact (resizeBicubic over the full
// decode, byte-identical to Pillow: test/onnx-resample.test.ts), and the
// two-step path glm-vision uses (sharp down to PRE_SHRINK × the target, then
// resizeBicubic), side by side: milliseconds per image, and how many levels
// each is off the exact result.
import sharp from 'sharp';
import { probeImage } from '../../src/image/preprocess.js';
import { decodeResized, PRE_SHRINK, smartResize, withMaxPixels, type VisionConfig } from '../../src/backends/onnx/image-processor.js';
import type { BenchContext } from './context.js';
import { fmt, median } from './report.js';

const WIDTH = 4000;
const HEIGHT = 3000;
const PHOTOS = 3;
/** The onnx engine's default --max-pixels, and the server default. */
const BUDGETS = [100_352, 1_003_520];

const QWEN: VisionConfig = {
  patchSize: 14, mergeSize: 2, temporalPatchSize: 2, rescaleFactor: 1 / 255,
  mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
  minPixels: 3136, maxPixels: 12_845_056, family: 'qwen2_vl',
};

/** A photo-like 12 MP JPEG: soft colour fields, hard-edged shapes, thin lines and text, fine grain (libvips' noise is unseeded). */
export async function photo(seed: number): Promise<Buffer> {
  let s = seed * 7919;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const fields = await sharp({ create: { width: WIDTH / 50, height: HEIGHT / 50, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 70 } } })
    .resize(WIDTH, HEIGHT, { kernel: 'cubic' })
    .png()
    .toBuffer();
  const shapes: string[] = [];
  const colour = (): string => `rgb(${[0, 1, 2].map(() => Math.floor(rnd() * 256)).join(',')})`;
  for (let i = 0; i < 40; i++) {
    const [x, y, r] = [rnd() * WIDTH, rnd() * HEIGHT, 30 + rnd() * 400];
    shapes.push(i % 2 ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${colour()}"/>` : `<rect x="${x}" y="${y}" width="${r * 1.5}" height="${r}" fill="${colour()}"/>`);
  }
  for (let i = 0; i < 60; i++) shapes.push(`<line x1="0" y1="${rnd() * HEIGHT}" x2="${WIDTH}" y2="${rnd() * HEIGHT}" stroke="${colour()}" stroke-width="${1 + rnd() * 3}"/>`);
  for (let i = 0; i < 30; i++) shapes.push(`<text x="${rnd() * WIDTH}" y="${rnd() * HEIGHT}" font-size="${20 + rnd() * 80}" fill="${colour()}">Invoice 2024 №${i}</text>`);
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${shapes.join('')}</svg>`);
  const grain = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 12 } } }).png().toBuffer();
  return sharp(fields)
    .composite([{ input: svg }, { input: grain, blend: 'soft-light' }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

function levels(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}

export async function resizeSpeed(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  log(`resize: ${PHOTOS} photo-like ${WIDTH}×${HEIGHT} JPEGs, ${ctx.runs} rounds ...`);
  const photos = await Promise.all(Array.from({ length: PHOTOS }, (_, i) => photo(i + 1)));
  const methods = {
    decode: async (data: Buffer) => {
      const probe = await probeImage(data, 1e9);
      return probe.decode((image) => image.rotate().removeAlpha().raw().toBuffer());
    },
    sharp: async (data: Buffer, target: { width: number; height: number }) => {
      const probe = await probeImage(data, 1e9);
      return probe.decode((image) =>
        image.rotate().flatten({ background: '#ffffff' })
          .resize(target.width, target.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
          .toColourspace('srgb').removeAlpha().raw().toBuffer(),
      );
    },
    exact: async (data: Buffer, target: { width: number; height: number }) =>
      (await decodeResized(await probeImage(data, 1e9), target, Infinity)).pixels,
    twoStep: async (data: Buffer, target: { width: number; height: number }) =>
      (await decodeResized(await probeImage(data, 1e9), target)).pixels,
    // The same with sharp going down to 2× the target only: cheaper, but no closer to Pillow than sharp alone.
    viaTwice: async (data: Buffer, target: { width: number; height: number }) =>
      (await decodeResized(await probeImage(data, 1e9), target, 2)).pixels,
  };
  const timed = ['sharp', 'exact', 'twoStep', 'viaTwice'] as const;
  const decodeMs: number[] = [];
  for (const budget of BUDGETS) {
    const target = smartResize(HEIGHT, WIDTH, withMaxPixels(QWEN, budget));
    const ms: Record<(typeof timed)[number], number[]> = { sharp: [], exact: [], twoStep: [], viaTwice: [] };
    const off = { sharp: { max: 0, mean: 0 }, twoStep: { max: 0, mean: 0 }, viaTwice: { max: 0, mean: 0 } };
    for (const data of photos) {
      const exact = await methods.exact(data, target);
      for (const name of ['sharp', 'twoStep', 'viaTwice'] as const) {
        const d = levels(new Uint8Array(await methods[name](data, target)), exact);
        off[name] = { max: Math.max(off[name].max, d.max), mean: off[name].mean + d.mean / photos.length };
      }
      // Rounds interleave the methods, so a busy moment on the machine hits each alike.
      for (let r = 0; r < ctx.runs; r++) {
        for (const name of timed) {
          const t0 = performance.now();
          await methods[name](data, target);
          ms[name].push(performance.now() - t0);
        }
        if (budget === BUDGETS[0]) {
          const t0 = performance.now();
          await methods.decode(data);
          decodeMs.push(performance.now() - t0);
        }
      }
    }
    const [sharpMs, exactMs, twoMs, twiceMs] = [median(ms.sharp), median(ms.exact), median(ms.twoStep), median(ms.viaTwice)];
    const label = `resize: 12 MP → ${target.width}×${target.height} (--max-pixels ${budget})`;
    log(`  ${label}: sharp ${fmt(sharpMs, 0)} ms, exact ${fmt(exactMs, 0)} ms, two-step ${fmt(twoMs, 0)} ms, via 2× ${fmt(twiceMs, 0)} ms`);
    report.measures.push(
      { id: `resize.${budget}.sharp`, measure: `${label}: sharp cubic, ms (${fmt(off.sharp.max, 0)} levels off exact at most, mean ${fmt(off.sharp.mean, 3)})`,
        value: sharpMs, unit: 'ms', display: `${fmt(sharpMs, 0)} ms`, target: '-', verdict: '-', runs: ms.sharp },
      { id: `resize.${budget}.exact`, measure: `${label}: PIL-exact, ms`,
        value: exactMs, unit: 'ms', display: `${fmt(exactMs, 0)} ms (${fmt(exactMs / sharpMs, 1)}× sharp)`, target: '-', verdict: '-', runs: ms.exact },
      { id: `resize.${budget}.two-step`, measure: `${label}: two-step, ms (${fmt(off.twoStep.max, 0)} levels off exact at most, mean ${fmt(off.twoStep.mean, 3)})`,
        value: twoMs, unit: 'ms', display: `${fmt(twoMs, 0)} ms`, target: '-', verdict: '-', runs: ms.twoStep },
      { id: `resize.${budget}.via-2x`, measure: `${label}: two-step via 2× only, ms (${fmt(off.viaTwice.max, 0)} levels off exact at most, mean ${fmt(off.viaTwice.mean, 3)})`,
        value: twiceMs, unit: 'ms', display: `${fmt(twiceMs, 0)} ms`, target: '-', verdict: '-', runs: ms.viaTwice },
      { id: `resize.${budget}.ratio`, measure: `${label}: two-step / sharp`, value: twoMs / sharpMs, unit: '×',
        display: `${fmt(twoMs / sharpMs)}×`, target: '-', verdict: '-' },
    );
  }
  report.measures.push({ id: 'resize.decode', measure: 'resize: 12 MP JPEG, full decode alone, ms', value: median(decodeMs), unit: 'ms',
    display: `${fmt(median(decodeMs), 0)} ms`, target: '-', verdict: '-', runs: decodeMs });
  report.notes.push(
    `resize: ${PHOTOS} generated photo-like ${WIDTH}×${HEIGHT} JPEGs (quality 90: colour fields, hard-edged shapes, lines, text, grain), ` +
      `resized in process to Qwen2-VL's smart_resize target for each budget; medians over ${ctx.runs} interleaved rounds per photo. ` +
      `"sharp" is sharp's cubic straight to the target (libvips may shrink JPEGs in the DCT on load, then box-shrinks before its kernel), ` +
      `"PIL-exact" decodes in full and runs resizeBicubic (byte-identical to Pillow's Image.resize BICUBIC), "two-step" is glm-vision's ` +
      `path: sharp down to ${PRE_SHRINK}× the target (where it shrinks more than that), then resizeBicubic; "via 2×" the same with sharp going to 2×. Level differences are against PIL-exact, over every pixel and channel. ` +
      `The photos are made afresh each run (libvips' noise has no seed), so level figures vary by a level or two between runs. ` +
      `No target: exactness costs full decoding plus about 12 multiply-adds per source pixel in JavaScript, which is what the ratios show.`,
  );
}
