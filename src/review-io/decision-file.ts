// Reads a file of decisions for `review import`: a CSV (a catalog, a `review export`, a spreadsheet
// saved as CSV) or JSON Lines, each record with the line it starts on, so that every problem can
// name its line. A UTF-8 byte-order mark and CRLF line ends are fine.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { unneutralizeCell } from '../emit/neutralize.js';

export interface DecisionRecord {
  /** The line the record starts on (CSV: the header is line 1). */
  line: number;
  /** CSV: every cell as text (a spreadsheet's formula guard undone); JSONL: the object's values. */
  values: Record<string, unknown>;
}

export interface DecisionFile {
  format: 'csv' | 'jsonl';
  /** CSV: the header's column names; JSONL: every key seen. */
  columns: string[];
  records: DecisionRecord[];
}

const LF = 0x0a;
const CR = 0x0d;

function readCsv(data: Buffer, file: string): DecisionFile {
  let parsed: { record: string[]; info: { bytes: number } }[];
  try {
    parsed = parse(data, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof parsed;
  } catch (error) {
    throw new UsageError(t('reviewio:file.notCsv', { file, why: (error as Error).message }));
  }
  const header = parsed[0]?.record;
  if (!header) throw new UsageError(t('reviewio:file.noHeader', { file }));
  const columns = header.map((c) => c.trim());
  const records: DecisionRecord[] = [];
  // info.bytes is where a record ends; the next one starts there, after any empty lines.
  let end = parsed[0]?.info.bytes ?? 0;
  let lines = 1 + count(data, 0, end, LF);
  for (const { record, info } of parsed.slice(1)) {
    let start = end;
    while (data[start] === CR || data[start] === LF) start++;
    lines += count(data, end, start, LF);
    const values: Record<string, unknown> = {};
    columns.forEach((name, i) => {
      const cell = record[i] ?? '';
      values[name] = name === 'SourceFile' || name === 'path' ? cell : unneutralizeCell(cell);
    });
    records.push({ line: lines, values });
    lines += count(data, start, info.bytes, LF);
    end = info.bytes;
  }
  return { format: 'csv', columns, records };
}

function count(data: Buffer, from: number, to: number, byte: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (data[i] === byte) n++;
  return n;
}

function readJsonl(text: string, file: string): DecisionFile {
  const records: DecisionRecord[] = [];
  const columns = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new UsageError(t('reviewio:file.notJson', { file, line: i + 1, why: (error as Error).message }));
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(t('reviewio:file.notObject', { file, line: i + 1 }));
    for (const k of Object.keys(value)) columns.add(k);
    records.push({ line: i + 1, values: value as Record<string, unknown> });
  });
  return { format: 'jsonl', columns: [...columns], records };
}

/** Reads FILE; JSON Lines when it starts with `{`, else CSV. */
export function readDecisionFile(file: string, shownAs = file): DecisionFile {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const values = { file: shownAs, why: (error as Error).message };
    throw new UsageError(t(code === 'ENOENT' ? 'reviewio:file.noSuchFile' : code === 'EISDIR' ? 'reviewio:file.isFolder' : 'reviewio:file.cannotRead', values));
  }
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new UsageError(t('reviewio:file.empty', { file: shownAs }));
  return text.trimStart().startsWith('{') ? readJsonl(text, shownAs) : readCsv(data, shownAs);
}
