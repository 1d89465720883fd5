// The decoder's keys and values between steps: the empty past of a first step,
// a step's present kept for the rows still generating, and the prefix cache
// (a prompt's text before the image, computed once for a run's requests).
import * as ort from 'onnxruntime-node';
import type { ModelDir } from '../../models/model-dir.js';
import { compactRows } from './step-buffers.js';
import type { TypedArray } from './feeds.js';

export type Past = Record<string, ort.Tensor>;

export interface KvShape {
  kvHeads: number;
  headDim: number;
  type: ort.Tensor.Type;
}

/** The past's shape as the decoder declares it, else as the model's config says. */
export function kvShape(decoder: ort.InferenceSession, model: ModelDir): KvShape {
  const index = decoder.inputNames.findIndex((n) => /^past_key_values\.0\.key$/.test(n));
  const meta = decoder.inputMetadata[index];
  const text = (model.config.text_config ?? model.config) as Record<string, number>;
  const heads = text.num_attention_heads ?? 1;
  let kvHeads = text.num_key_value_heads ?? heads;
  let headDim = text.head_dim ?? (text.hidden_size ?? 0) / heads;
  let type: ort.Tensor.Type = 'float32';
  if (meta?.isTensor) {
    const [, k, , d] = meta.shape;
    if (typeof k === 'number') kvHeads = k;
    if (typeof d === 'number') headDim = d;
    type = meta.type as ort.Tensor.Type;
  }
  return { kvHeads, headDim, type };
}

export class KvCache {
  /** Keys and values of shared prompt prefixes, by token ids. */
  private readonly prefixes = new Map<string, Past>();

  constructor(
    private readonly decoder: ort.InferenceSession,
    readonly shape: KvShape,
  ) {}

  empty(batch: number): Past {
    const feeds: Past = {};
    for (const name of this.decoder.inputNames) {
      if (!name.startsWith('past_key_values.')) continue;
      feeds[name] = new ort.Tensor(this.shape.type, emptyOf(this.shape.type), [batch, this.shape.kvHeads, 0, this.shape.headDim]);
    }
    return feeds;
  }

  /** The decoder's present K/V as next step's past, keeping only the rows still generating. */
  fromPresent(out: ort.InferenceSession.ReturnType, keep: number[]): Past {
    const feeds: Past = {};
    for (const name of this.decoder.inputNames) {
      if (!name.startsWith('past_key_values.')) continue;
      feeds[name] = compactRows(out[name.replace('past_key_values.', 'present.')] as ort.Tensor, keep);
    }
    return feeds;
  }

  /** The one-row past of a text prefix, from `compute` once per distinct prefix. */
  async prefix(ids: readonly number[], compute: () => Promise<Past>): Promise<Past> {
    const key = ids.join(',');
    const hit = this.prefixes.get(key);
    if (hit) return hit;
    const past = await compute();
    // A run uses one or two templates; a handful of entries is plenty.
    if (this.prefixes.size >= 8) this.prefixes.delete(this.prefixes.keys().next().value as string);
    this.prefixes.set(key, past);
    return past;
  }
}

/**
 * How many leading tokens all rows share, up to the first image: those can come from the prefix cache.
 * 0 when they differ (a batch of mixed templates) or there is no text before the image.
 */
export function sharedPrefix(rows: readonly (readonly number[])[], imageTokenId: number): number {
  const first = rows[0] as readonly number[];
  let length = first.indexOf(imageTokenId);
  for (const ids of rows) {
    const image = ids.indexOf(imageTokenId);
    if (image < length) length = image;
  }
  if (length < 1) return 0;
  for (const ids of rows) for (let j = 0; j < length; j++) if (ids[j] !== first[j]) return 0;
  return length;
}

/** A batch of `n` rows that all start from the same one-row past. */
export function repeatRows(past: Past, n: number): Past {
  if (n === 1) return past;
  return Object.fromEntries(Object.entries(past).map(([name, t]) => [name, selectRows(t, new Array<number>(n).fill(0))]));
}

function selectRows(t: ort.Tensor, rows: number[]): ort.Tensor {
  const [, ...rest] = t.dims as number[];
  const stride = rest.reduce((a, b) => a * b, 1);
  const src = t.data as TypedArray;
  const Ctor = src.constructor as new (n: number) => TypedArray;
  const dst = new Ctor(rows.length * stride);
  rows.forEach((r, i) => (dst as Float32Array).set((src as Float32Array).subarray(r * stride, (r + 1) * stride), i * stride));
  return new ort.Tensor(t.type, dst, [rows.length, ...rest]);
}

function emptyOf(type: ort.Tensor.Type): TypedArray {
  return type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
}
