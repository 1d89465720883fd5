// `report`: a finished catalog and its images become an HTML page, its thumbnails
// inside it or, for a big catalog, in a folder beside it (thumbnail-place.ts).
// The catalog is read twice, row by row: once for the header and the checks, once
// to write the rows, so memory stays flat however long the catalog.
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { CatalogRow } from '../emit/columns.js';
import { imagePath, type ReadRow } from '../emit/read-catalog.js';
import { fileSink, OutputClosed, stdoutSink, type Sink } from '../emit/sink.js';
import { currentLang, t, type Lang } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { sameFile } from '../support/same-file.js';
import { CHUNK_END, chunkStart, isChunked, pageHead, pageRow, pageTail, type PageInfo, type ShownThumbnail } from './page.js';
import { selectionFlags, shownRows, type Selection } from './selection.js';
import { surveyCatalog, type Survey } from './survey.js';
import { openThumbnailFolder, removeThumbnailFolder, type ThumbnailFolder } from './thumbnail-folder.js';
import { placeThumbnails, type ThumbnailPlace } from './thumbnail-place.js';
import { thumbnailer, type Thumbnail, type ThumbnailOptions, type Thumbnailer } from './thumbnails.js';

export interface ReportJob {
  /** The catalog file as the user named it. */
  catalog: string;
  /** Folder that SourceFile paths are relative to. */
  base: string;
  /** -o FILE; undefined writes to `stdout`. */
  output: string | undefined;
  /** Undefined: no thumbnails, and the images are not read at all. */
  thumbnails: ThumbnailOptions | undefined;
  /** --thumbnails-in. */
  place: ThumbnailPlace;
  selection: Selection;
  version: string;
  /** The page's language; by default the command's (--lang, else the locale). */
  lang?: Lang;
  now: Date;
  /** Aborted (SIGINT): stop between rows; the temporary file is removed and -o keeps its old content. */
  signal?: AbortSignal;
  /** Overrides INLINE_THUMBNAILS, the inline limit at 256 px (tests). */
  inlineAtDefaultSize?: number;
}

export interface ReportSummary {
  /** Rows shown. */
  rows: number;
  /** Rows in the catalog. */
  total: number;
  thumbnails: number;
  missing: number;
  unreadable: number;
  /** Images whose SHA-256 is no longer the catalog's. */
  changed: number;
  /** Error rows: "no preview" with their error, and their files not read (counted in `unreadable` too). */
  errorRows: number;
  /** Warnings for the first few rows with an image problem. */
  problems: string[];
  /** The page's bytes. */
  bytes: number;
  /** The thumbnail folder beside the page, when they went there. */
  folder: { dir: string; files: number; bytes: number } | undefined;
}

const PROBLEMS_KEPT = 5;

const errorPlaceholder = (row: CatalogRow): ShownThumbnail => ({ kind: 'unreadable', reason: row.error || t('report:thumb.errorRow') });

function pageInfo(job: ReportJob, survey: Survey, folder: ThumbnailFolder | undefined): PageInfo {
  return {
    catalog: job.catalog,
    rows: survey.shown,
    total: survey.total,
    selection: selectionFlags(job.selection),
    counts: survey.counts,
    reviewed: survey.reviewed,
    models: survey.models,
    prompts: survey.prompts,
    generated: job.now,
    base: job.thumbnails ? path.resolve(job.base) : undefined,
    thumbSize: job.thumbnails?.size ?? 0,
    folder: folder ? path.basename(folder.dir) : undefined,
    version: job.version,
    lang: job.lang ?? currentLang(),
  };
}

/** A thumbnail as the page refers to it: inline as a data: URI, or written to the folder. */
async function shown(thumb: Thumbnail, folder: ThumbnailFolder | undefined): Promise<ShownThumbnail> {
  if (thumb.kind !== 'image') return thumb;
  const { data, width, height, changed } = thumb;
  const src = folder ? await folder.put(data) : `data:image/webp;base64,${data.toString('base64')}`;
  return { kind: 'image', src, width, height, changed };
}

interface Pending {
  row: ReadRow;
  n: number;
  thumb: Promise<ShownThumbnail> | undefined;
}

