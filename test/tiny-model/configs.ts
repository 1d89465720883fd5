/**
 * config.json, generation_config.json and preprocessor_config.json with the field names of the real checkpoints:
 * Qwen2-VL-2B-Instruct (flat transformers-4.45 layout), GLM-OCR / GLM-4.6V (nested text_config, rope_parameters),
 * GLM-4.1V (nested text_config, older rope_scaling keys). Token ids point into the tiny vocabulary.
 */
import type { TinySpec } from './spec.js';

type Json = Record<string, unknown>;

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

function id(spec: TinySpec, role: string): number {
  const v = spec.ids[role];
  if (v === undefined) throw new Error(`no token id for ${role}`);
  return v;
}

export function eosTokenIds(spec: TinySpec): number[] {
  if (spec.family === 'qwen2_vl') return [id(spec, 'im_end'), id(spec, 'endoftext')];
  // GLM-OCR stops on <|endoftext|> and <|user|>; GLM-4.x-V also on <|observation|>.
  const ids = [id(spec, 'endoftext'), id(spec, 'user')];
  return spec.modelType === 'glm_ocr' ? ids : [...ids, id(spec, 'observation')];
}

function qwenConfig(spec: TinySpec): Json {
  return {
    architectures: ['Qwen2VLForConditionalGeneration'],
    attention_dropout: 0.0,
    bos_token_id: id(spec, 'endoftext'),
    eos_token_id: id(spec, 'im_end'),
    vision_start_token_id: id(spec, 'vision_start'),
    vision_end_token_id: id(spec, 'vision_end'),
    vision_token_id: id(spec, 'vision_pad'),
    image_token_id: id(spec, 'image'),
    video_token_id: id(spec, 'video'),
    hidden_act: 'silu',
    hidden_size: spec.hidden,
    initializer_range: 0.02,
    intermediate_size: spec.intermediate,
    max_position_embeddings: 32768,
    max_window_layers: spec.layers,
    model_type: 'qwen2_vl',
    num_attention_heads: spec.heads,
    num_hidden_layers: spec.layers,
    num_key_value_heads: spec.kvHeads,
    rms_norm_eps: spec.rmsNormEps,
    rope_theta: spec.ropeTheta,
    sliding_window: 32768,
    tie_word_embeddings: spec.tieWordEmbeddings,
    torch_dtype: 'float32',
    transformers_version: '4.45.0',
    use_cache: true,
    use_sliding_window: false,
    vision_config: {
      depth: 1,
      embed_dim: spec.visionHidden,
      mlp_ratio: 4,
      num_heads: 2,
      in_chans: 3,
      hidden_size: spec.hidden,
      patch_size: 14,
      spatial_merge_size: 2,
      temporal_patch_size: 2,
    },
    rope_scaling: { type: 'mrope', mrope_section: spec.mropeSection },
    vocab_size: spec.vocab,
  };
}

function glmConfig(spec: TinySpec): Json {
  const type = spec.modelType;
  const architecture = {
    glm_ocr: 'GlmOcrForConditionalGeneration',
    glm4v: 'Glm4vForConditionalGeneration',
    glm46v: 'Glm46VForConditionalGeneration',
  }[type as 'glm_ocr' | 'glm4v' | 'glm46v'];
  const eos = eosTokenIds(spec);
  const rope =
    type === 'glm4v'
      ? {
          // transformers 4.5x keys (GLM-4.1V era)
          partial_rotary_factor: spec.partialRotaryFactor,
          rope_theta: spec.ropeTheta,
          rope_scaling: { type: 'default', mrope_section: spec.mropeSection },
        }
      : {
          rope_parameters: {
            rope_type: 'default',
            mrope_section: spec.mropeSection,
            partial_rotary_factor: spec.partialRotaryFactor,
            rope_theta: spec.ropeTheta,
          },
        };
  return {
    architectures: [architecture],
    model_type: type,
    text_config: {
      model_type: `${type}_text`,
      pad_token_id: id(spec, 'endoftext'),
      vocab_size: spec.vocab,
      eos_token_id: eos,
      ...(type === 'glm_ocr' ? {} : { image_token_id: id(spec, 'image'), video_token_id: id(spec, 'video') }),
      attention_bias: spec.attentionBias,
      attention_dropout: 0.0,
      head_dim: spec.headDim,
      hidden_act: 'silu',
      hidden_size: spec.hidden,
      initializer_range: 0.02,
      intermediate_size: spec.intermediate,
      max_position_embeddings: 131072,
      num_attention_heads: spec.heads,
      num_hidden_layers: spec.layers,
      // The multi-token-prediction layer is not part of the ONNX decoder (GLM-OCR ships one).
      ...(type === 'glm_ocr' ? { num_nextn_predict_layers: 1 } : {}),
      num_key_value_heads: spec.kvHeads,
      rms_norm_eps: spec.rmsNormEps,
      dtype: 'float32',
      ...rope,
      tie_word_embeddings: false,
      use_cache: true,
    },
    vision_config: {
      model_type: type === 'glm_ocr' ? 'glm_ocr_vision' : type,
      hidden_size: spec.visionHidden,
      depth: 1,
      num_heads: 2,
      attention_bias: type === 'glm_ocr',
      intermediate_size: spec.visionHidden * 4,
      hidden_act: 'silu',
      hidden_dropout_prob: 0.0,
      initializer_range: 0.02,
      image_size: 336,
      patch_size: 14,
      out_hidden_size: spec.hidden,
      rms_norm_eps: 1e-5,
      spatial_merge_size: 2,
      temporal_patch_size: 2,
    },
    image_start_token_id: id(spec, 'image_start'),
    image_end_token_id: id(spec, 'image_end'),
    video_start_token_id: id(spec, 'video_start'),
    video_end_token_id: id(spec, 'video_end'),
    image_token_id: id(spec, 'image'),
    video_token_id: id(spec, 'video'),
    tie_word_embeddings: false,
    transformers_version: '5.0.1dev0',
  };
}

