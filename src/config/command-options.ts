// The options of every command but catalog, in --help order within each command. An option shared
// by several commands lists them all in `commands`. Data only, like catalog-options.ts.
import os from 'node:os';
import { DEFAULT_MAX_INPUT_PIXELS, INLINE_THUMBNAILS } from './constants.js';
import { DEFAULT_MODEL } from '../models/defaults.js';
import { DTYPES } from '../models/model-dir.js';
import type { OptionSpec } from './option-spec.js';

/** The lock modes a cache tool takes: it never runs beside a catalog run without one. */
export const CACHE_LOCK_MODES = ['wait', 'skip'] as const;
const CACHE_TOOLS = ['cache stats', 'cache export', 'cache prune', 'cache vacuum', 'cache merge'] as const;
const CACHE_WRITERS = ['cache prune', 'cache vacuum', 'cache merge'] as const;
/** The commands whose --lang sets only the language of what they say (langForArgs reads it before commander). */
const MESSAGES_ONLY = [
  'report', 'xmp', 'models list', 'models pull', 'models info', 'models rm', ...CACHE_TOOLS, 'doctor', 'review import', 'review export',
  'batch import', 'batch status', 'batch fetch', 'message',
] as const;
/** report --only: a row status, or how far it was reviewed (the catalog's review column). */
export const REPORT_ONLY = ['ok', 'error', 'truncated', 'unreviewed', 'rejected'] as const;
/** report --thumbnails-in: inside the page as data: URIs, or as files in a folder beside it; auto picks by size. */
export const THUMBNAIL_PLACES = ['auto', 'page', 'folder'] as const;

export const COMMAND_OPTIONS = [
  // report
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['report'] },
  { key: 'base', value: '<dir>', kind: 'string', commands: ['report'] },
  { key: 'thumb-size', value: '<px>', kind: 'integer', default: '256', check: { type: 'int', min: 32, max: 1024 },
    commands: ['report'] },
  { key: 'thumbnails', negatedOnly: true, kind: 'boolean', commands: ['report'] },
  { key: 'concurrency', short: '-j', value: '<n>', kind: 'integer', default: String(Math.min(4, os.availableParallelism())), check: { type: 'int', min: 1 },
    commands: ['report'] },
  { key: 'max-input-pixels', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_INPUT_PIXELS), check: { type: 'int', min: 1 },
    commands: ['report'] },
  { key: 'only', value: '<what>', kind: 'list', repeatable: true, check: { type: 'choice', of: REPORT_ONLY }, commands: ['report'] },
  { key: 'limit', value: '<n>', kind: 'integer', check: { type: 'int', min: 1 }, commands: ['report'] },
  { key: 'thumbnails-in', value: '<auto|page|folder>', kind: 'string', default: 'auto', check: { type: 'choice', of: THUMBNAIL_PLACES },
    commands: ['report'], helpValues: { thumbnails: String(INLINE_THUMBNAILS) } },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['report'] },
  // xmp
  { key: 'sidecars', kind: 'boolean', commands: ['xmp'] },
  { key: 'csv', kind: 'boolean', commands: ['xmp'] },
  { key: 'sidecar-name', value: '<photo.jpg.xmp|photo.xmp>', kind: 'string', default: 'photo.jpg.xmp',
    check: { type: 'choice', of: ['photo.jpg.xmp', 'photo.xmp'] }, commands: ['xmp'] },
  { key: 'base', value: '<dir>', kind: 'string', commands: ['xmp'] },
  { key: 'title', value: '<fields>', kind: 'string', commands: ['xmp'] },
  { key: 'description', value: '<fields>', kind: 'string', commands: ['xmp'] },
  { key: 'keywords', value: '<fields>', kind: 'string', commands: ['xmp'] },
  { key: 'overwrite', kind: 'boolean', commands: ['xmp'] },
  { key: 'dry-run', kind: 'boolean', commands: ['xmp'] },
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['xmp'] },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['xmp'] },
  // prompts, models
  { key: 'lang', value: '<en|zh>', kind: 'string', check: { type: 'choice', of: ['en', 'zh'] }, commands: ['prompts list', 'prompts show'] },
  { key: 'dtype', value: '<name>', kind: 'string', default: 'auto', check: { type: 'choice', of: ['auto', ...DTYPES] }, commands: ['models pull'] },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['models pull'] },
  // cache
  { key: 'cache', value: '<file>', kind: 'string', commands: ['cache stats', 'cache export', 'cache prune', 'cache vacuum'] },
  { key: 'cache', value: '<file>', kind: 'string', commands: ['cache merge'] },
  { key: 'runs', value: '<n>', kind: 'integer', default: '5', check: { type: 'int', min: 0 }, commands: ['cache stats'] },
  { key: 'json', kind: 'boolean', commands: ['cache stats'] },
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['cache export'] },
  { key: 'job', value: '<fingerprint>', kind: 'list', repeatable: true, commands: ['cache export'] },
  { key: 'model', value: '<name>', kind: 'list', repeatable: true, commands: ['cache export'] },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['cache export'] },
  { key: 'older-than', value: '<age>', kind: 'string', commands: ['cache prune'] },
  { key: 'unused-for', value: '<age>', kind: 'string', commands: ['cache prune'] },
  { key: 'missing', kind: 'boolean', commands: ['cache prune'] },
  { key: 'relative-to', value: '<dir>', kind: 'string', commands: ['cache prune'] },
  { key: 'force', kind: 'boolean', commands: ['cache prune'] },
  { key: 'job', value: '<fingerprint>', kind: 'list', repeatable: true, commands: ['cache prune'] },
  { key: 'dry-run', kind: 'boolean', commands: ['cache prune'] },
  { key: 'lock', value: '<wait|skip>', kind: 'string', default: 'wait', check: { type: 'choice', of: CACHE_LOCK_MODES }, commands: CACHE_WRITERS },
  { key: 'json', kind: 'boolean', commands: CACHE_WRITERS },
  // Every cache tool finds its cache as catalog does, config file included.
  { key: 'config', value: '<file>', kind: 'string', commands: CACHE_TOOLS,
    negate: true },
  // doctor
  { key: 'endpoint', value: '<url>', kind: 'list', repeatable: true, check: { type: 'url' }, commands: ['doctor'] },
  { key: 'model', short: '-m', value: '<name|dir>', kind: 'string', commands: ['doctor'], helpValues: { model: DEFAULT_MODEL } },
  { key: 'api-key', value: '<key>', kind: 'string', commands: ['doctor'] },
  { key: 'cache', value: '<file>', kind: 'string', commands: ['doctor'] },
  { key: 'config', value: '<file>', kind: 'string', commands: ['doctor'],
    negate: true },
  { key: 'timeout', value: '<seconds>', kind: 'number', default: '10', check: { type: 'number', min: 0, max: 3600, minOpen: true }, commands: ['doctor'] },
  { key: 'json', kind: 'boolean', commands: ['doctor'] },
  // The commands with no --lang of their own (catalog's, review's and prompts' also choose the prompts' or the page's).
  { key: 'lang', value: '<en|zh>', kind: 'string', check: { type: 'choice', of: ['en', 'zh'] }, commanderChoices: true, commands: MESSAGES_ONLY },
] as const satisfies readonly OptionSpec[];
