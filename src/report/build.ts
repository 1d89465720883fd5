// `report`: a finished catalog and its images become one self-contained HTML page.
import path from 'node:path';
import type { Writable } from 'node:stream';
import { STATUSES, type CatalogRow, type Status } from '../emit/columns.js';
import { imagePath, readCatalog } from '../emit/read-catalog.js';
import { fileSink, OutputClosed, stdoutSink } from '../emit/sink.js';
import { UsageError } from '../support/errors.js';
import { sameFile } from '../support/same-file.js';
import { pageHead, pageRow, pageTail, type PageInfo } from './page.js';
import { thumbnailer, type Thumbnail, type ThumbnailOptions } from './thumbnails.js';

export interface ReportJob {
  /** The catalog file as the user named it. */
  catalog: string;
  /** Folder that SourceFile paths are relative to. */
  base: string;
  /** -o FILE; undefined writes to `stdout`. */
  output: string | undefined;
  /** Undefined: no thumbnails, and the images are not read at all. */
  thumbnails: ThumbnailOptions | undefined;
  version: string;
  now: Date;
  /** Aborted (SIGINT): stop between rows; the temporary file is removed and -o keeps its old content. */
  signal?: AbortSignal;
}

export interface ReportSummary {
  rows: number;
  thumbnails: number;
  missing: number;
  unreadable: number;
  /** Images whose SHA-256 is no longer the catalog's. */
  changed: number;
  /** Error rows: "no preview" with their error, and their files not read (counted in `unreadable` too). */
  errorRows: number;
  /** Warnings for the first few rows with an image problem. */
  problems: string[];
  bytes: number;
}

const PROBLEMS_KEPT = 5;

const errorPlaceholder = (row: CatalogRow): Thumbnail => ({ kind: 'unreadable', reason: row.error || 'the row is an error' });

const distinct = (values: string[]): string[] => [...new Set(values.filter((v) => v !== ''))];

function pageInfo(job: ReportJob, rows: CatalogRow[]): PageInfo {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const row of rows) counts[row.status]++;
  return {
    catalog: job.catalog,
    rows: rows.length,
    counts,
    models: distinct(rows.map((r) => r.model)),
    prompts: distinct(rows.map((r) => r.prompt)),
    generated: job.now,
    base: job.thumbnails ? path.resolve(job.base) : undefined,
    thumbSize: job.thumbnails?.size ?? 0,
    version: job.version,
  };
}

export async function writeReport(job: ReportJob, stdout: Writable): Promise<ReportSummary> {
  if (job.output !== undefined && sameFile(job.output, job.catalog)) {
    throw new UsageError(`Refusing to write the report over the catalog ${job.catalog}: give -o another file, e.g. report.html`);
  }
  const { rows, fields } = readCatalog(job.catalog);
  const info = pageInfo(job, rows);
  const summary: ReportSummary = { rows: rows.length, thumbnails: 0, missing: 0, unreadable: 0, changed: 0, errorRows: 0, problems: [], bytes: 0 };
  const make = job.thumbnails ? thumbnailer(job.thumbnails) : undefined;
  // Thumbnails are made a little ahead of the row being written, so memory stays bounded however long the catalog.
  const window = Math.max(8, (job.thumbnails?.concurrency ?? 1) * 4);
  const ahead: Promise<Thumbnail>[] = [];
  let started = 0;
  const fill = (): void => {
    while (make && started < rows.length && ahead.length < window) {
      const row = rows[started++] as CatalogRow;
      // An error row's picture is not what the model saw, if it saw one: its file is not read.
      const promise = row.status === 'error' ? Promise.resolve(errorPlaceholder(row))
        : make.make(imagePath(row, job.base), row.sha256, row.page);
      promise.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
      ahead.push(promise);
    }
  };

  const sink = job.output !== undefined ? await fileSink(job.output) : stdoutSink(stdout);
  const write = async (text: string): Promise<void> => {
    summary.bytes += Buffer.byteLength(text);
    await sink.write(text);
  };
  try {
    await write(pageHead(info));
    for (const [i, row] of rows.entries()) {
      job.signal?.throwIfAborted();
      fill();
      const thumb = make ? await ahead.shift() : undefined;
      const file = imagePath(row, job.base);
      if (thumb?.kind === 'image') {
        summary.thumbnails++;
        if (thumb.changed) summary.changed++;
      } else if (thumb) {
        summary[thumb.kind]++;
        if (row.status === 'error') summary.errorRows++;
      }
      const problem = thumb?.kind === 'missing' ? `image not found: ${file}`
        : thumb?.kind === 'unreadable' ? `no preview of ${file}: ${thumb.reason}`
        : thumb?.changed ? `${file} has changed since it was catalogued (its SHA-256 differs)` : undefined;
      if (problem !== undefined && summary.problems.length < PROBLEMS_KEPT) summary.problems.push(problem);
      await write(pageRow({ row, n: i + 1, file, thumb, fields, showPrompt: info.prompts.length > 1 }));
    }
    await write(pageTail(info));
    await sink.commit();
  } catch (error) {
    await sink.discard();
    if (!(error instanceof OutputClosed)) throw error;
  } finally {
    await make?.close();
  }
  return summary;
}
