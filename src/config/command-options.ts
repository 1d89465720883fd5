// The options of every command but catalog, in --help order within each command. An option shared
// by several commands lists them all in `commands`. Data only, like catalog-options.ts.
import os from 'node:os';
import { DEFAULT_MAX_INPUT_PIXELS, INLINE_THUMBNAILS } from './constants.js';
import { DEFAULT_MODEL } from '../models/defaults.js';
import { DTYPES } from '../models/model-dir.js';
import type { OptionSpec } from './option-spec.js';

const CACHE_HELP = '(default: $GLM_VISION_CACHE, the config file\'s "cache", or ~/.cache/glm-vision/cache.db)';
/** The lock modes a cache tool takes: it never runs beside a catalog run without one. */
export const CACHE_LOCK_MODES = ['wait', 'skip'] as const;
const LOCK_HELP = `another run on the same cache: ${CACHE_LOCK_MODES.join(' for it, or ')} (exit 75)`;
const OUTPUT_TAIL = 'A regular file is replaced atomically, only once';
const CACHE_TOOLS = ['cache stats', 'cache export', 'cache prune', 'cache vacuum', 'cache merge'] as const;
const CACHE_WRITERS = ['cache prune', 'cache vacuum', 'cache merge'] as const;
const fields = (what: string): string => `catalog fields ${what}`;
/** report --only: a row status, or how far it was reviewed (the catalog's review column). */
export const REPORT_ONLY = ['ok', 'error', 'truncated', 'unreviewed', 'rejected'] as const;
/** report --thumbnails-in: inside the page as data: URIs, or as files in a folder beside it; auto picks by size. */
export const THUMBNAIL_PLACES = ['auto', 'page', 'folder'] as const;

