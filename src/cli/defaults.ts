// What the command line's help needs before it knows which command runs (help texts), and the
// catalog's derived defaults that `glm-vision config` prints. program.ts builds every command from
// this module and config/options.ts and loads a command's own module only when that command runs,
// so nothing here may import sharp, SQLite, PDFium, the backends or the command modules.
import os from 'node:os';
import { CONFIG_NAME } from '../config/find.js';
import { DEFAULT_MAX_PIXELS } from '../config/constants.js';

/** Written in --help and the README; keep the two in step. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    every file ok or cached
  1    the run finished but some rows failed or were cut off at --max-tokens (see the status and
       error columns), or a folder below an input could not be read (listed in the summary)
  2    usage or configuration error, also when the server says the model name, URL, a parameter
       or the API key is wrong (the run stops at the first such answer)
  66   no input: a path is missing or cannot be opened, or holds no image or PDF (--allow-empty)
  70   internal error (a bug: please report it with GLM_VISION_DEBUG=1 output)
  74   the catalog could not be written (-o path unwritable, disk full); the cache keeps finished results
  75   a temporary failure stopped the run (every endpoint or the model hub unreachable, cache in use with --lock skip); cron may retry
  130  interrupted by SIGINT/SIGTERM: finished answers are saved in the cache, an existing -o file
       is left as it was (the next run writes the whole catalog from the cache in seconds)
`;

/** After `glm-vision config --help`; the README's Configuration section says more. */
export const CONFIG_HELP = `
Precedence: command-line flags, then environment variables, then the config file, then defaults.
The config file: --config FILE, else $GLM_VISION_CONFIG, else the nearest ${CONFIG_NAME}
in the current folder or above it (--no-config: none). Its keys are the long flag names:
  { "endpoint": ["http://gpu1:8000/v1"], "model": "zai-org/GLM-4.6V-Flash", "max-pixels": 1003520 }
Environment: GLM_VISION_<KEY>, upper case with _ (GLM_VISION_MAX_PIXELS=1003520); the API key
also from $OPENAI_API_KEY or $ZHIPUAI_API_KEY.
`;

/** Written in --help and the README; keep the two in step. */
export const DOCTOR_EXIT_CODES_HELP = `
Exit codes:
  0    no check failed (warnings allowed)
  1    at least one check failed (each failed line says how to fix it)
  2    usage error (bad --endpoint URL or --timeout)
`;

/** Written in --help and the README; keep the two in step. */
export const BATCH_EXIT_CODES_HELP = `
Exit codes:
  0    done: export wrote its files (or had nothing to write), import stored or skipped every line,
       fetch imported every finished batch and none is still running
  1    some files or pages could not be exported, some result lines stored nothing (each is listed
       with FILE:LINE), or a fetched batch failed, expired or was cancelled
  2    usage error, or the batch service refused a request (API key, path, file)
  66   no input: a path or result file is missing, or the inputs hold no image or PDF
  74   a request file could not be written (the files there were are left as they were)
  75   the batch service could not be reached or had trouble (429, 5xx), or fetch found batches
       still running: run it again later
  130  interrupted: no request file was written
`;

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
