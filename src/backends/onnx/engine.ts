// The in-process model: vision encoder, token embeddings and the KV-cache
// decoder loop over a batch of rows. Runs inside the worker thread, because
// onnxruntime-node's run() blocks the thread it runs on.
import * as ort from 'onnxruntime-node';
import type { Family, ModelDir } from '../../models/model-dir.js';
import { ropePositions } from './rope-index.js';
import { StepBuffers } from './step-buffers.js';
import { Argmax } from './argmax.js';
import { createRng, isGreedy, sampleToken, type SamplingParams } from './sampler.js';
import { expandImageTokens } from './image-tokens.js';
import { attentionMask, int64, type TypedArray } from './feeds.js';
import { KvCache, kvShape, repeatRows, sharedPrefix, type Past } from './kv-cache.js';
import { logitAt, toFloat32 } from './logits.js';
import { loadSessions, type EngineOptions } from './load-sessions.js';
import { VisionEncoder } from './vision-encoder.js';

export type { Device, EngineOptions } from './load-sessions.js';

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

export class Engine {
  /** Output buffers of the one-token decode steps. */
  private steps: StepBuffers | undefined;

  private constructor(
    readonly model: ModelDir,
    private readonly vision: VisionEncoder,
    private readonly embed: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly argmax: Argmax,
    private readonly kv: KvCache,
    private readonly prefixCache: boolean,
    /** Where it runs and on how many threads, auto resolved. */
    readonly placement: { device: 'cpu' | 'cuda'; threads: number },
  ) {}

  get family(): Family {
    return this.model.family;
  }

  static async load(options: EngineOptions, warn: (m: string) => void): Promise<Engine> {
    const { model, vision, embed, decoder, device, threads } = await loadSessions(options, warn);
    const logits = decoder.outputMetadata.find((m) => m.name === 'logits');
    const argmax = await Argmax.create(logits?.isTensor && logits.type === 'float16' ? 'float16' : 'float32');
    const kv = new KvCache(decoder, kvShape(decoder, model));
    return new Engine(model, new VisionEncoder(vision), embed, decoder, argmax, kv, options.prefixCache ?? true, { device, threads });
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
    const features = await this.vision.encode(rows.map((r) => r.job));
    // The text before the image is the same in every request of a run: its keys and values are computed once.
    const shared = this.prefixCache ? sharedPrefix(rows.map((r) => r.ids), this.model.ids.image) : 0;
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
    let past = prefix ? repeatRows(prefix, n) : this.kv.empty(n);
    let inputs = hidden;
    let positions = promptPositions(rows, start, width);
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
        kvType: this.kv.shape.type === 'float16' ? 'float16' : 'float32',
        kvHeads: this.kv.shape.kvHeads,
        headDim: this.kv.shape.headDim,
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
      past = this.kv.fromPresent(out, keep);
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

  private async embedTokens(ids: number[], rows = ids.length, width = 1): Promise<ort.Tensor> {
    const out = await this.embed.run({ input_ids: int64(ids, [rows, width]) });
    return out[this.embed.outputNames[0] as string] as ort.Tensor;
  }

  /** Keys and values of a text prefix for one row, computed once per distinct prefix. */
  private prefixPast(row: EngineRow, length: number): Promise<Past> {
    const ids = row.ids.slice(0, length);
    return this.kv.prefix(ids, async () => {
      const positions = int64((['t', 'h', 'w'] as const).flatMap((axis) => row.positions[axis].slice(0, length)), [3, 1, length]);
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: await this.embedTokens(ids, 1, length),
        attention_mask: int64(new Array<number>(length).fill(1), [1, length]),
        position_ids: positions,
        ...this.kv.empty(1),
      };
      if (this.decoder.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
      return this.kv.fromPresent(await this.decoder.run(feeds), [0]);
    });
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
}

/** The prompt's positions from token `start` on, left-padded to `width` like its embeddings. */
function promptPositions(rows: EngineRow[], start: number, width: number): ort.Tensor {
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
