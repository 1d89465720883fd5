// Small previews for the report, as WebP (build.ts puts them in the page or in a
// folder beside it). The user's images are only ever read.
import { stat } from 'node:fs/promises';
import PQueue from 'p-queue';
import { t } from '../i18n/index.js';
import { FileFailure } from '../support/errors.js';
import { readRegularFile, sha256 } from '../pipeline/hash.js';
import type { ImageInput } from '../backends/backend.js';
import { Documents, kindByName, type Document } from '../pages/document.js';
import { probeImage } from '../image/preprocess.js';
import { sharedFiles } from './shared-files.js';

export interface ThumbnailOptions {
  /** Longest side in pixels; smaller images are not enlarged. */
  size: number;
  /** sharp's limitInputPixels: a decompression bomb gets a placeholder, not a hang. */
  maxInputPixels: number;
  /** Images decoded at once. */
  concurrency: number;
}

export type Thumbnail =
  | {
      kind: 'image';
      /** The WebP file. */
      data: Buffer;
      width: number;
      height: number;
      /** The file's SHA-256 differs from the catalog's: the picture may not be what the model saw. */
      changed: boolean;
    }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string };

const WEBP = { quality: 72, effort: 2 } as const;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A file as read for its thumbnails: its bytes, their hash, and the open document when it is one. */
export interface ReadFile {
  data: Buffer;
  sha: string;
  /** undefined for a single image. */
  document: Promise<Document | undefined>;
}

function readFile(file: string, documents: Documents | undefined): Promise<ReadFile> {
  return readRegularFile(file).then((data) => {
    const document = documents
      ? documents.detect(data, file).then((detected) => (detected ? documents.open(data, detected) : undefined))
      : Promise.resolve(undefined);
    document.catch(() => undefined); // reported by the row that awaits it
    return { data, sha: sha256(data), document };
  });
}

/** One thumbnail (of a page, for a document's page row); never throws for a bad image, only for a bug. */
export async function makeThumbnail(
  file: string, expectedSha256: string | null, options: ThumbnailOptions, page: number | null = null,
  read: (file: string) => Promise<ReadFile> = (f) => readFile(f, undefined),
): Promise<Thumbnail> {
  try {
    await stat(file);
  } catch (error) {
    if (isMissing(error)) return { kind: 'missing' };
    return { kind: 'unreadable', reason: t('report:thumb.cannotOpen', { why: (error as NodeJS.ErrnoException).code ?? (error as Error).message }) };
  }
  try {
    const { data, sha, document } = await read(file);
    const changed = expectedSha256 !== null && sha !== expectedSha256;
    const { decode } = await probeImage(await pageOrFile(data, page, await document), options.maxInputPixels);
    const out = await decode((pipeline) =>
      pipeline
        .rotate() // EXIF orientation, as the model saw it
        .resize({ width: options.size, height: options.size, fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
        .toColourspace('srgb')
        .webp(WEBP)
        .toBuffer({ resolveWithObject: true }));
    return {
      kind: 'image',
      data: out.data,
      width: out.info.width,
      height: out.info.height,
      changed,
    };
  } catch (error) {
    if (error instanceof FileFailure) return { kind: 'unreadable', reason: error.message };
    throw error;
  }
}

/** The page a row shows: rendered from its document (the first page for the document's own row), or the file itself. */
async function pageOrFile(data: Buffer, page: number | null, doc: Document | undefined): Promise<ImageInput> {
  if (!doc) return data;
  if (doc.pages === 0) throw new FileFailure('the document has no pages');
  if ((page ?? 1) > doc.pages) throw new FileFailure(`the document has ${doc.pages} pages now, not ${page ?? 1}`);
  return (await doc.renderPage(page ?? 1)).image;
}

export interface Thumbnailer {
  make(file: string, expectedSha256: string | null, page: number | null): Promise<Thumbnail>;
  close(): Promise<void>;
}

/**
 * A thumbnail maker that decodes at most `concurrency` images at once; results come back per call.
 * A document's rows (and a TIFF's, which may be one) share one read and one open of its file.
 */
export function thumbnailer(options: ThumbnailOptions): Thumbnailer {
  const queue = new PQueue({ concurrency: options.concurrency });
  // Pages rendered straight at thumbnail size.
  const documents = new Documents({
    pages: 'all', dpi: 150, maxPages: Infinity, maxPixels: options.size * options.size, maxInputPixels: options.maxInputPixels,
  });
  const files = sharedFiles(
    (file) => readFile(file, documents),
    (read) => read.then((r) => r.document).then((d) => d?.close()),
  );
  return {
    make: (file, sha, page) => queue.add(() => (page !== null || kindByName(file)
      ? files.use(file, (read) => makeThumbnail(file, sha, options, page, () => read))
      : makeThumbnail(file, sha, options))),
    close: async () => {
      await files.close();
      await documents.close();
    },
  };
}
