// Reading the decoder's logits whatever the export's dtype (float32 or float16).
import type * as ort from 'onnxruntime-node';

export function logitAt(t: ort.Tensor, i: number): number {
  return t.type === 'float16' ? halfToFloat((t.data as Uint16Array)[i] as number) : ((t.data as Float32Array)[i] as number);
}

/** Logits as float32, whatever the export's dtype. */
export function toFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  const half = t.data as Uint16Array;
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) out[i] = halfToFloat(half[i] as number);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
