// Decode steps write their keys, values and logits into buffers we own, two
// sets used in turn: a step reads its past from one set and writes its
// present into the other. ORT then needs no fresh output memory per step,
// which at batch 8 costs page faults and garbage collection every token.
import * as ort from 'onnxruntime-node';

export type FloatArray = Float32Array | Uint16Array;
type FloatType = 'float32' | 'float16';

function allocate(type: FloatType, length: number): FloatArray {
  return type === 'float16' ? new Uint16Array(length) : new Float32Array(length);
}

export interface StepShape {
  /** present.* output names. */
  present: string[];
  kvType: FloatType;
  kvHeads: number;
  headDim: number;
  logitsType: FloatType;
  vocab: number;
}

export class StepBuffers {
  private readonly sets = [new Map<string, FloatArray>(), new Map<string, FloatArray>()];
  private turn = 0;

  constructor(private readonly shape: StepShape) {}

  /** Output tensors for one decode step: present.* [rows, kvHeads, length, headDim] and logits [rows, 1, vocab]. */
  next(rows: number, length: number): Record<string, ort.Tensor> {
    const set = this.sets[this.turn] as Map<string, FloatArray>;
    this.turn ^= 1;
    const { kvHeads, headDim, kvType, logitsType, vocab } = this.shape;
    const view = (name: string, type: FloatType, dims: number[], headroom: number): ort.Tensor => {
      const need = dims.reduce((a, b) => a * b, 1);
      let buffer = set.get(name);
      if (!buffer || buffer.length < need) {
        // Room for more tokens, so a buffer grows once per 64 steps, not every step.
        buffer = allocate(type, need + headroom);
        set.set(name, buffer);
      }
      return new ort.Tensor(type, buffer.subarray(0, need), dims);
    };
    const out: Record<string, ort.Tensor> = { logits: view('logits', logitsType, [rows, 1, vocab], 0) };
    for (const name of this.shape.present) out[name] = view(name, kvType, [rows, kvHeads, length, headDim], rows * kvHeads * 64 * headDim);
    return out;
  }
}

/** Keeps rows `keep` (ascending) of a [batch, ...] tensor, moving them down in its own buffer. */
export function compactRows(t: ort.Tensor, keep: number[]): ort.Tensor {
  const [batch, ...rest] = t.dims as number[];
  if (keep.length === batch) return t;
  const stride = rest.reduce((a, b) => a * b, 1);
  const data = t.data as FloatArray;
  keep.forEach((row, i) => {
    if (row !== i) data.copyWithin(i * stride, row * stride, (row + 1) * stride);
  });
  return new ort.Tensor(t.type, data.subarray(0, keep.length * stride), [keep.length, ...rest]);
}
