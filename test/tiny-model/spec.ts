/** Resolves generator options into one description of the tiny model: sizes, token ids and names. */

export type Family = 'qwen2_vl' | 'glm';
export type ModelType = 'qwen2_vl' | 'glm4v' | 'glm_ocr' | 'glm46v';
export type GraphName = 'vision_encoder' | 'embed_tokens' | 'decoder_model_merged';
/** File-name suffix of a dtype variant, as in onnx-community repos: '' (fp32) or '_fp16'. */
export type DtypeSuffix = '' | '_fp16';
/**
 * Qwen's preprocessor_config.json: as transformers saves it (the onnx-community export's 567 bytes), the original
 * Qwen repo's 9 keys, or the newer `size: {shortest_edge, longest_edge}` form.
 */
const PREPROCESSOR_LAYOUTS = ['saved', 'original', 'size-edges'] as const;
export type PreprocessorLayout = (typeof PREPROCESSOR_LAYOUTS)[number];
/** Where the chat template lives: tokenizer_config.json (a string, or a list of named templates), or its own file. */
const TEMPLATE_PLACES = ['tokenizer_config', 'tokenizer_config_list', 'chat_template.jinja', 'chat_template.json'] as const;
export type ChatTemplatePlace = (typeof TEMPLATE_PLACES)[number];

export interface TinyModelOptions {
  family: Family;
  outDir: string;
  /** GLM only: which checkpoint's config layout to mimic (default glm_ocr, the one with a public ONNX export). */
  modelType?: ModelType;
  layers?: number;
  hidden?: number;
  vocab?: number;
  heads?: number;
  kvHeads?: number;
  intermediate?: number;
  /** Width of the vision encoder's patch embedding. */
  visionHidden?: number;
  seed?: number;
  /** '' or 'fp32' for float32, 'fp16' for float16 (default ['']). */
  dtypes?: readonly string[];
  /** Give the decoder a `num_logits_to_keep` input (default true). */
  logitsToKeep?: boolean;
  /** Graphs whose weights go to `<name>.onnx_data` (default vision_encoder and decoder_model_merged). */
  externalData?: readonly GraphName[];
  /** Qwen only (default 'saved'). */
  preprocessorLayout?: PreprocessorLayout;
  /** Default tokenizer_config, where transformers.js reads it. */
  chatTemplateIn?: ChatTemplatePlace;
  /** A vision encoder that fails on more than one image per call, as some exports do (default false). */
  visionOneImagePerCall?: boolean;
}

export interface TinySpec {
  family: Family;
  modelType: ModelType;
  seed: number;
  layers: number;
  hidden: number;
  vocab: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  visionHidden: number;
  /** Rotary dims per head (head_dim × partial_rotary_factor). */
  rotaryDim: number;
  partialRotaryFactor: number;
  /** Sizes of the t/h/w slices of the rotary half-dim. */
  mropeSection: [number, number, number];
  /** Qwen rotates halves; GLM rotates interleaved pairs. */
  ropeStyle: 'half' | 'interleaved';
  ropeTheta: number;
  rmsNormEps: number;
  attentionBias: boolean;
  /** GLM-4 layers add post-attention and post-MLP norms ("sandwich" norms). */
  sandwichNorms: boolean;
  tieWordEmbeddings: boolean;
  logitsToKeep: boolean;
  suffixes: DtypeSuffix[];
  externalData: GraphName[];
  /** Name of the vision encoder's grid input. */
  gridInputName: 'grid_thw' | 'image_grid_thw';
  visionOneImagePerCall: boolean;
  preprocessorLayout: PreprocessorLayout;
  chatTemplateIn: ChatTemplatePlace;
  /** Special tokens in id order; they take the top ids of the vocabulary. */
  specialTokens: SpecialToken[];
  /** Role name → token id, for the config files. */
  ids: Record<string, number>;
}

export interface SpecialToken {
  content: string;
  id: number;
  special: boolean;
}