export const COMMAND_OPTIONS = [
  // report
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['report'],
    help: `write the page to FILE instead of stdout (- is stdout). ${OUTPUT_TAIL} the page and its thumbnail folder are complete: a failed or interrupted run leaves them as they were. A device or FIFO is written into directly` },
  { key: 'base', value: '<dir>', kind: 'string', commands: ['report'],
    help: 'the folder the catalog run started in: SourceFile paths are relative to it (default: the current folder)' },
  { key: 'thumb-size', value: '<px>', kind: 'integer', default: '256', check: { type: 'int', min: 32, max: 1024, what: 'integer from 32 to 1024' },
    commands: ['report'], help: 'longest side of the thumbnails, 32 to 1024' },
  { key: 'thumbnails', negatedOnly: true, kind: 'boolean', commands: ['report'], help: 'no thumbnails: do not read the images at all' },
  { key: 'concurrency', short: '-j', value: '<n>', kind: 'integer', default: String(Math.min(4, os.availableParallelism())), check: { type: 'int', min: 1 },
    commands: ['report'], help: 'images decoded at once' },
  { key: 'max-input-pixels', value: '<n>', kind: 'integer', default: String(DEFAULT_MAX_INPUT_PIXELS), check: { type: 'int', min: 1 },
    commands: ['report'], help: 'no thumbnail for images larger than N pixels (decompression-bomb guard)' },
  { key: 'only', value: '<what>', kind: 'list', repeatable: true, check: { type: 'choice', of: REPORT_ONLY }, commands: ['report'],
    help: `only rows that are ${REPORT_ONLY.join('|')} (repeatable: rows matching any are kept)` },
  { key: 'limit', value: '<n>', kind: 'integer', check: { type: 'int', min: 1 }, commands: ['report'],
    help: 'only the first N rows (after --only), in catalog order' },
  { key: 'thumbnails-in', value: '<auto|page|folder>', kind: 'string', default: 'auto', check: { type: 'choice', of: THUMBNAIL_PLACES },
    commands: ['report'],
    help: `page: data: URIs inside the page; folder: files in PAGE_files/ beside it (needs -o FILE); auto: the folder above ${INLINE_THUMBNAILS} thumbnails at 256 px` },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['report'], help: 'no warnings or summary on stderr' },
  // xmp
  { key: 'sidecars', kind: 'boolean', commands: ['xmp'], help: 'write an XMP sidecar beside each image, merged into one that exists' },
  { key: 'csv', kind: 'boolean', commands: ['xmp'], help: 'write the CSV that `exiftool -csv=FILE -sep "; " DIR` applies (to -o FILE or stdout)' },
  { key: 'sidecar-name', value: '<photo.jpg.xmp|photo.xmp>', kind: 'string', default: 'photo.jpg.xmp',
    check: { type: 'choice', of: ['photo.jpg.xmp', 'photo.xmp'] }, commands: ['xmp'],
    help: 'sidecar naming: photo.jpg.xmp (darktable, digiKam) or photo.xmp (Lightroom)' },
  { key: 'base', value: '<dir>', kind: 'string', commands: ['xmp'],
    help: 'the folder the catalog run started in, which SourceFile paths are relative to (default: the current folder)' },
  { key: 'title', value: '<fields>', kind: 'string', commands: ['xmp'], help: fields('for the title, first non-empty wins (default: title,caption)') },
  { key: 'description', value: '<fields>', kind: 'string', commands: ['xmp'],
    help: fields('for the description (default: description,summary,caption; text jobs: the answer)') },
  { key: 'keywords', value: '<fields>', kind: 'string', commands: ['xmp'],
    help: fields('whose lists become keywords (default: tags,keywords,subjects,subject,objects)') },
  { key: 'overwrite', kind: 'boolean', commands: ['xmp'], help: 'replace a title, description or note that someone else wrote (default: keep it)' },
  { key: 'dry-run', kind: 'boolean', commands: ['xmp'], help: 'report what would change; write nothing' },
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['xmp'],
    help: `with --csv: write to FILE instead of stdout (- is stdout). ${OUTPUT_TAIL} the CSV is complete: a failed run leaves it as it was. A device or FIFO is written into directly` },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['xmp'], help: 'no summary on stderr unless something failed' },
  // prompts, models
  { key: 'lang', value: '<en|zh>', kind: 'string', check: { type: 'choice', of: ['en', 'zh'] }, commands: ['prompts list', 'prompts show', 'report'],
    help: 'language (default: from LANG, else en)' },
  { key: 'dtype', value: '<name>', kind: 'string', default: 'auto', check: { type: 'choice', of: ['auto', ...DTYPES] }, commands: ['models pull'],
    help: 'graph variant auto|fp32|fp16|q4|q4f16|int8|uint8|q8|bnb4' },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['models pull'], help: 'no progress on stderr' },
  // cache
  { key: 'cache', value: '<file>', kind: 'string', commands: ['cache stats', 'cache export', 'cache prune', 'cache vacuum'], help: `cache database ${CACHE_HELP}` },
  { key: 'cache', value: '<file>', kind: 'string', commands: ['cache merge'], help: `cache database to merge into, created if missing ${CACHE_HELP}` },
  { key: 'runs', value: '<n>', kind: 'integer', default: '5', check: { type: 'int', min: 0, what: 'non-negative integer' }, commands: ['cache stats'],
    help: 'how many recent runs to list' },
  { key: 'json', kind: 'boolean', commands: ['cache stats'], help: 'print one JSON object instead of tables' },
  { key: 'output', short: '-o', value: '<file>', kind: 'string', commands: ['cache export'],
    help: `write to FILE instead of stdout (- is stdout). ${OUTPUT_TAIL} the export is complete: a failed run leaves it as it was. A device or FIFO is written into directly` },
  { key: 'job', value: '<fingerprint>', kind: 'list', repeatable: true, commands: ['cache export'],
    help: 'only this job (a fingerprint prefix from cache stats; repeatable)' },
  { key: 'model', value: '<name>', kind: 'list', repeatable: true, commands: ['cache export'], help: 'only answers from this model (repeatable)' },
  { key: 'quiet', short: '-q', kind: 'boolean', commands: ['cache export'], help: 'no summary on stderr' },
  { key: 'older-than', value: '<age>', kind: 'string', commands: ['cache prune'],
    help: 'remove answers inferred before AGE ago (90d, 12h, 2w, 1y) or before a date (YYYY-MM-DD)' },
  { key: 'unused-for', value: '<age>', kind: 'string', commands: ['cache prune'], help: 'remove the answers of jobs no run has used for AGE' },
  { key: 'missing', kind: 'boolean', commands: ['cache prune'], help: 'forget indexed files that no longer exist, then the answers no indexed file has' },
  { key: 'relative-to', value: '<dir>', kind: 'string', commands: ['cache prune'],
    help: 'with --missing: the folder relative paths in the index are relative to (else they are kept)' },
  { key: 'force', kind: 'boolean', commands: ['cache prune'],
    help: 'with --missing: prune even when every indexed file is missing (an unmounted archive looks like that)' },
  { key: 'job', value: '<fingerprint>', kind: 'list', repeatable: true, commands: ['cache prune'],
    help: 'only answers of this job; alone: all its answers (repeatable)' },
  { key: 'dry-run', kind: 'boolean', commands: ['cache prune'], help: 'report what would be removed; remove nothing' },
  { key: 'lock', value: '<wait|skip>', kind: 'string', default: 'wait', check: { type: 'choice', of: CACHE_LOCK_MODES }, commands: CACHE_WRITERS, help: LOCK_HELP },
  { key: 'json', kind: 'boolean', commands: CACHE_WRITERS, help: 'print the report as JSON' },
  // Every cache tool finds its cache as catalog does, config file included.
  { key: 'config', value: '<file>', kind: 'string', commands: CACHE_TOOLS,
    help: 'the config file whose "cache" to use (default: the nearest glm-vision.config.json)', negate: 'read no config file' },
  // doctor
  { key: 'endpoint', value: '<url>', kind: 'list', repeatable: true, check: { type: 'url' }, commands: ['doctor'],
    help: 'also check this OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (repeatable)' },
  { key: 'model', short: '-m', value: '<name|dir>', kind: 'string', commands: ['doctor'],
    help: `with --endpoint: the model the servers must serve; without: the local model (folder or Hugging Face id) to look for (default: ${DEFAULT_MODEL})` },
  { key: 'api-key', value: '<key>', kind: 'string', commands: ['doctor'],
    help: 'API key for the endpoints (default: $GLM_VISION_API_KEY, $OPENAI_API_KEY, $ZHIPUAI_API_KEY)' },
  { key: 'cache', value: '<file>', kind: 'string', commands: ['doctor'], help: 'cache database to check (default: $GLM_VISION_CACHE or ~/.cache/glm-vision/cache.db)' },
  { key: 'config', value: '<file>', kind: 'string', commands: ['doctor'],
    help: 'take endpoints, model, key and cache from FILE, as catalog does (default: the nearest glm-vision.config.json)', negate: 'read no config file' },
  { key: 'timeout', value: '<seconds>', kind: 'number', default: '10', check: { type: 'number', min: 0, max: 3600, minOpen: true }, commands: ['doctor'],
    help: 'time limit for each endpoint' },
  { key: 'json', kind: 'boolean', commands: ['doctor'], help: 'print the checks as a JSON array of {check, status, detail, fix}' },
] as const satisfies readonly OptionSpec[];
