// The in-process model: vision encoder, token embeddings and the KV-cache
// decoder loop over a batch of rows. Runs inside the worker thread, because
// onnxruntime-node's run() blocks the thread it runs on.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { UsageError } from '../../support/errors.js';
import { cudaProviderInstalled, cudaUnavailable } from './cuda.js';
import type { Family } from './image-processor.js';
import { loadModelDir, type Dtype, type ModelDir } from '../../models/model-dir.js';
import { ropePositions } from './rope-index.js';
import { compactRows, StepBuffers } from './step-buffers.js';
import { Argmax } from './argmax.js';
import { createRng, isGreedy, sampleToken, type SamplingParams } from './sampler.js';
import { expandImageTokens } from './image-tokens.js';

export type Device = 'cpu' | 'cuda' | 'auto';

export interface EngineOptions {
  dir: string;
  dtype: Dtype;
  device: Device;
  threads: number;
  /** Compute the keys and values of a prompt prefix shared by a batch's rows once (default true; off for comparison in tests). */
  prefixCache?: boolean;
}

/** One request as the worker receives it. */
export interface EngineJob {
  pixelValues: Float32Array;
  grid: [number, number, number];
  tokens: number;
  /** The chat-templated prompt's token ids, with one image placeholder (TextCodec.promptIds). */
  promptIds: number[];
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
  /** Generated token ids, EOS excluded; the main thread turns them into text. */
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
  /** Output buffers of the one-token decode steps. */
  private steps: StepBuffers | undefined;
  /** Keys and values of shared prompt prefixes, by token ids. */
  private readonly prefixes = new Map<string, Record<string, ort.Tensor>>();

  private constructor(
    readonly model: ModelDir,
    private readonly vision: ort.InferenceSession,
    private readonly embed: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly argmax: Argmax,
    private readonly kv: KvShape,
    private readonly prefixCache: boolean,
  ) {}

  get family(): Family {
    return this.model.family;
  }

