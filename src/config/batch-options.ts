// The options of `batch export|import|submit|status|fetch`. Data only, like command-options.ts.
// export and submit make their requests as catalog would: they take catalog's own entries for the
// inputs, the model, the prompt, the images and the pages (same flags, settings and environment),
// so that the answers a batch brings back are the cache hits of the catalog run that follows.
import { CATALOG_OPTIONS } from './catalog-options.js';
import type { OptionSpec } from './option-spec.js';

const MAKERS = ['batch export', 'batch submit'] as const;
const SERVER_USERS = ['batch status', 'batch fetch'] as const;
/** Zhipu's limits for one batch file; OpenAI's (50,000 requests, 200 MB) are looser. */
export const DEFAULT_MAX_REQUESTS = 50_000;
export const DEFAULT_MAX_BYTES = 100_000_000;

const SHARED_KEYS = [
  'files-from', 'include', 'exclude', 'hidden', 'follow-symlinks', 'shard', 'prompt', 'lang', 'question', 'set',
  'temperature', 'top-p', 'max-tokens', 'seed', 'endpoint', 'model', 'api-key', 'flavor', 'timeout',
  'max-pixels', 'max-input-pixels', 'pages', 'dpi', 'max-pages', 'render-memory', 'render-cpu-limit',
  'cache', 'retry-failed', 'lock', 'quiet', 'config',
] as const;
type SharedKey = (typeof SHARED_KEYS)[number];
type Catalog = (typeof CATALOG_OPTIONS)[number];
/** A catalog entry given to export and submit: the same flag, help, check and environment. */
type Rehomed<O> = O extends { key: SharedKey } ? Omit<O, 'commands' | 'setting'> & { commands: typeof MAKERS; helpOf: 'catalog' } : never;

const SHARED = (CATALOG_OPTIONS as readonly OptionSpec[])
  .filter((o) => (SHARED_KEYS as readonly string[]).includes(o.key))
  .map(({ setting: _setting, ...o }) => ({ ...o, commands: MAKERS, helpOf: 'catalog' })) as unknown as readonly Rehomed<Catalog>[];

const OWN = [
  { key: 'output', short: '-o', group: 'output', value: '<file>', kind: 'string', default: 'requests.jsonl', commands: ['batch export'] },
  { key: 'max-requests', group: 'output', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_REQUESTS), check: { type: 'int', min: 1 }, commands: MAKERS },
  { key: 'max-bytes', group: 'output', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_BYTES), check: { type: 'int', min: 1024 }, commands: MAKERS },
  { key: 'cache', value: '<file>', kind: 'string', commands: ['batch import', 'batch status', 'batch fetch'] },
  { key: 'api-key', value: '<key>', kind: 'string', commands: SERVER_USERS },
  { key: 'timeout', value: '<seconds>', kind: 'number', default: '300', check: { type: 'number', min: 0, max: 86_400, minOpen: true },
    commands: SERVER_USERS },
  { key: 'offline', kind: 'boolean', commands: ['batch status'] },
  { key: 'json', kind: 'boolean', commands: ['batch status'] },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['batch import', 'batch fetch'] },
  { key: 'config', value: '<file>', kind: 'string', commands: ['batch import', 'batch status', 'batch fetch'],
    negate: true },
] as const satisfies readonly OptionSpec[];

export const BATCH_OPTIONS = [...SHARED, ...OWN] as const;
