// The options of `glm-vision review`, in --help order. Data only, like command-options.ts: --help
// reads this before the review server's modules load. README's review options table is made from it
// (options-table.ts; test/review-units.test.ts keeps the two in step).
import type { OptionSpec } from './option-spec.js';

const R = ['review'] as const;

export const REVIEW_OPTIONS = [
  { key: 'job', value: '<fingerprint>', kind: 'string', commands: R,
    help: "only this job's rows (a fingerprint prefix, see cache stats); without a catalog: the job to review (default: the job of the most recent run)",
    doc: { value: 'FINGERPRINT', default: 'every job in the catalogs; without one, the job of the most recent run in the cache' } },
  { key: 'cache', value: '<file>', kind: 'string', commands: R,
    help: 'cache database the decisions are saved in (default: $GLM_VISION_CACHE, the config file\'s "cache", or ~/.cache/glm-vision/cache.db)',
    doc: { value: 'FILE', default: '`$GLM_VISION_CACHE`, the config file\'s `"cache"`, else `~/.cache/glm-vision/cache.db`' } },
  { key: 'config', value: '<file>', kind: 'string', commands: R, negate: 'read no config file',
    help: 'the config file whose "cache" to use (default: the nearest glm-vision.config.json)',
    doc: { value: 'FILE', default: 'the nearest `glm-vision.config.json`' } },
  { key: 'base', value: '<dir>', kind: 'string', commands: R,
    help: 'the folder the catalog run started in: SourceFile paths are relative to it (default: the current folder)',
    doc: { value: 'DIR', default: 'the current folder' } },
  { key: 'port', value: '<n>', kind: 'integer', default: '0', check: { type: 'int', min: 0, max: 65535 }, commands: R,
    help: 'port on 127.0.0.1 (0: a free one)', doc: { value: 'N', default: '`0` (a free port)' } },
  { key: 'reviewer', value: '<name>', kind: 'string', commands: R,
    help: 'the name decisions are recorded under (default: your user name)', doc: { value: 'NAME', default: 'your user name on this machine' } },
  { key: 'lang', value: '<en|zh>', kind: 'string', check: { type: 'choice', of: ['en', 'zh'] }, commands: R,
    help: 'language of the page (default: from LANG, else en)', doc: { default: 'from `LC_ALL`/`LC_MESSAGES`/`LANG`, else `en`' } },
  { key: 'open', kind: 'boolean', commands: R, help: 'also open the page in the default browser (default: only print its URL)',
    doc: { default: 'off: the URL is printed' } },
] as const satisfies readonly OptionSpec[];
