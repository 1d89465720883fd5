// The options of `review import` and `review export`. Data only, like command-options.ts.
import type { OptionSpec } from './option-spec.js';

const IO = ['review import', 'review export'] as const;

export const REVIEW_IO_OPTIONS = [
  { key: 'cache', value: '<file>', kind: 'string', commands: IO },
  { key: 'job', value: '<fingerprint>', kind: 'string', commands: ['review import'] },
  { key: 'reviewer', value: '<name>', kind: 'string', commands: ['review import'] },
  { key: 'dry-run', kind: 'boolean', commands: ['review import'] },
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['review export'] },
  { key: 'format', value: '<csv|jsonl>', kind: 'string', check: { type: 'choice', of: ['csv', 'jsonl'] }, commands: ['review export'] },
  { key: 'job', value: '<fingerprint>', kind: 'list', repeatable: true, commands: ['review export'] },
  { key: 'bom', kind: 'boolean', commands: ['review export'],
    negate: true, doc: { default: 'on in a file (`-o FILE`), off on stdout and pipes' } },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: IO },
  { key: 'config', value: '<file>', kind: 'string', commands: IO,
    negate: true },
] as const satisfies readonly OptionSpec[];
