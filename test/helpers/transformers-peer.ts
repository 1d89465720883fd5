// transformers.js (@huggingface/transformers, a dev dependency) on a local model folder: the peer
// that test/onnx-peer.test.ts and the bench hold glm-vision's engine against. Nothing is fetched:
// remote models are off and the folder is read from disk.
import path from 'node:path';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  env,
  RawImage,
  Tensor,
  type PreTrainedModel,
  type Processor,
} from '@huggingface/transformers';

/** One request as both engines see it: an image's patches, its grid and a chat prompt. */
export interface PeerRow {
  prompt: string;
  pixelValues: Float32Array;
  grid: [number, number, number];
}

type RopeIndex = (ids: Tensor, grids: Tensor, videos: null, mask: Tensor) => [Tensor, Tensor];

const IMAGE_TOKEN = { qwen2_vl: '<|image_pad|>', glm: '<|image|>' } as const;

export class Peer {
  private constructor(
    readonly processor: Processor,
    readonly model: PreTrainedModel,
    private readonly imageToken: string,
    private readonly eos: number[],
  ) {}

  /** Patches per visual token (merge_size²). */
  private get merge(): number {
    const config = (this.processor.image_processor as unknown as { config: { merge_size?: number } }).config;
    return (config.merge_size ?? 2) ** 2;
  }

  /** The model in `dir`, on the CPU with `threads` threads. */
  static async load(dir: string, family: 'qwen2_vl' | 'glm', threads: number): Promise<Peer> {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = path.dirname(path.resolve(dir)) + path.sep;
    const id = path.basename(path.resolve(dir));
    const processor = await AutoProcessor.from_pretrained(id);
    const model = await AutoModelForImageTextToText.from_pretrained(id, {
      dtype: 'fp32',
      device: 'cpu',
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    const gen = model.generation_config as { eos_token_id?: number | number[] } | null;
    const eos = gen?.eos_token_id ?? [];
    return new Peer(processor, model, IMAGE_TOKEN[family], Array.isArray(eos) ? eos : [eos]);
  }

  /** The chat-templated prompt with one image before the text, as glm-vision renders it. */
  chat(prompt: string): string {
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: prompt }] }];
    return this.processor.apply_chat_template(messages as never, { add_generation_prompt: true, enable_thinking: false } as never) as string;
  }

  /** transformers.js's own processing of an image file and a prompt: grid, token ids and pixel values. */
  async process(file: string, prompt: string): Promise<{ grid: number[]; ids: number[]; pixelValues: Float32Array }> {
    const image = await RawImage.read(file);
    const out = (await this.processor(this.chat(prompt), image)) as Record<string, Tensor>;
    return {
      grid: (out.image_grid_thw as Tensor).tolist().flat().map(Number),
      ids: ((out.input_ids as Tensor).tolist() as bigint[][]).flat().map(Number),
      pixelValues: (out.pixel_values as Tensor).data as Float32Array,
    };
  }

  /** transformers.js end to end on one image, as its users run it: its own processing, then greedy generate(). */
  async answer(file: string, prompt: string, maxTokens: number): Promise<number[]> {
    const image = await RawImage.read(file);
    const inputs = (await this.processor(this.chat(prompt), image)) as Record<string, Tensor>;
    const width = (inputs.input_ids as Tensor).dims[1] as number;
    const out = (await this.model.generate({ ...inputs, max_new_tokens: maxTokens, do_sample: false } as never)) as Tensor;
    return ((out.tolist() as bigint[][])[0] as bigint[]).slice(width).map(Number);
  }

  /** Token ids, left-padded, with each image token repeated once per visual token, as the processor does. */
  encode(rows: PeerRow[]): { input_ids: Tensor; attention_mask: Tensor } {
    const texts = rows.map((r) => this.chat(r.prompt).replace(this.imageToken, this.imageToken.repeat((r.grid[0] * r.grid[1] * r.grid[2]) / this.merge)));
    const tokenizer = this.processor.tokenizer as NonNullable<Processor['tokenizer']> & { padding_side: string };
    tokenizer.padding_side = 'left';
    return tokenizer(texts, { padding: true, add_special_tokens: false }) as { input_ids: Tensor; attention_mask: Tensor };
  }

  /** get_rope_index's M-RoPE positions [3][rows][width] and each row's delta. */
  positions(rows: PeerRow[]): { positions: number[][][]; deltas: number[] } {
    const { input_ids, attention_mask } = this.encode(rows);
    const rope = (this.model as unknown as { get_rope_index: RopeIndex }).get_rope_index.bind(this.model);
    const [pos, delta] = rope(input_ids, grids(rows), null, attention_mask);
    return {
      positions: (pos.tolist() as bigint[][][]).map((axis) => axis.map((row) => row.map(Number))),
      deltas: (delta.tolist() as bigint[][]).map((d) => Number(d[0])),
    };
  }

  /** Greedy ids for all rows in one generate() call, each cut at its first EOS (excluded), like glm-vision's. */
  async generate(rows: PeerRow[], maxTokens: number): Promise<number[][]> {
    const text = this.encode(rows);
    const values = rows.reduce((s, r) => s + r.pixelValues.length, 0);
    const patches = rows.reduce((s, r) => s + r.grid[0] * r.grid[1] * r.grid[2], 0);
    const pixels = new Float32Array(values);
    let at = 0;
    for (const r of rows) {
      pixels.set(r.pixelValues, at);
      at += r.pixelValues.length;
    }
    const width = text.input_ids.dims[1] as number;
    const out = (await this.model.generate({
      ...text,
      pixel_values: new Tensor('float32', pixels, [patches, values / patches]),
      image_grid_thw: grids(rows),
      max_new_tokens: maxTokens,
      do_sample: false,
    } as never)) as Tensor;
    return (out.tolist() as bigint[][]).map((seq) => {
      const ids = seq.slice(width).map(Number);
      const end = ids.findIndex((id) => this.eos.includes(id));
      return end < 0 ? ids : ids.slice(0, end);
    });
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

function grids(rows: PeerRow[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(rows.flatMap((r) => r.grid.map(BigInt))), [rows.length, 3]);
}
