// Reads a catalog written by `catalog` (JSONL or CSV) back into rows, for the
// commands that work from a finished catalog (report, xmp).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../support/errors.js';
import { unneutralizeCell } from './neutralize.js';
import { DECISIONS, type Decision } from '../cache/reviews.js';
import { LEADING_COLUMNS, objectOrText, REVIEW_COLUMNS, REVIEWED_AT, STATUSES, TRAILING_COLUMNS, type CatalogRow, type Status } from './columns.js';

export interface ReadCatalog {
  rows: CatalogRow[];
  /** Template fields (structured jobs), in column order; empty for text jobs. */
  fields: string[];
  format: 'csv' | 'jsonl';
}

function fail(file: string, where: string, why: string): never {
  throw new UsageError(`${file}${where}: ${why}`);
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const stringOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function toRow(
  obj: Record<string, unknown>, output: CatalogRow['output'], modelOutput: CatalogRow['model_output'], file: string, where: string,
): CatalogRow {
  const status = obj.status;
  if (typeof obj.SourceFile !== 'string' || obj.SourceFile === '') fail(file, where, 'no SourceFile');
  if (!STATUSES.includes(status as Status)) fail(file, where, `unknown status ${JSON.stringify(status)}`);
  const review = stringOrNull(obj.review);
  if (review !== null && !DECISIONS.includes(review as Decision)) {
    fail(file, where, `unknown review ${JSON.stringify(review)} (expected ${DECISIONS.join(', ')} or empty)`);
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
  };
}

const outputValue = (v: unknown): CatalogRow['output'] =>
  typeof v === 'string' || v === null || v === undefined ? (v ?? null) : (v as Record<string, unknown>);

function readJsonl(text: string, file: string): ReadCatalog {
  const rows: CatalogRow[] = [];
  const fields = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      fail(file, ` line ${i + 1}`, 'not JSON (is this a glm-vision catalog?)');
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) fail(file, ` line ${i + 1}`, 'not a catalog row');
    const record = obj as Record<string, unknown>;
    const output = record.output;
    if (output && typeof output === 'object' && !Array.isArray(output)) for (const k of Object.keys(output)) fields.add(k);
    rows.push(toRow(record, outputValue(output), outputValue(record.model_output), file, ` line ${i + 1}`));
  });
  return { rows, fields: [...fields], format: 'jsonl' };
}

function readCsv(text: string, file: string): ReadCatalog {
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (error) {
    fail(file, '', `not a readable CSV: ${(error as Error).message}`);
  }
  const header = records[0];
  if (!header) fail(file, '', 'empty: no header row');
  // Catalogs from before page support have no page and pages columns; from before reviews, no review
  // columns; from the first catalogs with reviews, no reviewed_at.
  const older = new Set<string>([
    ...(header[1] === 'page' ? [] : ['page', 'pages']),
    ...(header.includes('review') ? [] : REVIEW_COLUMNS),
    ...(header.includes(REVIEWED_AT) ? [] : [REVIEWED_AT]),
  ]);
  const leading = LEADING_COLUMNS.filter((c) => !older.has(c));
  const trailing = TRAILING_COLUMNS.filter((c) => !older.has(c));
  const lead = header.slice(0, leading.length);
  const trail = header.slice(header.length - trailing.length);
  if (lead.join(',') !== leading.join(',') || trail.join(',') !== trailing.join(',')) {
    fail(file, '', `the header is not a glm-vision catalog's (${LEADING_COLUMNS.slice(0, 3).join(',')},…)`);
  }
  const middle = header.slice(leading.length, header.length - trailing.length);
  const text_ = middle.length === 1 && middle[0] === 'output';
  const rows = records.slice(1).map((cells, i) => {
    const obj: Record<string, unknown> = {};
    header.forEach((name, c) => {
      const cell = cells[c] ?? '';
      obj[name] = name === 'SourceFile' ? cell : unneutralizeCell(cell);
    });
    let output: CatalogRow['output'] = null;
    if (obj.status !== 'error' && obj.review !== 'rejected') {
      if (text_) output = obj.output as string;
      else output = Object.fromEntries(middle.map((f) => [f, obj[f]]));
    }
    const model = stringOrNull(obj.model_output);
    return toRow(obj, output, model === null || text_ ? model : objectOrText(model), file, ` row ${i + 2}`);
  });
  return { rows, fields: text_ ? [] : middle, format: 'csv' };
}

/** Reads a catalog file; the format comes from its first byte ({ for JSONL). */
export function readCatalog(file: string): ReadCatalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the catalog ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start === '') throw new UsageError(`The catalog ${file} is empty`);
  return start.startsWith('{') ? readJsonl(text, file) : readCsv(text, file);
}

/** Where a row's image is: SourceFile is relative to the folder the catalog run started in. */
export function imagePath(row: CatalogRow, base: string): string {
  return path.resolve(base, row.SourceFile);
}
