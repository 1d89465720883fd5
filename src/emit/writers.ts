// Catalog formats: CSV (RFC 4180 via csv-stringify) and JSONL. Rows arrive in
// input order; each is written as soon as it is known.
import { stringify } from 'csv-stringify/sync';
import { LEADING_COLUMNS, TRAILING_COLUMNS, type CatalogRow } from './columns.js';
import type { Sink } from './sink.js';

export type Format = 'csv' | 'jsonl';

export interface CatalogWriter {
  /** Writes rows in one go (consecutive finished rows share one write). */
  write(rows: readonly CatalogRow[]): Promise<void>;
}

export interface WriterOptions {
  format: Format;
  /** Schema fields for json templates; empty for text templates. */
  fields: string[];
  bom: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** Cells a spreadsheet would run as a formula get a leading apostrophe. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Paths keep working for exiftool: a risky relative path gets a harmless "./". */
export function neutralizePath(value: string): string {
  return FORMULA_START.test(value) ? `./${value}` : value;
}

export function csvColumns(fields: string[]): string[] {
  return [...LEADING_COLUMNS, ...(fields.length ? fields : ['output']), ...TRAILING_COLUMNS];
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return neutralizeCell(value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('; '));
  if (typeof value === 'object') return neutralizeCell(JSON.stringify(value));
  if (typeof value === 'string') return neutralizeCell(value);
  return String(value);
}

export function csvRecord(row: CatalogRow, fields: string[]): string[] {
  const record: string[] = [];
  for (const col of LEADING_COLUMNS) {
    record.push(col === 'SourceFile' ? neutralizePath(row.SourceFile) : csvCell(row[col]));
  }
  if (fields.length) {
    const out = row.output && typeof row.output === 'object' ? row.output : {};
    for (const f of fields) record.push(csvCell(out[f]));
  } else {
    record.push(csvCell(typeof row.output === 'string' ? row.output : row.output === null ? null : JSON.stringify(row.output)));
  }
  for (const col of TRAILING_COLUMNS) record.push(csvCell(row[col]));
  return record;
}

export function jsonlObject(row: CatalogRow): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const col of LEADING_COLUMNS) obj[col] = row[col];
  obj.output = row.output;
  for (const col of TRAILING_COLUMNS) obj[col] = row[col];
  return obj;
}

// CRLF records (RFC 4180, Excel); csv-stringify then quotes only fields holding
// "\r\n", so a bare \n or \r in a file name or answer must be matched explicitly.
const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

export async function createWriter(sink: Sink, options: WriterOptions): Promise<CatalogWriter> {
  if (options.format === 'jsonl') {
    return { write: (rows) => sink.write(rows.map((row) => `${JSON.stringify(jsonlObject(row))}\n`).join('')) };
  }
  const header = stringify([csvColumns(options.fields)], CSV_OPTIONS);
  await sink.write((options.bom ? '\uFEFF' : '') + header);
  return {
    write: (rows) =>
      sink.write(stringify(rows.map((row) => csvRecord(row, options.fields)), CSV_OPTIONS)),
  };
}