// Same relative order as the real tokenizers (Qwen2-VL: 151643…151656; GLM-4.5V/GLM-OCR: <|endoftext|> + 0…34).
const QWEN_SPECIALS = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|object_ref_start|>',
  '<|object_ref_end|>',
  '<|box_start|>',
  '<|box_end|>',
  '<|quad_start|>',
  '<|quad_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|vision_pad|>',
  '<|image_pad|>',
  '<|video_pad|>',
];

// Thinking, box and /nothink markers must survive skip_special_tokens decoding (servers return them as text).
const GLM_SPECIALS: Array<[string, boolean]> = [
  ['<|endoftext|>', true],
  ['[MASK]', true],
  ['[gMASK]', true],
  ['[sMASK]', true],
  ['<sop>', true],
  ['<eop>', true],
  ['<|system|>', true],
  ['<|user|>', true],
  ['<|assistant|>', true],
  ['<|observation|>', true],
  ['<|begin_of_image|>', true],
  ['<|end_of_image|>', true],
  ['<|begin_of_video|>', true],
  ['<|end_of_video|>', true],
  ['<think>', false],
  ['</think>', false],
  ['<tool_call>', false],
  ['</tool_call>', false],
  ['/nothink', false],
  ['<|begin_of_box|>', false],
  ['<|end_of_box|>', false],
  ['<|image|>', true],
  ['<|video|>', true],
];

/** Scale a real mrope_section (e.g. [16, 24, 24]) to `half` rotary frequencies, keeping every slice ≥ 1. */
export function scaleMropeSection(real: readonly number[], half: number): [number, number, number] {
  if (half < 3) throw new Error(`rotary half-dim ${half} is too small for three M-RoPE sections`);
  const total = real.reduce((a, b) => a + b, 0);
  const exact = real.map((r) => (r * half) / total);
  const out = exact.map((x) => Math.max(1, Math.floor(x)));
  let left = half - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = order[k]?.[1] ?? 0;
    out[i] = (out[i] ?? 0) + 1;
  }
  for (let k = out.length - 1; left < 0; k = (k + out.length - 1) % out.length) {
    if ((out[k] ?? 0) > 1) {
      out[k] = (out[k] ?? 0) - 1;
      left++;
    }
  }
  return [out[0] ?? 1, out[1] ?? 1, out[2] ?? 1];
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return value;
}

function oneOf<T extends string>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return value;
}

function parseDtypes(dtypes: readonly string[] | undefined): DtypeSuffix[] {
  const out = new Set<DtypeSuffix>();
  for (const raw of dtypes ?? ['']) {
    const d = raw.trim().replace(/^_/, '');
    if (d === '' || d === 'fp32') out.add('');
    else if (d === 'fp16') out.add('_fp16');
    else throw new Error(`unsupported dtype "${raw}" (use "" / fp32 or fp16)`);
  }
  return [...out];
}

/** Room for the 256 byte tokens plus some merges, below the special tokens. */
const MIN_REGULAR_TOKENS = 256 + 128;