  static async load(options: EngineOptions, warn: (m: string) => void): Promise<Engine> {
    const model = loadModelDir(options.dir, options.dtype);
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
      throw cudaUnavailable('not installed');
    }
    // Each session has its own thread pool, whose threads spin for a while after every run. Only the decoder
    // runs back to back; the others would spin on cores the decoder needs. The token embedding is a lookup:
    // no pool at all.
    const quiet: ort.InferenceSession.SessionOptions = { extra: { session: { intra_op: { allow_spinning: '0' } } } };
    const open = (file: string, own: ort.InferenceSession.SessionOptions = quiet): Promise<ort.InferenceSession> =>
      ort.InferenceSession.create(file, { ...base, ...own, executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'] });
    let vision: ort.InferenceSession;
    try {
      vision = await open(model.graphs.vision_encoder);
    } catch (error) {
      if (device === 'cpu') throw describeLoadError(model.graphs.vision_encoder, error);
      if (options.device === 'cuda') {
        throw cudaUnavailable(`not available (${firstLine(error)})`);
      }
      warn(`CUDA is not available (${firstLine(error)}); running on the CPU`);
      device = 'cpu';
      vision = await open(model.graphs.vision_encoder).catch((e: unknown) => {
        throw describeLoadError(model.graphs.vision_encoder, e);
      });
    }
    const embed = await open(model.graphs.embed_tokens, { intraOpNumThreads: 1 }).catch((e: unknown) => {
      throw describeLoadError(model.graphs.embed_tokens, e);
    });
    const decoder = await open(model.graphs.decoder_model_merged, {}).catch((e: unknown) => {
      throw describeLoadError(model.graphs.decoder_model_merged, e);
    });
    const logits = decoder.outputMetadata.find((m) => m.name === 'logits');
    const argmax = await Argmax.create(logits?.isTensor && logits.type === 'float16' ? 'float16' : 'float32');
    return new Engine(model, vision, embed, decoder, argmax, kvShape(decoder, model), options.prefixCache ?? true);
  }

  /** Expands a job's image placeholder and computes its 3-D positions. */
  prepare(job: EngineJob): EngineRow {
    const ids = expandImageTokens(job.promptIds, [job.tokens], this.model.ids.image);
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
    // The text before the image is the same in every request of a run: its keys and values are computed once.
    const shared = this.prefixCache ? this.sharedPrefix(rows) : 0;
    const prefix = shared > 0 ? await this.prefixPast(rows[0] as EngineRow, shared) : undefined;
    const start = prefix ? shared : 0;
    const width = Math.max(...rows.map((r) => r.ids.length - start));
    const hidden = await this.embedPrompt(rows, start, width, features);

    const n = rows.length;
    const generated: number[][] = rows.map(() => []);
    const finish: ('stop' | 'length' | undefined)[] = rows.map(() => undefined);
    const rngs = rows.map((r) => createRng(r.job.seed));
    // Padding goes between the shared prefix and each row's own tokens; the mask hides it.
    const pads = rows.map((r) => width - (r.ids.length - start));
    let length = start + width;
    let active = rows.map((_, i) => i);
    let past = prefix ? repeatRows(prefix, n) : this.emptyPast(n);
    let inputs = hidden;
    let positions = this.promptPositions(rows, start, width);
    for (let step = 0; ; step++) {
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: inputs,
        attention_mask: attentionMask(active.map((row) => pads[row] as number), start, length),
        position_ids: positions,
        ...past,
      };
      if (this.decoder.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
      // The prompt step lets ORT size its outputs; one-token steps write into our buffers, kept across batches.
      const fetches = step > 0 ? this.steps?.next(active.length, length) : undefined;
      const out = fetches ? (await this.decoder.run(feeds, fetches), fetches) : await this.decoder.run(feeds);
      const logits = out.logits as ort.Tensor;
      const [, seq, vocab] = logits.dims as [number, number, number];
      this.steps ??= new StepBuffers({
        present: this.decoder.outputNames.filter((name) => name.startsWith('present.')),
        kvType: this.kv.type === 'float16' ? 'float16' : 'float32',
        kvHeads: this.kv.kvHeads,
        headDim: this.kv.headDim,
        logitsType: logits.type === 'float16' ? 'float16' : 'float32',
        vocab,
      });
      const greedy = active.every((row) => isGreedy((rows[row] as EngineRow).job.sampling));
      const picks = greedy ? await this.argmax.last(logits) : undefined;
      let data: Float32Array | undefined;
      const choose = (b: number, row: number): number => {
        const offset = (b * seq + seq - 1) * vocab;
        const pick = picks?.[b];
        // NaN logits (a broken export) go to the JS scan, which never picks NaN.
        if (pick !== undefined && !Number.isNaN(logitAt(logits, offset + pick))) return pick;
        data ??= toFloat32(logits);
        return sampleToken(data, offset, vocab, (rows[row] as EngineRow).job.sampling, rngs[row] as () => number);
      };

      const keep: number[] = [];
      const next: number[] = [];
      active.forEach((row, b) => {
        const r = rows[row] as EngineRow;
        const token = choose(b, row);
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
      past = this.presentAsPast(out, keep);
      active = keep.map((b) => active[b] as number);
      length++;
      inputs = await this.embedTokens(next);
      positions = int64(
        [0, 1, 2].flatMap(() => active.map((row) => (rows[row] as EngineRow).nextPosition + step)),
        [3, active.length, 1],
      );
    }
    return rows.map((r, i) => ({
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

  /**
   * How many leading tokens all rows share, up to the first image: those can come from the prefix cache.
   * 0 when they differ (a batch of mixed templates) or there is no text before the image.
   */
  private sharedPrefix(rows: EngineRow[]): number {
    const first = rows[0] as EngineRow;
    let length = first.ids.indexOf(this.model.ids.image);
    for (const r of rows) {
      const image = r.ids.indexOf(this.model.ids.image);
      if (image < length) length = image;
    }
    if (length < 1) return 0;
    for (const r of rows) for (let j = 0; j < length; j++) if (r.ids[j] !== first.ids[j]) return 0;
    return length;
  }

  /** Keys and values of a text prefix for one row, computed once per distinct prefix. */
  private async prefixPast(row: EngineRow, length: number): Promise<Record<string, ort.Tensor>> {
    const ids = row.ids.slice(0, length);
    const key = ids.join(',');
    const hit = this.prefixes.get(key);
    if (hit) return hit;
    const positions = int64((['t', 'h', 'w'] as const).flatMap((axis) => row.positions[axis].slice(0, length)), [3, 1, length]);
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: await this.embedTokens(ids, 1, length),
      attention_mask: int64(new Array<number>(length).fill(1), [1, length]),
      position_ids: positions,
      ...this.emptyPast(1),
    };
    if (this.decoder.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
    const past = this.presentAsPast(await this.decoder.run(feeds), [0]);
    // A run uses one or two templates; a handful of entries is plenty.
    if (this.prefixes.size >= 8) this.prefixes.delete(this.prefixes.keys().next().value as string);
    this.prefixes.set(key, past);
    return past;
  }

  /** Prompt embeddings from token `start` on, left-padded to `width`, with each image's features in place of its placeholder tokens. */
  private async embedPrompt(rows: EngineRow[], start: number, width: number, features: TypedArray[]): Promise<ort.Tensor> {
    const ids = rows.flatMap((r) => [...new Array<number>(width - (r.ids.length - start)).fill(this.model.ids.pad), ...r.ids.slice(start)]);
    const embeds = await this.embedTokens(ids, rows.length, width);
    const data = embeds.data as TypedArray;
    const hidden = (embeds.dims[2] as number);
    rows.forEach((r, b) => {
      const feature = features[b] as TypedArray;
      const pad = width - (r.ids.length - start);
      let k = 0;
      for (let j = start; j < r.ids.length; j++) {
        if (r.ids[j] !== this.model.ids.image) continue;
        (data as Float32Array).set(feature.subarray(k * hidden, (k + 1) * hidden) as Float32Array, (b * width + pad + j - start) * hidden);
        k++;
      }
    });
    return embeds;
  }

  private promptPositions(rows: EngineRow[], start: number, width: number): ort.Tensor {
    const values: number[] = [];
    for (const axis of ['t', 'h', 'w'] as const) {
      for (const r of rows) {
        const pad = width - (r.ids.length - start);
        for (let j = 0; j < pad; j++) values.push(1);
        values.push(...r.positions[axis].slice(start));
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
  private presentAsPast(out: ort.InferenceSession.ReturnType, keep: number[]): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.decoder.inputNames) {
      if (!name.startsWith('past_key_values.')) continue;
      feeds[name] = compactRows(out[name.replace('past_key_values.', 'present.')] as ort.Tensor, keep);
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

/** A batch of `n` rows that all start from the same one-row past. */
function repeatRows(past: Record<string, ort.Tensor>, n: number): Record<string, ort.Tensor> {
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

/** [rows, length] of ones, with each row's padding (pads[b] tokens from `start`) zero. */
function attentionMask(pads: number[], start: number, length: number): ort.Tensor {
  const mask = new BigInt64Array(pads.length * length).fill(1n);
  pads.forEach((pad, b) => mask.fill(0n, b * length + start, b * length + start + pad));
  return new ort.Tensor('int64', mask, [pads.length, length]);
}

function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

function logitAt(t: ort.Tensor, i: number): number {
  return t.type === 'float16' ? halfToFloat((t.data as Uint16Array)[i] as number) : ((t.data as Float32Array)[i] as number);
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
