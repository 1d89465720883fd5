// Model names the CLI suggests or falls back to; in their own module so that pull.ts can name them
// in its messages without importing resolve.ts (which imports pull.ts).

/** The local engine's model when neither --model nor the template names one: captions, tags, Chinese text. */
export const DEFAULT_MODEL = 'onnx-community/Qwen2-VL-2B-Instruct';

/** The model the README serves with vLLM; named in messages that point at the server way. */
export const SERVER_MODEL = 'zai-org/GLM-4.6V-Flash';
