// The catalog's built-in defaults and allowed values, shared by its flags and the settings loader.
// From constants.js, not their owners: the command line builds its options from this module
// before it knows which command runs, and must not load sharp or PDFium for that.
import { DEFAULT_DPI, DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PAGES, DEFAULT_PROMPT } from './constants.js';

export const CATALOG_DEFAULTS = {
  prompt: DEFAULT_PROMPT,
  flavor: 'auto',
  dtype: 'auto',
  device: 'auto',
  batchSize: '8',
  batchWaitMs: '20',
  batchTokens: '8192',
  concurrency: '16',
  timeout: '300',
  retries: '5',
  maxInputPixels: String(DEFAULT_MAX_INPUT_PIXELS),
  pages: 'all',
  dpi: String(DEFAULT_DPI),
  maxPages: String(DEFAULT_MAX_PAGES),
  lock: 'wait',
} as const;

/** --backend */
export const BACKENDS = ['openai', 'onnx'] as const;
/** --device */
export const DEVICES = ['cpu', 'cuda', 'auto'] as const;
/** --lang */
export const LANGS = ['en', 'zh'] as const;
