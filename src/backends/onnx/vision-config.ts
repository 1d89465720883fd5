// The vision settings of a Qwen2-VL / GLM-V model: read from its
// preprocessor_config.json as the Python image processors read them, and
// capped by --max-pixels.
import { UsageError } from '../../support/errors.js';
import type { Family } from '../../models/model-dir.js';

export type { Family };

export interface VisionConfig {
  patchSize: number;
  mergeSize: number;
  temporalPatchSize: number;
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

/** Reads the fields smart_resize and patchify need from preprocessor_config.json. */
export function visionConfigFrom(preprocessorConfig: unknown, family: Family, file: string): VisionConfig {
  if (!isObject(preprocessorConfig)) throw new UsageError(`${file}: not a JSON object`);
  const c = preprocessorConfig;
  const size = isObject(c.size) ? c.size : {};
  const int = (key: string): number => {
    const v = positiveInt(c[key]);
    if (v === undefined) {
      throw new UsageError(`${file}: "${key}" is ${c[key] === undefined ? 'missing' : 'not a positive integer'}`);
    }
    return v;
  };
  const triple = (key: string, positive: boolean): [number, number, number] => {
    const v = c[key];
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ) {
      throw new UsageError(
        `${file}: "${key}" is ${v === undefined ? 'missing' : `not a list of 3 ${positive ? 'positive ' : ''}numbers`}`,
      );
    }
    return [v[0], v[1], v[2]] as [number, number, number];
  };
  // Qwen's top-level min_pixels/max_pixels override `size` (as in the Python
  // constructor); GLM's processor reads only `size`, so there size wins.
  const candidates = (top: string, sizeKeys: string[]): [string, unknown][] => {
    const fromSize = sizeKeys.map((k): [string, unknown] => [`size.${k}`, size[k]]);
    const fromTop: [string, unknown] = [top, c[top]];
    return family === 'qwen2_vl' ? [fromTop, ...fromSize] : [...fromSize, fromTop];
  };
  const budget = (top: string, sizeKeys: string[]): number => {
    const found = candidates(top, sizeKeys).find(([, v]) => v !== undefined && v !== null);
    if (!found) {
      const names = family === 'glm' ? `"size.${sizeKeys[0]}" (or "${top}")` : `"${top}" (or "size.${sizeKeys[0]}")`;
      throw new UsageError(`${file}: ${names} is missing`);
    }
    const v = positiveInt(found[1]);
    if (v === undefined) throw new UsageError(`${file}: "${found[0]}" is not a positive integer`);
    return v;
  };
  const minPixels = budget('min_pixels', ['shortest_edge', 'min_pixels']);
  const maxPixels = budget('max_pixels', ['longest_edge', 'max_pixels']);
  if (minPixels > maxPixels) throw new UsageError(`${file}: the minimum pixel budget ${minPixels} exceeds the maximum ${maxPixels}`);
  return {
    patchSize: int('patch_size'),
    mergeSize: int('merge_size'),
    temporalPatchSize: int('temporal_patch_size'),
    mean: triple('image_mean', false),
    std: triple('image_std', true),
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
    throw new UsageError(`--max-pixels must be a positive number, got ${maxPixels}`);
  }
  const cap = Math.floor(maxPixels) * (cfg.family === 'glm' ? cfg.temporalPatchSize : 1);
  const max = Math.min(cfg.maxPixels, cap);
  return { ...cfg, maxPixels: max, minPixels: Math.min(cfg.minPixels, max) };
}
