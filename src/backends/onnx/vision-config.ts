// The vision settings of a Qwen2-VL / GLM-V model: read from its
// preprocessor_config.json as the Python image processors read them, and
// capped by --max-pixels.
import { UsageError } from '../../support/errors.js';
import { t } from '../../i18n/index.js';
import type { Family } from '../../models/model-dir.js';

export type { Family };

export interface VisionConfig {
  patchSize: number;
  mergeSize: number;
  temporalPatchSize: number;
  /** do_rescale's factor (1 when do_rescale is false); mean 0 and std 1 when do_normalize is false. */
  rescaleFactor: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Pixel budget bounds as the family's smart_resize counts them (GLM: t·h·w). */
  minPixels: number;
  maxPixels: number;
  /** GLM counts the temporal factor in its pixel budget */
  family: Family;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

// PIL's filter numbers; the Python processors default to BICUBIC.
const PIL_FILTERS = ['NEAREST', 'LANCZOS', 'BILINEAR', 'BICUBIC', 'BOX', 'HAMMING'];
const BICUBIC = 3;

/** Reads the fields smart_resize, the resize, normalisation and patchify need from preprocessor_config.json. */
export function visionConfigFrom(preprocessorConfig: unknown, family: Family, file: string): VisionConfig {
  if (!isObject(preprocessorConfig)) throw new UsageError(t('engine:vision.not_object', { file }));
  const c = preprocessorConfig;
  const size = isObject(c.size) ? c.size : {};
  const int = (key: string): number => {
    const v = positiveInt(c[key]);
    if (v === undefined) {
      throw new UsageError(t(c[key] === undefined ? 'engine:vision.missing' : 'engine:vision.not_positive_int', { file, key }));
    }
    return v;
  };
  const flag = (key: string): boolean => {
    const v = c[key] ?? true;
    if (typeof v !== 'boolean') throw new UsageError(t('engine:vision.not_bool', { file, key }));
    return v;
  };
  const triple = (key: string, positive: boolean): [number, number, number] => {
    const v = c[key];
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ) {
      const problem = v === undefined ? 'engine:vision.missing' : positive ? 'engine:vision.not_positive_triple' : 'engine:vision.not_triple';
      throw new UsageError(t(problem, { file, key }));
    }
    return [v[0], v[1], v[2]] as [number, number, number];
  };
  // Qwen2VLImageProcessor: top-level min_pixels/max_pixels override size (its constructor copies them
  // into size.shortest_edge/longest_edge; transformers 4.45 saved size as {min_pixels, max_pixels}).
  // Glm4vImageProcessor reads only size.shortest_edge/longest_edge.
  const candidates = (top: string, sizeKeys: string[]): [string, unknown][] => {
    const fromSize = sizeKeys.map((k): [string, unknown] => [`size.${k}`, size[k]]);
    return family === 'qwen2_vl' ? [[top, c[top]], ...fromSize] : fromSize.slice(0, 1);
  };
  const budget = (top: string, sizeKeys: string[]): number => {
    const found = candidates(top, sizeKeys).find(([, v]) => v !== undefined && v !== null);
    if (!found) {
      const names = family === 'glm' ? `"size.${sizeKeys[0]}"` : `"${top}" (or "size.${sizeKeys[0]}")`;
      throw new UsageError(t('engine:vision.budget_missing', { file, names }));
    }
    const v = positiveInt(found[1]);
    if (v === undefined) throw new UsageError(t('engine:vision.not_positive_int', { file, key: found[0] }));
    return v;
  };
  const minPixels = budget('min_pixels', ['shortest_edge', 'min_pixels']);
  const maxPixels = budget('max_pixels', ['longest_edge', 'max_pixels']);
  if (minPixels > maxPixels) throw new UsageError(t('engine:vision.budget_order', { file, min: minPixels, max: maxPixels }));

  // Python without do_resize feeds each image at its own size, which fails unless both sides are
  // multiples of the patch grid: refuse the folder rather than nearly every image.
  if (!flag('do_resize')) {
    throw new UsageError(t('engine:vision.no_resize', { file }));
  }
  const resample = c.resample ?? BICUBIC;
  if (resample !== BICUBIC) {
    const name = typeof resample === 'number' ? PIL_FILTERS[resample] : undefined;
    const value = JSON.stringify(resample);
    throw new UsageError(name ? t('engine:vision.resample_named', { file, value, name }) : t('engine:vision.resample', { file, value }));
  }
  let rescaleFactor = 1;
  if (flag('do_rescale')) {
    const v = c.rescale_factor ?? 1 / 255;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new UsageError(t('engine:vision.rescale', { file }));
    rescaleFactor = v;
  }
  // Without normalisation the rescaled values go to the model as they are: mean 0, std 1 computes exactly that.
  const normalize = flag('do_normalize');
  return {
    patchSize: int('patch_size'),
    mergeSize: int('merge_size'),
    temporalPatchSize: int('temporal_patch_size'),
    rescaleFactor,
    mean: normalize ? triple('image_mean', false) : [0, 0, 0],
    std: normalize ? triple('image_std', true) : [1, 1, 1],
    minPixels,
    maxPixels,
    family,
  };
}

/**
 * Caps the pixel budget at --max-pixels, given as width × height. GLM's
 * smart_resize budgets temporal_patch_size × h × w (t = 2 for a still image),
 * so the cap is scaled by t there: either way the resized h × w stays ≤ maxPixels.
 */
export function withMaxPixels(cfg: VisionConfig, maxPixels: number | undefined): VisionConfig {
  if (maxPixels === undefined) return cfg;
  if (!Number.isFinite(maxPixels) || maxPixels <= 0) {
    throw new UsageError(t('engine:vision.max_pixels', { value: maxPixels }));
  }
  const cap = Math.floor(maxPixels) * (cfg.family === 'glm' ? cfg.temporalPatchSize : 1);
  const max = Math.min(cfg.maxPixels, cap);
  return { ...cfg, maxPixels: max, minPixels: Math.min(cfg.minPixels, max) };
}
