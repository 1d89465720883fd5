// Catalog formats: CSV (RFC 4180 via csv-stringify) and JSONL. Rows arrive in
// input order; each is written as soon as it is known.
import { stringify } from 'csv-stringify/sync';
import { LEADING_COLUMNS, LIST_SEPARATOR, TRAILING_COLUMNS, type CatalogRow } from './columns.js';
import { neutralizeCell, neutralizePath } from './neutralize.js';
import type { Sink } from './sink.js';
import { EXIFTOOL_COLUMNS, exiftoolRecords } from '../xmp/exiftool-csv.js';
import { DEFAULT_FIELD_MAP, provenanceNotes } from '../xmp/fields.js';

export type Format = 'csv' | 'jsonl' | 'exiftool';
export const FORMATS: readonly Format[] = ['csv', 'jsonl', 'exiftool'];

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

export function csvColumns(fields: string[]): string[] {
  return [...LEADING_COLUMNS, ...(fields.length ? fields : ['output']), ...TRAILING_COLUMNS];
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return neutralizeCell(value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(LIST_SEPARATOR));
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

// CRLF records (RFC 4180, Excel); csv-stringify then quotes only fields holding
// "\r\n", so a bare \n or \r in a file name or answer must be matched explicitly.
export const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

export async function createWriter(sink: Sink, options: WriterOptions): Promise<CatalogWriter> {
  if (options.format === 'jsonl') {
    // A row's keys are already in column order (pipeline/rows.ts makes every row), so it is
    // written as it is: a copy per row would be a third of a cached re-run's JSONL time.
    return { write: (rows) => sink.write(rows.map((row) => `${JSON.stringify(row)}\n`).join('')) };
  }
  if (options.format === 'exiftool') {
    await sink.write(stringify([[...EXIFTOOL_COLUMNS]], CSV_OPTIONS));
    const note = provenanceNotes();
    return {
      write: (rows) => {
        const records = exiftoolRecords(rows, DEFAULT_FIELD_MAP, note);
        return records.length ? sink.write(stringify(records, CSV_OPTIONS)) : Promise.resolve();
      },
    };
  }
  const header = stringify([csvColumns(options.fields)], CSV_OPTIONS);
  await sink.write((options.bom ? '\uFEFF' : '') + header);
  return {
    write: (rows) =>
      sink.write(stringify(rows.map((row) => csvRecord(row, options.fields)), CSV_OPTIONS)),
  };
}
