// The options of `glm-vision ask`: catalog's own entries for the model, the server, the prompt,
// the image and page settings and the cache (same flags, settings and environment), so that an
// answer ask gets is the cache hit of a catalog run over the same file, and the other way round.
import { CATALOG_OPTIONS } from './catalog-options.js';
import type { OptionSpec } from './option-spec.js';

const ASK = ['ask'] as const;

const SHARED_KEYS = [
  'prompt', 'lang', 'set', 'temperature', 'top-p', 'max-tokens', 'seed',
  'backend', 'dtype', 'device', 'threads', 'batch-size', 'batch-wait-ms', 'batch-tokens',
  'endpoint', 'model', 'api-key', 'flavor', 'timeout', 'retries',
  'max-pixels', 'max-input-pixels', 'pages', 'dpi', 'max-pages', 'render-memory', 'render-cpu-limit',
  'cache', 'refresh', 'retry-failed', 'lock', 'quiet', 'verbose', 'config',
] as const;
type SharedKey = (typeof SHARED_KEYS)[number];
type Catalog = (typeof CATALOG_OPTIONS)[number];
/**
 * A catalog entry given to ask: the same flag, help, check and environment; --prompt's default and
 * help are ask's own (qa or describe).
 */
type Rehomed<O> = O extends { key: SharedKey }
  ? Omit<O, 'commands' | 'setting' | 'default'> & { commands: typeof ASK }
    & (O extends { key: 'prompt' } ? unknown : Pick<O, Extract<'default', keyof O>> & { helpOf: 'catalog' })
  : never;

const SHARED = (CATALOG_OPTIONS as readonly OptionSpec[])
  .filter((o) => (SHARED_KEYS as readonly string[]).includes(o.key))
  .map(({ setting: _setting, ...o }) => {
    if (o.key !== 'prompt') return { ...o, commands: ASK, helpOf: 'catalog' };
    const { default: _default, ...rest } = o;
    return { ...rest, commands: ASK };
  }) as unknown as readonly Rehomed<Catalog>[];

const OWN = [
  { key: 'json', group: 'output', kind: 'boolean', commands: ASK },
] as const satisfies readonly OptionSpec[];

export const ASK_OPTIONS = [...SHARED, ...OWN] as const;
