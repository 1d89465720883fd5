// Reads a catalog written by `catalog` (JSONL or CSV) back into rows, for the
// commands that work from a finished catalog (report, xmp). stream-catalog.ts
// reads the same rows one at a time, with the same checks and messages.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { unneutralizeCell } from './neutralize.js';
import { DECISIONS, type Decision } from '../cache/reviews.js';
import { LEADING_COLUMNS, objectOrText, RAW_OUTPUT, REVIEW_COLUMNS, REVIEWED_AT, STATUSES, TRAILING_COLUMNS, type CatalogRow, type Status } from './columns.js';

/** A row as read back; catalogs from before reviews have none of the review columns: empty. */
export type ReadRow = CatalogRow;

export interface ReadCatalog {
  rows: ReadRow[];
  /** Template fields (structured jobs), in column order; empty for text jobs. */
  fields: string[];
  format: 'csv' | 'jsonl';
}

/** Where in a catalog a problem is: the whole file, a JSONL line or a CSV row (both 1-based, as an editor counts). */
export type Where = { line: number } | { row: number } | undefined;

export function fail(file: string, where: Where, why: string): never {
  const at = where === undefined ? '' : 'line' in where ? t('emit:read.line', { line: where.line }) : t('emit:read.row', { row: where.row });
  throw new UsageError(t('emit:read.problem', { file, at, why }));
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const stringOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function toRow(
  obj: Record<string, unknown>, output: CatalogRow['output'], modelOutput: CatalogRow['model_output'], file: string, where: Where,
): CatalogRow {
  const status = obj.status;
  if (typeof obj.SourceFile !== 'string' || obj.SourceFile === '') fail(file, where, t('emit:read.noSourceFile'));
  if (!STATUSES.includes(status as Status)) fail(file, where, t('emit:read.unknownStatus', { status: JSON.stringify(status) }));
  const review = stringOrNull(obj.review);
  if (review !== null && !DECISIONS.includes(review as Decision)) {
    fail(file, where, t('emit:read.unknownReview', { review: JSON.stringify(review), expected: DECISIONS.join(', ') }));
  }
  return {
    SourceFile: obj.SourceFile,
    page: numberOrNull(obj.page),
    pages: numberOrNull(obj.pages),
    sha256: stringOrNull(obj.sha256),
    bytes: numberOrNull(obj.bytes),
    width: numberOrNull(obj.width),
    height: numberOrNull(obj.height),
    format: stringOrNull(obj.format),
    status: status as Status,
    cached: obj.cached === true || obj.cached === 'true',
    error: stringOrNull(obj.error),
    prompt: typeof obj.prompt === 'string' ? obj.prompt : '',
    model: typeof obj.model === 'string' ? obj.model : '',
    job: typeof obj.job === 'string' ? obj.job : '',
    review: review as Decision | null,
    reviewer: stringOrNull(obj.reviewer),
    reviewed_at: stringOrNull(obj.reviewed_at),
    output,
    model_output: modelOutput,
    tokens_in: numberOrNull(obj.tokens_in),
    tokens_out: numberOrNull(obj.tokens_out),
    latency_ms: numberOrNull(obj.latency_ms),
    raw_output: stringOrNull(obj.raw_output),
  };
}

const outputValue = (v: unknown): CatalogRow['output'] =>
  typeof v === 'string' || v === null || v === undefined ? (v ?? null) : (v as Record<string, unknown>);

/** One JSONL line (1-based `lineNo`) as a row, or undefined for a blank line. */
export function jsonlRow(line: string, lineNo: number, file: string): ReadRow | undefined {
  if (line.trim() === '') return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    fail(file, { line: lineNo }, t('emit:read.notJson'));
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) fail(file, { line: lineNo }, t('emit:read.notRow'));
  const record = obj as Record<string, unknown>;
  return toRow(record, outputValue(record.output), outputValue(record.model_output), file, { line: lineNo });
}