/** Where the page goes, and where its thumbnails: checked and opened before anything is written. */
async function openOutputs(job: ReportJob, survey: Survey, stdout: Writable): Promise<{ sink: Sink; folder: ThumbnailFolder | undefined }> {
  const sink = job.output !== undefined ? await fileSink(job.output) : stdoutSink(stdout);
  try {
    const place = job.thumbnails && placeThumbnails({
      asked: job.place,
      rows: survey.shown,
      pictured: survey.pictured,
      thumbSize: job.thumbnails.size,
      toFile: job.output !== undefined && sink.atomic,
      inlineAtDefaultSize: job.inlineAtDefaultSize,
    });
    const folder = place === 'folder' ? await openThumbnailFolder(job.output as string) : undefined;
    return { sink, folder };
  } catch (error) {
    await sink.discard();
    throw error;
  }
}

export async function writeReport(job: ReportJob, stdout: Writable): Promise<ReportSummary> {
  if (job.output !== undefined && sameFile(job.output, job.catalog)) {
    throw new UsageError(t('report:refuseCatalog', { catalog: job.catalog }));
  }
  const survey = await surveyCatalog(job.catalog, job.selection);
  const { sink, folder } = await openOutputs(job, survey, stdout);
  const info = pageInfo(job, survey, folder);
  const summary: ReportSummary = {
    rows: survey.shown, total: survey.total, thumbnails: 0, missing: 0, unreadable: 0, changed: 0, errorRows: 0, problems: [], bytes: 0, folder: undefined,
  };
  const make: Thumbnailer | undefined = job.thumbnails ? thumbnailer(job.thumbnails) : undefined;
  // Thumbnails are made (and written to the folder) a little ahead of the row being written; no more are held.
  const window = Math.max(8, (job.thumbnails?.concurrency ?? 1) * 4);
  const ahead: Pending[] = [];
  // Rows appended to the catalog since the first pass are not shown: the header counted without them.
  const rows = shownRows(job.catalog, job.selection, survey.shown);
  let exhausted = false;
  const fill = async (): Promise<void> => {
    while (!exhausted && ahead.length < window) {
      const next = await rows.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const { row, n } = next.value;
      // An error row's picture is not what the model saw, if it saw one: its file is not read.
      const thumb = !make ? undefined
        : row.status === 'error' ? Promise.resolve(errorPlaceholder(row))
        : make.make(imagePath(row, job.base), row.sha256, row.page).then((t) => shown(t, folder));
      thumb?.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
      ahead.push({ row, n, thumb });
    }
  };

  const write = async (text: string): Promise<void> => {
    summary.bytes += Buffer.byteLength(text);
    await sink.write(text);
  };
  const chunked = isChunked(info);
  let written = 0;
  try {
    await write(pageHead(info));
    for (;;) {
      job.signal?.throwIfAborted();
      await fill();
      const next = ahead.shift();
      if (!next) break;
      const { row, n } = next;
      const thumb = await next.thumb;
      const file = imagePath(row, job.base);
      if (thumb?.kind === 'image') {
        summary.thumbnails++;
        if (thumb.changed) summary.changed++;
      } else if (thumb) {
        summary[thumb.kind]++;
        if (row.status === 'error') summary.errorRows++;
      }
      const problem = thumb?.kind === 'missing' ? t('report:problem.missing', { file })
        : thumb?.kind === 'unreadable' ? t('report:problem.noPreview', { file, why: thumb.reason })
        : thumb?.changed ? t('report:problem.changed', { file }) : undefined;
      if (problem !== undefined && summary.problems.length < PROBLEMS_KEPT) summary.problems.push(problem);
      if (chunked) await write(chunkStart(written));
      await write(pageRow({ row, n, file, thumb, fields: survey.fields, showPrompt: info.prompts.length > 1, deferred: folder !== undefined, lang: info.lang }));
      written++;
    }
    if (chunked && written > 0) await write(CHUNK_END);
    await write(pageTail(info));
    await sink.commit();
  } catch (error) {
    // Nothing may still be writing into the folder when it is removed.
    await Promise.allSettled(ahead.map((p) => p.thumb));
    await sink.discard();
    await folder?.discard();
    if (!(error instanceof OutputClosed)) throw error;
    return summary;
  } finally {
    await rows.return(undefined);
    await make?.close();
  }
  // The new page is in place: what only the earlier one used can go (or stays for the next run, if it cannot).
  if (folder) {
    await folder.prune().catch(() => undefined);
    summary.folder = { dir: folder.dir, files: folder.files, bytes: folder.bytes };
  } else if (job.output !== undefined && sink.atomic) {
    await removeThumbnailFolder(job.output).catch(() => undefined);
  }
  return summary;
}
