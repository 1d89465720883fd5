/** A small ONNX graph builder over the onnx-proto protobuf classes. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { float32ToFloat16 } from './fp16.js';

// onnx-proto is CommonJS: its namespace only comes through the default import.
const { onnx } = onnxProto;
type IAttributeProto = OnnxTypes.IAttributeProto;
type INodeProto = OnnxTypes.INodeProto;
type ITensorProto = OnnxTypes.ITensorProto;
type IValueInfoProto = OnnxTypes.IValueInfoProto;

export const DataType = onnx.TensorProto.DataType;
export type DataTypeId = OnnxTypes.TensorProto.DataType;
/** A dimension: a fixed size or a symbolic name such as "batch_size". */
export type Dim = number | string;
export type AttrValue = number | string | number[] | { ints: number[] } | { float: number };

export const OPSET = 17;
/** IR 8 is the newest the bundled onnx.proto (v1.10) describes; it covers opset 17. */
export const IR_VERSION = 8;

export interface SaveOptions {
  /** Write initializers of at least `threshold` bytes into `<file>_data`-style external data. */
  externalData?: boolean;
  /** Bytes; smaller tensors stay inline (the onnx Python default is 1024). */
  threshold?: number;
}

interface PendingTensor {
  name: string;
  dataType: DataTypeId;
  dims: number[];
  bytes: Uint8Array;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function valueInfo(name: string, elemType: DataTypeId, dims: readonly Dim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  return { name, type: T.FLOAT, f: value.float };
}

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly valueInfos: IValueInfoProto[] = [];
  private readonly tensors: PendingTensor[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private scopeStack: string[] = [];

  constructor(
    readonly graphName: string,
    /** Element type of the float weights and activations: FLOAT or FLOAT16. */
    readonly floatType: DataTypeId = DataType.FLOAT,
  ) {}

  /** Prefix node and value names made inside `fn`, like the exporters' "/model/layers.0/..." names. */
  scope<T>(name: string, fn: () => T): T {
    this.scopeStack.push(name);
    try {
      return fn();
    } finally {
      this.scopeStack.pop();
    }
  }

  private fresh(base: string): string {
    const prefix = this.scopeStack.length ? `/${this.scopeStack.join('/')}/` : '/';
    let name = `${prefix}${base}`;
    while (this.names.has(name)) name = `${prefix}${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: DataTypeId, dims: readonly Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declare `value` as a graph output named `name` (an Identity node renames it when needed). */
  output(value: string, name: string, elemType: DataTypeId, dims: readonly Dim[]): string {
    if (value !== name) this.node('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Optional shape annotation for an intermediate value. */
  annotate(name: string, elemType: DataTypeId, dims: readonly Dim[]): void {
    this.valueInfos.push(valueInfo(name, elemType, dims));
  }

  /** Add a node with one output; returns that output's name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? this.fresh(`${op}_output_0`);
    if (outputName) this.names.add(outputName);
    this.nodes.push({
      opType: op,
      name: this.fresh(op),
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  private addTensor(name: string, dataType: DataTypeId, dims: readonly number[], bytes: Uint8Array, fresh = false): string {
    if (!fresh) {
      if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`);
      this.names.add(name);
    }
    this.tensors.push({ name, dataType, dims: [...dims], bytes });
    return name;
  }

  /** A float initializer, stored in the graph's float type. */
  weight(name: string, dims: readonly number[], values: Float32Array, fresh = false): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    const bytes = this.floatType === DataType.FLOAT16 ? bytesOf(float32ToFloat16(values)) : bytesOf(values);
    return this.addTensor(name, this.floatType, dims, bytes, fresh);
  }

  /** A float32 initializer whatever the graph's float type (for position maths). */
  float32(name: string, dims: readonly number[], values: readonly number[] | Float32Array): string {
    return this.addTensor(name, DataType.FLOAT, dims, bytesOf(Float32Array.from(values)));
  }

  /** A float constant in the graph's float type; `dims` [] makes a scalar. */
  floatConst(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.weight(this.fresh('const_float'), dims, Float32Array.from(values), true);
  }

  int64(values: readonly (number | bigint)[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.addTensor(this.fresh('const_int64'), DataType.INT64, dims, bytesOf(data), true);
  }

  bool(values: readonly boolean[], dims: readonly number[] = [values.length]): string {
    return this.addTensor(this.fresh('const_bool'), DataType.BOOL, dims, Uint8Array.from(values.map(Number)), true);
  }

  /** Encode the model; with `externalData`, also return the bytes of the external data file. */
  build(externalLocation?: string, threshold = 1024): { model: Uint8Array; data: Uint8Array | null } {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializer: ITensorProto[] = this.tensors.map((t) => {
      const base: ITensorProto = { name: t.name, dataType: t.dataType, dims: t.dims };
      if (!externalLocation || t.bytes.byteLength < threshold) return { ...base, rawData: t.bytes };
      // Page-align big tensors so ORT can map them straight from the file.
      const align = t.bytes.byteLength >= 4096 ? 4096 : 64;
      const pad = (align - (offset % align)) % align;
      if (pad) chunks.push(new Uint8Array(pad));
      offset += pad;
      const entry: ITensorProto = {
        ...base,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: externalLocation },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(t.bytes.byteLength) },
        ],
      };
      chunks.push(t.bytes);
      offset += t.bytes.byteLength;
      return entry;
    });
    const model = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: IR_VERSION,
        producerName: 'glm-vision tiny-model',
        producerVersion: '1',
        opsetImport: [{ domain: '', version: OPSET }],
        graph: {
          name: this.graphName,
          node: this.nodes,
          initializer,
          input: this.inputs,
          output: this.outputs,
          valueInfo: this.valueInfos,
        },
      }),
    ).finish();
    if (!externalLocation) return { model, data: null };
    const data = new Uint8Array(offset);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    return { model, data };
  }

  /** Write `<path>` and, with external data, `<path>_data` next to it (the "model.onnx_data" convention). */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const location = options.externalData ? `${basename(path)}_data` : undefined;
    const { model, data } = this.build(location, options.threshold);
    await writeFile(path, model);
    if (data) await writeFile(`${path}_data`, data);
  }
}
