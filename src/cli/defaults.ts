// The catalog's derived defaults that `glm-vision config` prints (--help's texts are in i18n/).
// program.ts builds every command from this module and config/options.ts and loads a command's own module only when that command runs,
// so nothing here may import sharp, SQLite, PDFium, the backends or the command modules.
import os from 'node:os';
import { DEFAULT_MAX_PIXELS } from '../config/constants.js';

/**
 * The local engine's default pixel budget: 128 merged tokens (about 316×316). A 2B model on a 2-core CPU
 * spends most of its time on the vision encoder and the prompt, which grow with the image.
 */
export const ONNX_DEFAULT_MAX_PIXELS = 128 * 28 * 28;

/** The model an `infer` flavor server serves when --model is not given. */
export const INFER_MODEL = 'glm-4.6v-flash';

/** --backend when not given: openai when an endpoint is set, else the local onnx engine. */
export function defaultBackend(backend: string | undefined, endpoints: readonly string[]): string {
  return backend ?? (endpoints.length ? 'openai' : 'onnx');
}

/** --max-pixels when not given: smaller for the local engine. */
export function defaultMaxPixels(kind: string): number {
  return kind === 'onnx' ? ONNX_DEFAULT_MAX_PIXELS : DEFAULT_MAX_PIXELS;
}

/** --threads when not given: all cores. */
export function defaultThreads(): number {
  return os.availableParallelism();
}

export function apiKeyFrom(flags: { apiKey?: string }, env: NodeJS.ProcessEnv): string | undefined {
  return flags.apiKey || env.GLM_VISION_API_KEY || env.OPENAI_API_KEY || env.ZHIPUAI_API_KEY || undefined;
}