export function modelConfig(spec: TinySpec): Json {
  return spec.family === 'qwen2_vl' ? qwenConfig(spec) : glmConfig(spec);
}

export function generationConfig(spec: TinySpec): Json {
  if (spec.family === 'qwen2_vl') {
    return {
      bos_token_id: id(spec, 'endoftext'),
      pad_token_id: id(spec, 'endoftext'),
      do_sample: true,
      eos_token_id: eosTokenIds(spec),
      repetition_penalty: 1.0,
      temperature: 0.01,
      top_p: 0.001,
      top_k: 1,
      transformers_version: '4.45.0',
    };
  }
  return {
    do_sample: spec.modelType !== 'glm_ocr',
    eos_token_id: eosTokenIds(spec),
    pad_token_id: id(spec, 'endoftext'),
    transformers_version: '5.0.1dev0',
  };
}

export function preprocessorConfig(spec: TinySpec): Json {
  if (spec.family === 'qwen2_vl') return qwenPreprocessorConfig(spec);
  const glm41 = spec.modelType === 'glm4v';
  return {
    size: { shortest_edge: 12544, longest_edge: 9633792 },
    do_rescale: true,
    patch_size: 14,
    temporal_patch_size: 2,
    merge_size: 2,
    image_mean: CLIP_MEAN,
    image_std: CLIP_STD,
    image_processor_type: glm41 ? 'Glm4vImageProcessor' : 'Glm46VImageProcessor',
    processor_class: glm41 ? 'Glm4vProcessor' : 'Glm46VProcessor',
  };
}

const QWEN_MIN_PIXELS = 3136;
const QWEN_MAX_PIXELS = 12845056;

function qwenPreprocessorConfig(spec: TinySpec): Json {
  const geometry = { patch_size: 14, temporal_patch_size: 2, merge_size: 2 };
  const names = { image_processor_type: 'Qwen2VLImageProcessor', processor_class: 'Qwen2VLProcessor' };
  switch (spec.preprocessorLayout) {
    case 'original': // Qwen/Qwen2-VL-2B-Instruct's own file
      return { min_pixels: QWEN_MIN_PIXELS, max_pixels: QWEN_MAX_PIXELS, ...geometry, image_mean: CLIP_MEAN, image_std: CLIP_STD, ...names };
    case 'size-edges': // transformers ≥ 4.5x keeps the budget in size only
      return {
        do_convert_rgb: true, do_normalize: true, do_rescale: true, do_resize: true,
        image_mean: CLIP_MEAN, image_std: CLIP_STD, ...geometry, resample: 3, rescale_factor: 1 / 255,
        size: { shortest_edge: QWEN_MIN_PIXELS, longest_edge: QWEN_MAX_PIXELS }, ...names,
      };
    case 'saved': {
      // Every attribute, keys sorted, as save_pretrained writes it (567 bytes, the onnx-community export's size).
      const all: Json = {
        ...names, ...geometry, do_convert_rgb: true, do_normalize: true, do_rescale: true, do_resize: true,
        image_mean: CLIP_MEAN, image_std: CLIP_STD, min_pixels: QWEN_MIN_PIXELS, max_pixels: QWEN_MAX_PIXELS,
        resample: 3, rescale_factor: 1 / 255, size: { max_pixels: QWEN_MAX_PIXELS, min_pixels: QWEN_MIN_PIXELS },
      };
      return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
    }
  }
}
