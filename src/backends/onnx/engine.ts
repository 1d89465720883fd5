// The in-process model: vision encoder, token embeddings and the KV-cache
// decoder loop over a batch of rows. Runs inside the worker thread, because
// onnxruntime-node's run() blocks the thread it runs on.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { UsageError } from '../../errors.js';
import type { Family } from './image-processor.js';
import { loadModelDir, type Dtype, type ModelDir } from './model-dir.js';
import { ropePositions } from './rope-index.js';
import { createRng, sampleToken, type SamplingParams } from './sampler.js';
import { TextCodec } from './text.js';

export type Device = 'cpu' | 'cuda' | 'auto';

export interface EngineOptions {
  dir: string;
  dtype: Dtype;
  device: Device;
  threads: number;
}

export const CUDA_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

/** Whether ORT's CUDA provider library was installed next to its binding (the default install skips it). */
export function cudaProviderInstalled(): boolean {
  const root = path.dirname(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  const dir = path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so')) || existsSync(path.join(dir, 'onnxruntime_providers_cuda.dll'));
}

/** One request as the worker receives it. */
export interface EngineJob {
  pixelValues: Float32Array;
  grid: [number, number, number];
  tokens: number;
  system?: string;
  prompt: string;
  maxTokens: number;
  sampling: SamplingParams;
  seed: number;
}

/** A job with its prompt tokenised: what the batcher groups on. */
export interface EngineRow {
  job: EngineJob;
  ids: number[];
  /** Positions of the prompt on the t, h, w axes. */
  positions: { t: number[]; h: number[]; w: number[] };
  /** The next position after the prompt (same on all axes). */
  nextPosition: number;
  key: string;
  visualTokens: number;
}

export interface EngineOutput {
  text: string;
  /** Generated token ids, EOS excluded. */
  ids: number[];
  finishReason: 'stop' | 'length';
  tokensIn: number;
  tokensOut: number;
}

type TypedArray = Float32Array | Uint16Array | BigInt64Array;

interface KvShape {
  kvHeads: number;
  headDim: number;
  type: ort.Tensor.Type;
}

export class Engine {
  private multiImage = true;

  private constructor(
    readonly model: ModelDir,
    readonly codec: TextCodec,
    private readonly vision: ort.InferenceSession,
    private readonly embed: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly kv: KvShape,
    readonly device: 'cpu' | 'cuda',
  ) {}

  get family(): Family {
    return this.model.family;
  }

  static async load(options: EngineOptions, warn: (m: string) => void): Promise<Engine> {
    const model = loadModelDir(options.dir, options.dtype);
    const codec = await TextCodec.load(options.dir, { imageTokenId: model.ids.image, family: model.family });
    const base: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.threads || os.availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    // auto without the CUDA provider installed means the CPU, quietly: that is the default install.
    let device: 'cpu' | 'cuda' =
      options.device === 'cuda' || (options.device === 'auto' && cudaProviderInstalled()) ? 'cuda' : 'cpu';
    if (options.device === 'cuda' && !cudaProviderInstalled()) {
      throw new UsageError(`--device cuda: ONNX Runtime's CUDA provider is not installed. Install it with: ${CUDA_INSTALL_HINT} (needs CUDA 12, cuDNN 9)`);
    }
    const open = (file: string): Promise<ort.InferenceSession> =>
      ort.InferenceSession.create(file, { ...base, executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'] });
    let vision: ort.InferenceSession;
    try {
      vision = await open(model.graphs.vision_encoder);
    } catch (error) {
      if (device === 'cpu') throw describeLoadError(model.graphs.vision_encoder, error);
      if (options.device === 'cuda') {
        throw new UsageError(
          `--device cuda: ONNX Runtime's CUDA provider is not available (${firstLine(error)}). Install it with: ${CUDA_INSTALL_HINT} (needs CUDA 12, cuDNN 9)`,
        );
      }
      warn(`CUDA is not available (${firstLine(error)}); running on the CPU`);
      device = 'cpu';
      vision = await open(model.graphs.vision_encoder).catch((e: unknown) => {
        throw describeLoadError(model.graphs.vision_encoder, e);
      });
    }
    const embed = await open(model.graphs.embed_tokens).catch((e: unknown) => {
      throw describeLoadError(model.graphs.embed_tokens, e);
    });
    const decoder = await open(model.graphs.decoder_model_merged).catch((e: unknown) => {
      throw describeLoadError(model.graphs.decoder_model_merged, e);
    });
    return new Engine(model, codec, vision, embed, decoder, kvShape(decoder, model), device);
  }

  /** Tokenises a job's prompt and computes its 3-D positions. */
  prepare(job: EngineJob): EngineRow {
    const text = this.codec.renderChat({ system: job.system, user: job.prompt }, 1);
    const ids = this.codec.expandImages(this.codec.encode(text), [job.tokens]);
    const rope = ropePositions(ids, [job.grid], {
      family: this.model.family,
      imageTokenId: this.model.ids.image,
      visionStartTokenId: this.model.ids.visionStart,
      mergeSize: 2,
    });
    return {
      job, ids,
      positions: { t: rope.t, h: rope.h, w: rope.w },
      nextPosition: ids.length + rope.delta,
      key: `${job.grid.join('x')}:${ids.length}`,
      visualTokens: job.tokens,
    };
  }

  async generate(rows: EngineRow[]): Promise<EngineOutput[]> {
    const features = await this.encodeImages(rows);
    const width = Math.max(...rows.map((r) => r.ids.length));
    const hidden = await this.embedPrompt(rows, width, features);

    const n = rows.length;
    const generated: number[][] = rows.map(() => []);
    const finish: ('stop' | 'length' | undefined)[] = rows.map(() => undefined);
    const rngs = rows.map((r) => createRng(r.job.seed));
    const masks: number[][] = rows.map((r) => [...new Array<number>(width - r.ids.length).fill(0), ...new Array<number>(r.ids.length).fill(1)]);
    let active = rows.map((_, i) => i);
    let past = this.emptyPast(n);
    let inputs = hidden;
    let positions = this.promptPositions(rows, width);
    for (let step = 0; ; step++) {
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: inputs,
        attention_mask: int64(active.flatMap((i) => masks[i] as number[]), [active.length, (masks[active[0] as number] as number[]).length]),
        position_ids: positions,
        ...past,
      };
      if (this.decoder.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
      const out = await this.decoder.run(feeds);
      const logits = out.logits as ort.Tensor;
      const [, seq, vocab] = logits.dims as [number, number, number];
      const data = toFloat32(logits);

      const keep: number[] = [];
      const next: number[] = [];
      active.forEach((row, b) => {
        const r = rows[row] as EngineRow;
        const token = sampleToken(data, (b * seq + seq - 1) * vocab, vocab, r.job.sampling, rngs[row] as () => number);
        const out = generated[row] as number[];
        if (this.model.ids.eos.includes(token)) {
          finish[row] = 'stop';
          return;
        }
        out.push(token);
        if (out.length >= r.job.maxTokens) {
          finish[row] = 'length';
          return;
        }
        keep.push(b);
        next.push(token);
      });
      if (keep.length === 0) break;
      const present = this.presentAsPast(out, keep, active.length);
      active = keep.map((b) => active[b] as number);
      for (const row of active) (masks[row] as number[]).push(1);
      past = present;
      inputs = await this.embedTokens(next);
      positions = int64(
        [0, 1, 2].flatMap(() => active.map((row) => (rows[row] as EngineRow).nextPosition + step)),
        [3, active.length, 1],
      );
    }
    return rows.map((r, i) => ({
      text: this.codec.decode(generated[i] as number[]),
      ids: generated[i] as number[],
      finishReason: finish[i] ?? 'length',
      tokensIn: r.ids.length,
      tokensOut: (generated[i] as number[]).length,
    }));
  }

  /** One vision-encoder call for the batch, or one per image if the export takes only one. */
  private async encodeImages(rows: EngineRow[]): Promise<TypedArray[]> {
    const gridName = this.vision.inputNames.find((n) => n.includes('grid')) ?? 'grid_thw';
    const run = async (subset: EngineRow[]): Promise<TypedArray> => {
      const patches = subset.reduce((s, r) => s + r.job.grid[0] * r.job.grid[1] * r.job.grid[2], 0);
      const total = subset.reduce((s, r) => s + r.job.pixelValues.length, 0);
      const patchDim = total / patches;
      const pixels = new Float32Array(total);
      let at = 0;
      for (const r of subset) {
        pixels.set(r.job.pixelValues, at);
        at += r.job.pixelValues.length;
      }
      const out = await this.vision.run({
        pixel_values: new ort.Tensor('float32', pixels, [patches, patchDim]),
        [gridName]: int64(subset.flatMap((r) => r.job.grid), [subset.length, 3]),
      });
      return (out[this.vision.outputNames[0] as string] as ort.Tensor).data as TypedArray;
    };
    const split = (data: TypedArray, subset: EngineRow[]): TypedArray[] => {
      const hidden = data.length / subset.reduce((s, r) => s + r.job.tokens, 0);
      let at = 0;
      return subset.map((r) => {
        const part = data.subarray(at, at + r.job.tokens * hidden) as TypedArray;
        at += r.job.tokens * hidden;
        return part;
      });
    };
    if (rows.length > 1 && this.multiImage) {
      try {
        return split(await run(rows), rows);
      } catch {
        this.multiImage = false; // this export takes one image per call
      }
    }
    const parts: TypedArray[] = [];
    for (const r of rows) parts.push(...split(await run([r]), [r]));
    return parts;
  }

  private async embedTokens(ids: number[], rows = ids.length, width = 1): Promise<ort.Tensor> {
    const out = await this.embed.run({ input_ids: int64(ids, [rows, width]) });
    return out[this.embed.outputNames[0] as string] as ort.Tensor;
  }

  /** Left-padded prompt embeddings with each image's features in place of its placeholder tokens. */
  private async embedPrompt(rows: EngineRow[], width: number, features: TypedArray[]): Promise<ort.Tensor> {
    const ids = rows.flatMap((r) => [...new Array<number>(width - r.ids.length).fill(this.model.ids.pad), ...r.ids]);
    const embeds = await this.embedTokens(ids, rows.length, width);
    const data = embeds.data as TypedArray;
    const hidden = (embeds.dims[2] as number);
    rows.forEach((r, b) => {
      const feature = features[b] as TypedArray;
      const pad = width - r.ids.length;
      let k = 0;
      r.ids.forEach((id, j) => {
        if (id !== this.model.ids.image) return;
        (data as Float32Array).set(feature.subarray(k * hidden, (k + 1) * hidden) as Float32Array, (b * width + pad + j) * hidden);
        k++;
      });
    });
    return embeds;
  }

  private promptPositions(rows: EngineRow[], width: number): ort.Tensor {
    const values: number[] = [];
    for (const axis of ['t', 'h', 'w'] as const) {
      for (const r of rows) {
        const pad = width - r.ids.length;
        for (let j = 0; j < pad; j++) values.push(1);
        values.push(...r.positions[axis]);
      }
    }
    return int64(values, [3, rows.length, width]);
  }

  private emptyPast(batch: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.decoder.inputNames) {
      if (!name.startsWith('past_key_values.')) continue;
      feeds[name] = new ort.Tensor(this.kv.type, emptyOf(this.kv.type), [batch, this.kv.kvHeads, 0, this.kv.headDim]);
    }
    return feeds;
  }

  /** The decoder's present K/V as next step's past, keeping only the rows still generating. */
  private presentAsPast(out: ort.InferenceSession.ReturnType, keep: number[], batch: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.decoder.inputNames) {
      if (!name.startsWith('past_key_values.')) continue;
      const present = out[name.replace('past_key_values.', 'present.')] as ort.Tensor;
      feeds[name] = keep.length === batch ? present : selectRows(present, keep);
    }
    return feeds;
  }
}

function kvShape(decoder: ort.InferenceSession, model: ModelDir): KvShape {
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

function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** Logits as float32, whatever the export's dtype. */
function toFloat32(t: ort.Tensor): Float32Array {
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

function firstLine(error: unknown): string {
  return ((error as Error).message ?? String(error)).split('\n')[0] ?? '';
}

function describeLoadError(file: string, error: unknown): UsageError {
  return new UsageError(`Cannot load ${file}: ${firstLine(error)}`);
}
