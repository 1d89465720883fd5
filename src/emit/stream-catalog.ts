// A catalog read one row at a time (report over an archive's catalog): the
// rows, checks and messages of read-catalog.ts, without the whole file in memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { cannotRead, CSV_OPTIONS, csvLayout, fail, jsonlRow, type CsvLayout, type ReadRow } from './read-catalog.js';

/** JSONL when the first character that is not white space (or a BOM) is `{`. */
async function sniff(file: string): Promise<'jsonl' | 'csv'> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw cannotRead(file, error);
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) throw new UsageError(t('emit:read.empty', { file }));
      const start = buffer.subarray(0, bytesRead).toString('latin1').replace(/^\xEF\xBB\xBF/, '').trimStart();
      if (start !== '') return start.startsWith('{') ? 'jsonl' : 'csv';
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(file, error);
  } finally {
    await handle.close();
  }
}

async function* jsonlRows(file: string): AsyncGenerator<ReadRow> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      const row = jsonlRow(lineNo === 1 ? line.replace(/^\uFEFF/, '') : line, lineNo, file);
      if (row) yield row;
    }
  } finally {
    lines.close();
  }
}

async function* csvRows(file: string): AsyncGenerator<ReadRow> {
  const input = createReadStream(file);
  const records = input.pipe(parse(CSV_OPTIONS));
  input.on('error', (error) => records.destroy(error)); // pipe() does not pass a read error on
  let layout: CsvLayout | undefined;
  let index = -1;
  try {
    for await (const cells of records as AsyncIterable<string[]>) {
      if (!layout) layout = csvLayout(cells, file);
      else yield layout.row(cells, index);
      index++;
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    fail(file, undefined, t('emit:read.notCsv', { why: (error as Error).message }));
  } finally {
    input.destroy();
  }
  if (!layout) csvLayout(undefined, file);
}

/** The catalog's rows in order; a bad row throws (UsageError, naming file and line) when it is reached. */
export async function* streamCatalog(file: string): AsyncGenerator<ReadRow> {
  yield* (await sniff(file)) === 'jsonl' ? jsonlRows(file) : csvRows(file);
}
