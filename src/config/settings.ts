// Every setting a config file or the environment may give, with the flag it
// stands for. Values are held the way commander holds flags: strings (numbers
// too), string lists, booleans.
import { DTYPES } from '../models/model-dir.js';
// From constants.js, not the backend, the cache or the PDF pool: `glm-vision config` loads this module.
import {
  DEFAULT_RENDER_CPU_LIMIT_S, DEFAULT_RENDER_MEMORY_MB, FLAVORS, LOCK_MODES, MIN_THREAD_MEMORY_MB,
} from './constants.js';
import {
  dpiFlag, httpUrl, keyValue, maxPixelsFlag, nonNegativeInt, numberIn, oneOf, positiveInt, renderCpuLimitFlag, renderMemoryFlag,
} from './validate.js';
import { parsePages } from '../pages/select.js';
import { BACKENDS, CATALOG_DEFAULTS, DEVICES, LANGS } from './defaults.js';

export type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'list';
export type Value = string | string[] | boolean;

export interface Setting {
  /** The config key: the long flag without its dashes. */
  key: string;
  /** commander's attribute name for the flag. */
  attr: string;
  kind: Kind;
  /** Environment variables, the first set one wins. */
  env: readonly string[];
  default?: Value;
  /**
   * How a relative path in a config file is resolved against the file's folder:
   * always (a path), file (when it looks like a file, as --prompt decides), dot (./x or ../x only).
   */
  path?: 'always' | 'file' | 'dot';
  secret?: boolean;
  /** Split on commas and white space when read from the environment. */
  splitEnv?: boolean;
  /** Throws UsageError naming `label`; for lists, called for each item. */
  check?: (label: string, value: string) => void;
}

/** Runs the setting's check on a value, on each item of a list; booleans (and anything else) have none. */
export function checkSetting(setting: Setting, label: string, value: unknown): void {
  if (!setting.check) return;
  const items: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  for (const item of items) setting.check(label, String(item));
}

const camel = (key: string): string => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const envName = (key: string): string => `GLM_VISION_${key.toUpperCase().replace(/-/g, '_')}`;

function setting(key: string, kind: Kind, extra: Partial<Setting> = {}): Setting {
  const attr = camel(key);
  const fallback = (CATALOG_DEFAULTS as Record<string, string>)[attr];
  return { key, attr, kind, env: [envName(key)], ...(fallback !== undefined ? { default: fallback } : {}), ...extra };
}

const choice = (allowed: readonly string[]) => (label: string, value: string): void => {
  oneOf(label, value, allowed);
};

/** In the order `glm-vision config` prints them. */
export const SETTINGS: readonly Setting[] = [
  setting('endpoint', 'list', { default: [], splitEnv: true, check: (l, v) => void httpUrl(l, v) }),
  setting('model', 'string', { path: 'dot' }),
  setting('api-key', 'string', { env: ['GLM_VISION_API_KEY', 'OPENAI_API_KEY', 'ZHIPUAI_API_KEY'], secret: true }),
  setting('backend', 'string', { check: choice(BACKENDS) }),
  setting('flavor', 'string', { check: choice(FLAVORS) }),
  setting('concurrency', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('timeout', 'number', { check: (l, v) => void numberIn(l, v, 0, 86_400, true) }),
  setting('retries', 'integer', { check: (l, v) => void nonNegativeInt(l, v) }),
  setting('prompt', 'string', { path: 'file' }),
  setting('lang', 'string', { check: choice(LANGS) }),
  setting('set', 'list', { default: [], check: (l, v) => void keyValue(l, v) }),
  setting('temperature', 'number', { check: (l, v) => void numberIn(l, v, 0, 2) }),
  setting('top-p', 'number', { check: (l, v) => void numberIn(l, v, 0, 1, true) }),
  setting('max-tokens', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('seed', 'integer', { check: (l, v) => void nonNegativeInt(l, v) }),
  setting('include', 'list', { default: [] }),
  setting('exclude', 'list', { default: [] }),
  setting('hidden', 'boolean'),
  setting('follow-symlinks', 'boolean'),
  setting('max-pixels', 'integer', { check: (l, v) => void maxPixelsFlag(l, v) }),
  setting('max-input-pixels', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('pages', 'string', { check: (_, v) => void parsePages(v) }),
  setting('dpi', 'integer', { check: (l, v) => void dpiFlag(l, v) }),
  setting('max-pages', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('render-memory', 'integer', { default: String(DEFAULT_RENDER_MEMORY_MB), check: (l, v) => void renderMemoryFlag(l, v, MIN_THREAD_MEMORY_MB) }),
  setting('render-cpu-limit', 'number', { default: String(DEFAULT_RENDER_CPU_LIMIT_S), check: (l, v) => void renderCpuLimitFlag(l, v) }),
  setting('group-pages', 'boolean'),
  setting('dtype', 'string', { check: choice(['auto', ...DTYPES]) }),
  setting('device', 'string', { check: choice(DEVICES) }),
  setting('threads', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('batch-size', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('batch-wait-ms', 'integer', { check: (l, v) => void nonNegativeInt(l, v) }),
  setting('batch-tokens', 'integer', { check: (l, v) => void positiveInt(l, v) }),
  setting('cache', 'string', { path: 'always' }),
  setting('lock', 'string', { check: choice(LOCK_MODES) }),
  setting('bom', 'boolean'),
  setting('quiet', 'boolean'),
  setting('allow-empty', 'boolean'),
  setting('retry-failed', 'boolean'),
  setting('metrics-file', 'string', { path: 'always' }),
];

/** Catalog flags that stay on the command line, and why; a config file naming one is told so. */
export const COMMAND_LINE_ONLY: Readonly<Record<string, string>> = {
  paths: 'what to catalog is given on the command line',
  'files-from': 'what to catalog is given on the command line',
  output: 'a config file that names the output would overwrite the same catalog from every run below it; give -o FILE',
  format: 'the format follows the -o extension; give --format with -o',
  shard: 'a forgotten shard would silently catalog part of the archive; give --shard i/n',
  refresh: 're-inferring everything is a one-off; give --refresh',
  question: 'give "set": { "question": "..." } instead',
  config: 'a config file cannot name another',
};

export const SETTING_BY_KEY: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));
