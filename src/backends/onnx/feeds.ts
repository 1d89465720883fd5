// What the sessions are fed: int64 tensors (token ids, positions, grids) and
// the decoder's attention mask, and the typed arrays ORT hands back.
import * as ort from 'onnxruntime-node';

export type TypedArray = Float32Array | Uint16Array | BigInt64Array;

export function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** [rows, length] of ones, with each row's padding (pads[b] tokens from `start`) zero. */
export function attentionMask(pads: number[], start: number, length: number): ort.Tensor {
  const mask = new BigInt64Array(pads.length * length).fill(1n);
  pads.forEach((pad, b) => mask.fill(0n, b * length + start, b * length + start + pad));
  return new ort.Tensor('int64', mask, [pads.length, length]);
}
