// Defaults and allowed values that the command line's options and the settings loader need before
// any command runs. Kept free of imports (node: builtins aside) so that `--help`, `--version` and
// `config` never load sharp, SQLite, PDFium or the backends; the modules that own these values
// re-export them from here.
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_MAX_PIXELS = 1_003_520; // 1280 merged 28-px patches
export const DEFAULT_MAX_INPUT_PIXELS = 268_402_689; // sharp's own default (0x3FFF × 0x3FFF)

export const DEFAULT_DPI = 150;
export const DEFAULT_MAX_PAGES = 500;

/** Keeps a run of 4 rendering threads under 1.5 GB peak RSS (see the bench's pdf-limits section). */
export const DEFAULT_RENDER_MEMORY_MB = 1024;
/** Ordinary pages take well under a second; a page that takes this long is a pathological file. */
export const DEFAULT_RENDER_CPU_LIMIT_S = 30;
/** Less than this and a thread cannot load PDFium and a page: fewer threads then, not starved ones. */
export const MIN_THREAD_MEMORY_MB = 96;

export const DEFAULT_PROMPT = 'describe';

/**
 * --max-concurrency: above vLLM's and SGLang's usual batch (256 sequences) with room for a queue;
 * each request in flight holds its image (about 0.2 MB at the default --max-pixels).
 */
export const DEFAULT_MAX_CONCURRENCY = 512;

/**
 * report: thumbnails at --thumb-size 256 that one page holds as data: URIs before `--thumbnails-in auto`
 * writes them to a folder instead (fewer for larger sizes, by area). About 10-30 MB of page (README).
 */
export const INLINE_THUMBNAILS = 2000;

export type Flavor = 'auto' | 'vllm' | 'sglang' | 'zhipu' | 'ollama' | 'llamacpp' | 'openai' | 'infer';
export const FLAVORS: readonly Flavor[] = ['auto', 'vllm', 'sglang', 'zhipu', 'ollama', 'llamacpp', 'openai', 'infer'];

export type LockMode = 'wait' | 'skip' | 'none';
export const LOCK_MODES: readonly LockMode[] = ['wait', 'skip', 'none'];

// One rule for the language of prompts and of messages (src/i18n).
export { langFromEnv } from '../i18n/index.js';

export function defaultCachePath(env: NodeJS.ProcessEnv): string {
  if (env.GLM_VISION_CACHE) return env.GLM_VISION_CACHE;
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'glm-vision', 'cache.db');
}
