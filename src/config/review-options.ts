// The options of `glm-vision review`, in --help order. Data only, like command-options.ts: --help
// reads this before the review server's modules load. README's review options table is made from it
// (options-table.ts; test/review-units.test.ts keeps the two in step).
import type { OptionSpec } from './option-spec.js';

const R = ['review'] as const;

export const REVIEW_OPTIONS = [
  { key: 'job', value: '<fingerprint>', kind: 'string', commands: R,
    doc: { value: 'FINGERPRINT', default: 'every job in the catalogs; without one, the job of the most recent run in the cache' } },
  { key: 'cache', value: '<file>', kind: 'string', commands: R,
    doc: { value: 'FILE', default: '`$GLM_VISION_CACHE`, the config file\'s `"cache"`, else `~/.cache/glm-vision/cache.db`' } },
  { key: 'config', value: '<file>', kind: 'string', commands: R, negate: true,
    doc: { value: 'FILE', default: 'the nearest `glm-vision.config.json`' } },
  { key: 'base', value: '<dir>', kind: 'string', commands: R,
    doc: { value: 'DIR', default: 'the current folder' } },
  { key: 'port', value: '<n>', kind: 'integer', default: '0', check: { type: 'int', min: 0, max: 65535 }, commands: R,
    doc: { value: 'N', default: '`0` (a free port)' } },
  { key: 'reviewer', value: '<name>', kind: 'string', commands: R,
    doc: { value: 'NAME', default: 'your user name on this machine' } },
  { key: 'lang', value: '<en|zh>', kind: 'string', check: { type: 'choice', of: ['en', 'zh'] }, commands: R,
    doc: { default: 'from `LC_ALL`/`LC_MESSAGES`/`LANG`, else `en`' } },
  { key: 'open', kind: 'boolean', commands: R,
    doc: { default: 'off: the URL is printed' } },
] as const satisfies readonly OptionSpec[];
