// The catalog's options, in --help order, group by group (HELP_GROUPS); `glm-vision config` takes
// them all. `setting: N` makes one a setting (config file and environment) and places it in
// `glm-vision config`'s listing and the README's "Every setting" table. Data only: --help reads this before any command loads.
import {
  DEFAULT_DPI, DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_PAGES, DEFAULT_PROMPT, DEFAULT_RENDER_CPU_LIMIT_S,
  DEFAULT_MAX_CONCURRENCY, DEFAULT_RENDER_MEMORY_MB, FLAVORS, LOCK_MODES, MIN_THREAD_MEMORY_MB,
} from './constants.js';
import { DTYPES } from '../models/model-dir.js';
import { DEFAULT_MODEL } from '../models/defaults.js';
import type { OptionSpec } from './option-spec.js';

const C = ['catalog', 'config'] as const;
const positive = { type: 'int', min: 1 } as const;
const nonNegative = { type: 'int', min: 0 } as const;
const globs = 'glob or array of globs';

export const CATALOG_OPTIONS = [
  // inputs
  { key: 'files-from', group: 'inputs', value: '<file>', kind: 'string', commands: C },
  { key: 'include', group: 'inputs', value: '<glob>', kind: 'list', repeatable: true, commands: C, setting: 16,
    doc: { value: 'GLOB', default: 'none (all images)', file: globs } },
  { key: 'exclude', group: 'inputs', value: '<glob>', kind: 'list', repeatable: true, commands: C, setting: 17,
    doc: { value: 'GLOB', file: globs } },
  { key: 'hidden', group: 'inputs', kind: 'boolean', commands: C, setting: 18,
    negate: true },
  { key: 'follow-symlinks', group: 'inputs', kind: 'boolean', commands: C, setting: 19,
    negate: true },
  { key: 'shard', group: 'inputs', value: '<i/n|auto>', kind: 'string', commands: C },
  // model
  { key: 'backend', group: 'model', value: '<name>', kind: 'string', check: { type: 'choice', of: ['openai', 'onnx'] }, commanderChoices: true, commands: C, setting: 4,
    doc: { default: '`openai` with an endpoint, else `onnx`' } },
  { key: 'endpoint', group: 'model', value: '<url>', kind: 'list', repeatable: true, check: { type: 'url' }, commands: C, setting: 1, splitEnv: true,
    doc: { value: 'URL', default: 'none (→ onnx backend)', file: 'http(s) URL or array of them' } },
  { key: 'model', group: 'model', short: '-m', value: '<name|dir>', kind: 'string', commands: C, setting: 2, path: 'dot',
    doc: { default: `server: none (required); onnx: the template's, else \`${DEFAULT_MODEL}\``, file: 'string (`./dir` is relative to the file)' } },
  { key: 'api-key', group: 'model', value: '<key>', kind: 'string', commands: C, setting: 3, secret: true, env: ['GLM_VISION_API_KEY', 'OPENAI_API_KEY', 'ZHIPUAI_API_KEY'],
    doc: { file: 'string' } },
  { key: 'flavor', group: 'model', value: '<name>', kind: 'string', default: 'auto', check: { type: 'choice', of: FLAVORS }, commands: C, setting: 5 },
  { key: 'concurrency', group: 'model', short: '-j', value: '<n|auto>', kind: 'integer', default: 'auto', check: { type: 'intOrAuto', min: 1 }, commands: C, setting: 6,
    doc: { value: 'N|auto' } },
  { key: 'max-concurrency', group: 'model', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_CONCURRENCY), check: positive, commands: C, setting: 6.5 },
  { key: 'timeout', group: 'model', value: '<seconds>', kind: 'number', default: '300', check: { type: 'number', min: 0, max: 86_400, minOpen: true }, commands: C, setting: 7,
    doc: { file: 'seconds, > 0 and ≤ 86400' } },
  { key: 'retries', group: 'model', value: '<n>', kind: 'integer', default: '5', check: nonNegative, commands: C, setting: 8 },
  { key: 'dtype', group: 'model', value: '<name>', kind: 'string', default: 'auto', check: { type: 'choice', of: ['auto', ...DTYPES] }, commands: C, setting: 28 },
  { key: 'device', group: 'model', value: '<name>', kind: 'string', default: 'auto', check: { type: 'choice', of: ['cpu', 'cuda', 'auto'] }, commands: C, setting: 29 },
  { key: 'threads', group: 'model', value: '<n>', kind: 'integer', check: positive, commands: C, setting: 30,
    doc: { default: 'all cores' } },
  { key: 'batch-size', group: 'model', value: '<n>', kind: 'integer', default: '8', check: positive, commands: C, setting: 31 },
  { key: 'batch-wait-ms', group: 'model', value: '<n>', kind: 'integer', default: '20', check: nonNegative, commands: C, setting: 32 },
  { key: 'batch-tokens', group: 'model', value: '<n>', kind: 'integer', default: '8192', check: positive, commands: C, setting: 33 },
  // prompt
  { key: 'prompt', group: 'prompt', short: '-p', value: '<name|file>', kind: 'string', default: DEFAULT_PROMPT, commands: C, setting: 9, path: 'file',
    doc: { file: 'built-in name, or template file (relative to the file)' } },
  { key: 'lang', group: 'prompt', value: '<en|zh>', kind: 'string', check: { type: 'choice', of: ['en', 'zh'] }, commands: C, setting: 10,
    doc: { default: 'from `LC_ALL`/`LC_MESSAGES`/`LANG`, else `en`' } },
  { key: 'question', group: 'prompt', value: '<text>', kind: 'string', commands: C },
  { key: 'set', group: 'prompt', value: '<key=value>', kind: 'list', repeatable: true, check: { type: 'keyValue' }, commands: C, setting: 11,
    doc: { value: 'KEY=VALUE', env: '`KEY=VALUE`, or a JSON array of them', file: 'object `{"KEY": "VALUE"}`' } },
  { key: 'temperature', group: 'prompt', value: '<n>', kind: 'number', check: { type: 'number', min: 0, max: 2 }, commands: C, setting: 12,
    doc: { default: "the template's" } },
  { key: 'top-p', group: 'prompt', value: '<n>', kind: 'number', check: { type: 'number', min: 0, max: 1, minOpen: true }, commands: C, setting: 13,
    doc: { default: "the template's" } },
  { key: 'max-tokens', group: 'prompt', value: '<n>', kind: 'integer', check: positive, commands: C, setting: 14,
    doc: { default: "the template's" } },
  { key: 'seed', group: 'prompt', value: '<n>', kind: 'integer', check: nonNegative, commands: C, setting: 15 },
  // images
  { key: 'max-pixels', group: 'images', value: '<n>', kind: 'integer', check: { type: 'maxPixels' }, commands: C, setting: 20,
    doc: { default: '`1003520` with a server, `100352` with the onnx backend' } },
  { key: 'max-input-pixels', group: 'images', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_INPUT_PIXELS), check: positive, commands: C, setting: 21 },
  // documents
  { key: 'pages', group: 'documents', value: '<spec>', kind: 'string', default: 'all', check: { type: 'pages' }, commands: C, setting: 22,
    doc: { file: '`all`, `first`, `N`, `N-M`, `N-` or a comma list' } },
  { key: 'dpi', group: 'documents', value: '<n>', kind: 'integer', default: String(DEFAULT_DPI), check: { type: 'int', min: 10, max: 2400 },
    commands: C, setting: 23 },
  { key: 'max-pages', group: 'documents', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_PAGES), check: positive, commands: C, setting: 24 },
  { key: 'render-memory', group: 'documents', value: '<MB>', kind: 'integer', default: String(DEFAULT_RENDER_MEMORY_MB),
    check: { type: 'int', min: MIN_THREAD_MEMORY_MB, max: 1_048_576 }, commands: C, setting: 25,
    doc: { value: 'MB' } },
  { key: 'render-cpu-limit', group: 'documents', value: '<seconds>', kind: 'number', default: String(DEFAULT_RENDER_CPU_LIMIT_S),
    check: { type: 'number', min: 0, max: 86_400, minOpen: true }, commands: C, setting: 26,
    doc: { value: 'S', file: 'seconds, > 0 and ≤ 86400' } },
  { key: 'group-pages', group: 'documents', kind: 'boolean', commands: C, setting: 27,
    negate: true },
  // output
  { key: 'output', group: 'output', short: '-o', value: '<file>', kind: 'string', commands: C },
  { key: 'format', group: 'output', value: '<csv|jsonl|exiftool>', kind: 'string', commands: C },
  { key: 'bom', group: 'output', kind: 'boolean', commands: C, setting: 36,
    negate: true, doc: { default: 'on in a file (`-o FILE`), off on stdout and pipes' } },
  { key: 'metrics-file', group: 'output', value: '<file>', kind: 'string', commands: C, setting: 40, path: 'always',
    doc: { value: 'FILE', file: 'path (relative to the file)' } },
  // cache
  { key: 'cache', group: 'cache', value: '<file>', kind: 'string', commands: C, setting: 34, path: 'always',
    doc: { default: '`$XDG_CACHE_HOME/glm-vision/cache.db`, else `~/.cache/glm-vision/cache.db`', file: 'path (relative to the file)' } },
  { key: 'refresh', group: 'cache', kind: 'boolean', commands: C },
  { key: 'retry-failed', group: 'cache', kind: 'boolean', commands: C, setting: 39,
    negate: true },
  // run
  { key: 'allow-empty', group: 'run', kind: 'boolean', commands: C, setting: 38,
    negate: true },
  { key: 'lock', group: 'run', value: '<wait|skip|none>', kind: 'string', default: 'wait', check: { type: 'choice', of: LOCK_MODES }, commands: C, setting: 35 },
  { key: 'dry-run', group: 'run', short: '-n', kind: 'boolean', commands: C },
  { key: 'json', group: 'run', kind: 'boolean', commands: ['catalog'] },
  { key: 'quiet', group: 'run', short: '-q', kind: 'boolean', commands: C, setting: 37,
    negate: true },
  { key: 'config', group: 'run', value: '<file>', kind: 'string', commands: C,
    negate: true },
] as const satisfies readonly OptionSpec[];
