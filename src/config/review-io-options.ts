// The options of `review import` and `review export`. Data only, like command-options.ts.
import type { OptionSpec } from './option-spec.js';

const IO = ['review import', 'review export'] as const;
const CACHE_HELP = '(default: $GLM_VISION_CACHE, the config file\'s "cache", or ~/.cache/glm-vision/cache.db)';

export const REVIEW_IO_OPTIONS = [
  { key: 'cache', value: '<file>', kind: 'string', commands: IO, help: `cache database ${CACHE_HELP}` },
  { key: 'job', value: '<fingerprint>', kind: 'string', commands: ['review import'],
    help: 'the job of rows without a job column (a fingerprint prefix from cache stats)' },
  { key: 'reviewer', value: '<name>', kind: 'string', commands: ['review import'],
    help: 'who decided, for rows without a reviewer (default: the user running the command)' },
  { key: 'dry-run', kind: 'boolean', commands: ['review import'], help: 'check the file and report what would be imported; change nothing' },
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['review export'],
    help: 'write to FILE instead of stdout (- is stdout). A regular file is replaced atomically, only once the export is complete' },
  { key: 'format', value: '<csv|jsonl>', kind: 'string', check: { type: 'choice', of: ['csv', 'jsonl'] }, commands: ['review export'],
    help: 'csv or jsonl (default: from the -o extension, else jsonl)' },
  { key: 'job', value: '<fingerprint>', kind: 'list', repeatable: true, commands: ['review export'],
    help: 'only this job (a fingerprint prefix from cache stats; repeatable)' },
  { key: 'bom', kind: 'boolean', commands: ['review export'],
    help: 'start a CSV with a UTF-8 byte-order mark, which Excel needs to read Chinese (default: in a file written with -o, not on stdout or a pipe)',
    negate: 'no byte-order mark, also in a file', doc: { default: 'on in a file (`-o FILE`), off on stdout and pipes' } },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: IO, help: 'no summary on stderr' },
  { key: 'config', value: '<file>', kind: 'string', commands: IO,
    help: 'the config file whose "cache" to use (default: the nearest glm-vision.config.json)', negate: 'read no config file' },
] as const satisfies readonly OptionSpec[];