export function resolveSpec(options: TinyModelOptions): TinySpec {
  const family = options.family;
  if (family !== 'qwen2_vl' && family !== 'glm') throw new Error(`unknown family "${String(family)}"`);
  const modelType: ModelType = family === 'qwen2_vl' ? 'qwen2_vl' : (options.modelType ?? 'glm_ocr');
  if (family === 'qwen2_vl' && options.modelType && options.modelType !== 'qwen2_vl') {
    throw new Error(`--model-type ${options.modelType} needs --family glm`);
  }
  if (family === 'glm' && !['glm4v', 'glm_ocr', 'glm46v'].includes(modelType)) {
    throw new Error(`--model-type must be glm4v, glm_ocr or glm46v, got ${modelType}`);
  }
  if (family === 'glm' && options.preprocessorLayout) throw new Error('--preprocessor-layout needs --family qwen2_vl');
  const layers = positiveInt('layers', options.layers ?? 2);
  const hidden = positiveInt('hidden', options.hidden ?? 64);
  const vocab = positiveInt('vocab', options.vocab ?? 512);
  const heads = positiveInt('heads', options.heads ?? 4);
  const kvHeads = positiveInt('kv-heads', options.kvHeads ?? 2);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${seed}`);
  if (hidden % heads !== 0) throw new Error(`--hidden ${hidden} is not divisible by --heads ${heads}`);
  if (heads % kvHeads !== 0) throw new Error(`--heads ${heads} is not divisible by --kv-heads ${kvHeads}`);
  const headDim = hidden / heads;
  const partialRotaryFactor = modelType === 'glm4v' || modelType === 'glm46v' ? 0.5 : 1;
  const rotaryDim = headDim * partialRotaryFactor;
  if (rotaryDim % 2 !== 0) throw new Error(`rotary dim ${rotaryDim} must be even; pick another --hidden/--heads`);
  const realSection = partialRotaryFactor === 1 ? [16, 24, 24] : [8, 12, 12];

  const specials: Array<[string, boolean]> =
    family === 'qwen2_vl' ? QWEN_SPECIALS.map((s) => [s, true]) : GLM_SPECIALS;
  if (vocab < MIN_REGULAR_TOKENS + specials.length) {
    throw new Error(`--vocab ${vocab} is too small (need at least ${MIN_REGULAR_TOKENS + specials.length})`);
  }
  const first = vocab - specials.length;
  const specialTokens = specials.map(([content, special], i) => ({ content, special, id: first + i }));
  const id = (content: string): number => {
    const t = specialTokens.find((s) => s.content === content);
    if (!t) throw new Error(`no special token ${content}`);
    return t.id;
  };
  const ids: Record<string, number> =
    family === 'qwen2_vl'
      ? {
          endoftext: id('<|endoftext|>'),
          im_start: id('<|im_start|>'),
          im_end: id('<|im_end|>'),
          vision_start: id('<|vision_start|>'),
          vision_end: id('<|vision_end|>'),
          vision_pad: id('<|vision_pad|>'),
          image: id('<|image_pad|>'),
          video: id('<|video_pad|>'),
        }
      : {
          endoftext: id('<|endoftext|>'),
          gmask: id('[gMASK]'),
          sop: id('<sop>'),
          user: id('<|user|>'),
          assistant: id('<|assistant|>'),
          observation: id('<|observation|>'),
          image_start: id('<|begin_of_image|>'),
          image_end: id('<|end_of_image|>'),
          video_start: id('<|begin_of_video|>'),
          video_end: id('<|end_of_video|>'),
          image: id('<|image|>'),
          video: id('<|video|>'),
        };

  return {
    family,
    modelType,
    seed,
    layers,
    hidden,
    vocab,
    heads,
    kvHeads,
    headDim,
    intermediate: positiveInt('intermediate', options.intermediate ?? hidden * 3),
    visionHidden: positiveInt('vision-hidden', options.visionHidden ?? 32),
    rotaryDim,
    partialRotaryFactor,
    mropeSection: scaleMropeSection(realSection, rotaryDim / 2),
    ropeStyle: family === 'qwen2_vl' ? 'half' : 'interleaved',
    ropeTheta: family === 'qwen2_vl' ? 1_000_000 : 10_000,
    rmsNormEps: family === 'qwen2_vl' ? 1e-6 : 1e-5,
    attentionBias: modelType !== 'glm_ocr',
    sandwichNorms: family === 'glm',
    tieWordEmbeddings: family === 'qwen2_vl',
    logitsToKeep: options.logitsToKeep ?? true,
    suffixes: parseDtypes(options.dtypes),
    externalData: [...(options.externalData ?? ['vision_encoder', 'decoder_model_merged'])],
    gridInputName: modelType === 'qwen2_vl' ? 'grid_thw' : 'image_grid_thw',
    visionOneImagePerCall: options.visionOneImagePerCall ?? false,
    preprocessorLayout: oneOf('preprocessor-layout', options.preprocessorLayout ?? 'saved', PREPROCESSOR_LAYOUTS),
    chatTemplateIn: oneOf('chat-template-in', options.chatTemplateIn ?? 'tokenizer_config', TEMPLATE_PLACES),
    specialTokens,
    ids,
  };
}