function readJsonl(text: string, file: string): ReadCatalog {
  const rows: ReadRow[] = [];
  const fields = new Set<string>();
  text.split('\n').forEach((line, i) => {
    const row = jsonlRow(i === 0 ? line.replace(/^\uFEFF/, '') : line, i + 1, file);
    if (!row) return;
    if (row.output && typeof row.output === 'object' && !Array.isArray(row.output)) for (const k of Object.keys(row.output)) fields.add(k);
    rows.push(row);
  });
  return { rows, fields: [...fields], format: 'jsonl' };
}

export interface CsvLayout {
  /** Template fields; empty for text jobs. */
  fields: string[];
  /** A data record (the `index`th, 0-based, after the header) as a row. */
  row(cells: string[], index: number): ReadRow;
}

/** What a CSV catalog's header says about its records; fails unless it is a glm-vision catalog's. */
export function csvLayout(header: string[] | undefined, file: string): CsvLayout {
  if (!header) fail(file, undefined, t('emit:read.noHeader'));
  // Catalogs from before page support have no page and pages columns; from before reviews, no review
  // columns; from the first catalogs with reviews, no reviewed_at; from before raw_output, none.
  const older = new Set<string>([
    ...(header[1] === 'page' ? [] : ['page', 'pages']),
    ...(header.includes('review') ? [] : REVIEW_COLUMNS),
    ...(header.includes(REVIEWED_AT) ? [] : [REVIEWED_AT]),
    ...(header.includes(RAW_OUTPUT) ? [] : [RAW_OUTPUT]),
  ]);
  const leading = LEADING_COLUMNS.filter((c) => !older.has(c));
  const trailing = TRAILING_COLUMNS.filter((c) => !older.has(c));
  const lead = header.slice(0, leading.length);
  const trail = header.slice(header.length - trailing.length);
  if (lead.join(',') !== leading.join(',') || trail.join(',') !== trailing.join(',')) {
    fail(file, undefined, t('emit:read.notOurHeader', { columns: LEADING_COLUMNS.slice(0, 3).join(',') }));
  }
  const middle = header.slice(leading.length, header.length - trailing.length);
  const text = middle.length === 1 && middle[0] === 'output';
  return {
    fields: text ? [] : middle,
    row(cells, index) {
      const obj: Record<string, unknown> = {};
      header.forEach((name, c) => {
        const cell = cells[c] ?? '';
        obj[name] = name === 'SourceFile' ? cell : unneutralizeCell(cell);
      });
      let output: CatalogRow['output'] = null;
      if (obj.status !== 'error' && obj.review !== 'rejected') {
        if (text) output = obj.output as string;
        else output = Object.fromEntries(middle.map((f) => [f, obj[f]]));
      }
      const model = stringOrNull(obj.model_output);
      return toRow(obj, output, model === null || text ? model : objectOrText(model), file, { row: index + 2 });
    },
  };
}

/** csv-parse's options for a catalog: every record as long as the header. */
export const CSV_OPTIONS = { bom: true, relax_column_count: false, skip_empty_lines: true } as const;

function readCsv(text: string, file: string): ReadCatalog {
  let records: string[][];
  try {
    records = parse(text, CSV_OPTIONS) as string[][];
  } catch (error) {
    fail(file, undefined, t('emit:read.notCsv', { why: (error as Error).message }));
  }
  const layout = csvLayout(records[0], file);
  return { rows: records.slice(1).map((cells, i) => layout.row(cells, i)), fields: layout.fields, format: 'csv' };
}

export function cannotRead(file: string, error: unknown): UsageError {
  const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
  return new UsageError(missing ? t('emit:read.noSuchFile', { file }) : t('emit:read.cannotRead', { file, why: (error as Error).message }));
}

/** Reads a catalog file; the format comes from its first byte ({ for JSONL). */
export function readCatalog(file: string): ReadCatalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw cannotRead(file, error);
  }
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start === '') throw new UsageError(t('emit:read.empty', { file }));
  return start.startsWith('{') ? readJsonl(text, file) : readCsv(text, file);
}

/** Where a row's image is: SourceFile is relative to the folder the catalog run started in. */
export function imagePath(row: CatalogRow, base: string): string {
  return path.resolve(base, row.SourceFile);
}
