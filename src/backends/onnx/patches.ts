// The geometry of the vision input: smart_resize's target size and the cut of
// a normalised frame into the encoder's patches, as the Python processors do.
import { FileFailure } from '../../support/errors.js';
import type { VisionConfig } from './vision-config.js';

const MAX_ASPECT_RATIO = 200;

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The target size, replaying the Python float math step by step (IEEE doubles
 * give the same results in JS). Sides are multiples of patch × merge.
 */
export function smartResize(height: number, width: number, cfg: VisionConfig): { height: number; width: number } {
  if (!(height >= 1 && width >= 1)) throw new FileFailure(`image has no pixels: ${width}×${height}`);
  const factor = cfg.patchSize * cfg.mergeSize;
  let h = height;
  let w = width;
  // GLM counts t·h·w with t = temporal_patch_size; Qwen counts h·w.
  const t = cfg.family === 'glm' ? cfg.temporalPatchSize : 1;
  if (cfg.family === 'glm' && (h < factor || w < factor)) {
    const scale = Math.max(factor / h, factor / w);
    h = Math.trunc(h * scale);
    w = Math.trunc(w * scale);
  }
  // Qwen's Python raises for a side < factor; we let the min_pixels branch scale it up.
  const ratio = Math.max(h, w) / Math.min(h, w);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new FileFailure(
      `aspect ratio ${Number(ratio.toFixed(1))}:1 (${width}×${height}) exceeds ${MAX_ASPECT_RATIO}; the model cannot take it`,
    );
  }
  let hBar = roundHalfEven(h / factor) * factor;
  let wBar = roundHalfEven(w / factor) * factor;
  if (t * hBar * wBar > cfg.maxPixels) {
    const beta = Math.sqrt((t * h * w) / cfg.maxPixels);
    hBar = Math.floor(h / beta / factor) * factor;
    wBar = Math.floor(w / beta / factor) * factor;
  } else if (t * hBar * wBar < cfg.minPixels) {
    const beta = Math.sqrt(cfg.minPixels / (t * h * w));
    hBar = Math.ceil((h * beta) / factor) * factor;
    wBar = Math.ceil((w * beta) / factor) * factor;
  }
  // GLM clamps to one factor; Qwen's Python could return 0 here and fail later.
  return { height: Math.max(factor, hBar), width: Math.max(factor, wBar) };
}

/**
 * Channel-first frame → patches in 2×2 merge-window order, the frame repeated
 * temporal_patch_size times. Equals the Python view
 * (gt, T, C, gh/m, m, p, gw/m, m, p) → permute (0,3,6,4,7,2,1,5,8) → (gt·gh·gw, C·T·p·p).
 */
export function patchify(
  chw: Float32Array,
  height: number,
  width: number,
  cfg: VisionConfig,
): { pixelValues: Float32Array; grid: [number, number, number] } {
  const p = cfg.patchSize;
  const m = cfg.mergeSize;
  const T = cfg.temporalPatchSize;
  const plane = height * width;
  const channels = plane > 0 ? chw.length / plane : 0;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`patchify: ${chw.length} values do not fill ${width}×${height} planes`);
  }
  if (height % (p * m) !== 0 || width % (p * m) !== 0) {
    throw new Error(`patchify: ${width}×${height} is not a multiple of ${p * m} on both sides`);
  }
  const gh = height / p;
  const gw = width / p;
  const patchDim = channels * T * p * p;
  const out = new Float32Array(gh * gw * patchDim);
  let o = 0;
  for (let bh = 0; bh < gh / m; bh++) {
    for (let bw = 0; bw < gw / m; bw++) {
      for (let mh = 0; mh < m; mh++) {
        const y0 = (bh * m + mh) * p;
        for (let mw = 0; mw < m; mw++) {
          const x0 = (bw * m + mw) * p;
          for (let c = 0; c < channels; c++) {
            const start = o;
            const src0 = c * plane + y0 * width + x0;
            for (let py = 0; py < p; py++) {
              const src = src0 + py * width;
              for (let px = 0; px < p; px++) out[o++] = chw[src + px]!;
            }
            // The other temporal slots repeat the frame.
            for (let t = 1; t < T; t++) {
              out.copyWithin(o, start, start + p * p);
              o += p * p;
            }
          }
        }
      }
    }
  }
  return { pixelValues: out, grid: [1, gh, gw] };
}
