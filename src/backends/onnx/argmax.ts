// Greedy decoding's argmax as a one-node ONNX graph: ORT's ArgMax scans a
// batch's logits (rows × vocabulary floats per step) several times faster than
// a JS loop, and decoding does this every step.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

// onnx-proto is CommonJS: its namespace only comes through the default import.
const { onnx } = onnxProto;

/** ArgMax over the last axis of float logits [batch, seq, vocab] → int64 [batch, seq], first index on ties. */
export function argmaxModel(elemType: 'float32' | 'float16'): Uint8Array {
  const type = elemType === 'float16' ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT;
  const dims = (names: string[]): { dim: { dimParam: string }[] } => ({ dim: names.map((dimParam) => ({ dimParam })) });
  const int = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'glm-vision',
    graph: {
      name: 'argmax',
      node: [{ opType: 'ArgMax', input: ['logits'], output: ['ids'], attribute: [int('axis', -1), int('keepdims', 0), int('select_last_index', 0)] }],
      input: [{ name: 'logits', type: { tensorType: { elemType: type, shape: dims(['batch', 'seq', 'vocab']) } } }],
      output: [{ name: 'ids', type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: dims(['batch', 'seq']) } } }],
    },
  }).finish();
}

export class Argmax {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(elemType: 'float32' | 'float16'): Promise<Argmax> {
    // One thread: a scan this size is done before a thread pool would wake up.
    const session = await ort.InferenceSession.create(argmaxModel(elemType), { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
    return new Argmax(session);
  }

  /** The index of the largest logit of each row's last position. */
  async last(logits: ort.Tensor): Promise<number[]> {
    const [batch, seq] = logits.dims as [number, number, number];
    const out = await this.session.run({ logits });
    const ids = (out.ids as ort.Tensor).data as BigInt64Array;
    return Array.from({ length: batch }, (_, b) => Number(ids[b * seq + seq - 1]));
  }
}
