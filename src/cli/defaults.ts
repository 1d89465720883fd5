// What the command line's options and help need before it knows which command runs: defaults,
// help texts, and the catalog's derived defaults that `glm-vision config` prints. main.ts builds
// every command from this module and loads a command's own module only when that command runs,
// so nothing here may import sharp, SQLite, PDFium, the backends or the command modules.
import os from 'node:os';
import { CONFIG_NAME } from '../config/find.js';
import { DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PIXELS, type LockMode } from '../config/constants.js';
import { DEFAULT_MODEL } from '../models/defaults.js';

/** After `glm-vision config --help`; the README's Configuration section says more. */
export const CONFIG_HELP = `
Precedence: command-line flags, then environment variables, then the config file, then defaults.
The config file: --config FILE, else $GLM_VISION_CONFIG, else the nearest ${CONFIG_NAME}
in the current folder or above it (--no-config: none). Its keys are the long flag names:
  { "endpoint": ["http://gpu1:8000/v1"], "model": "zai-org/GLM-4.6V-Flash", "max-pixels": 1003520 }
Environment: GLM_VISION_<KEY>, upper case with _ (GLM_VISION_MAX_PIXELS=1003520); the API key
also from $OPENAI_API_KEY or $ZHIPUAI_API_KEY.
`;

export const DOCTOR_DEFAULTS = { timeout: '10', model: DEFAULT_MODEL };

/** Written in --help and the README; keep the two in step. */
export const DOCTOR_EXIT_CODES_HELP = `
Exit codes:
  0    no check failed (warnings allowed)
  1    at least one check failed (each failed line says how to fix it)
  2    usage error (bad --endpoint URL or --timeout)
`;

export const REPORT_DEFAULTS = {
  thumbSize: '256',
  concurrency: String(Math.min(4, os.availableParallelism())),
  maxInputPixels: String(DEFAULT_MAX_INPUT_PIXELS),
} as const;

export const CACHE_LOCK_MODES: readonly LockMode[] = ['wait', 'skip'];

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
