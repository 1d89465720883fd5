// The page's pictures, made when asked for: a row's image (or its document's page, rendered then)
// turned as the model saw it (EXIF orientation), scaled down, WebP. Nothing is read at start-up;
// what was made is kept in a bounded LRU, and a document stays open while its pages are walked.
import { t } from '../i18n/index.js';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import PQueue from 'p-queue';
import type { ImageInput } from '../backends/backend.js';
import { probeImage } from '../image/preprocess.js';
import { Documents, kindByName, type Document } from '../pages/document.js';
import { readRegularFile } from '../pipeline/hash.js';
import { sharedFiles } from '../report/shared-files.js';
import { FileFailure } from '../support/errors.js';
import { ByteLru } from './lru.js';
import type { ReviewRow } from './rows.js';

export const IMAGE_SIZES = { thumb: 160, large: 1600 } as const;
export type ImageSize = keyof typeof IMAGE_SIZES;

export type ImageReply =
  | { kind: 'image'; data: Buffer }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string };

export interface ImageOptions {
  /** The folder SourceFile paths are relative to. */
  base: string;
  maxInputPixels: number;
  /** Images decoded at once. */
  concurrency: number;
  /** Memory for made images. */
  cacheBytes: number;
}

interface Opened {
  data: Buffer;
  document: Promise<Document | undefined>;
}

const WEBP = { thumb: { quality: 70, effort: 2 }, large: { quality: 82, effort: 2 } } as const;

const isMissing = (error: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

export class ImageServer {
  private readonly made: ByteLru<Buffer>;
  private readonly pending = new Map<string, Promise<ImageReply>>();
  private readonly queue: PQueue;
  // Pages rendered at the large size; a page's thumbnail is made from the same render, kept a while.
  private readonly documents: Documents;
  private readonly renders = new ByteLru<{ length: number; input: Promise<ImageInput> }>(64 * 1024 * 1024);
  private readonly files;

  constructor(private readonly options: ImageOptions) {
    this.made = new ByteLru(options.cacheBytes);
    this.queue = new PQueue({ concurrency: options.concurrency });
    const side = IMAGE_SIZES.large;
    this.documents = new Documents({ pages: 'all', dpi: 150, maxPages: Infinity, maxPixels: side * side, maxInputPixels: options.maxInputPixels });
    this.files = sharedFiles<Opened>(
      (file) => readRegularFile(file).then((data) => {
        const document = this.documents.detect(data, file).then((found) => (found ? this.documents.open(data, found) : undefined));
        document.catch(() => undefined); // reported by the request that awaits it
        return { data, document };
      }),
      (opened) => opened.then((o) => o.document).then((d) => d?.close()),
    );
  }

  /** The image of `row` at `size`; a file that is missing or unreadable is said so, never thrown. */
  get(row: ReviewRow, size: ImageSize): Promise<ImageReply> {
    const key = `${row.id}:${size}`;
    const kept = this.made.get(key);
    if (kept) return Promise.resolve({ kind: 'image', data: kept });
    let reply = this.pending.get(key);
    if (!reply) {
      reply = this.queue.add(() => this.make(row, size)).finally(() => this.pending.delete(key)) as Promise<ImageReply>;
      this.pending.set(key, reply);
    }
    return reply;
  }

  private async make(row: ReviewRow, size: ImageSize): Promise<ImageReply> {
    const file = path.resolve(this.options.base, row.source);
    try {
      await stat(file);
    } catch (error) {
      return isMissing(error) ? { kind: 'missing' } : { kind: 'unreadable', reason: t('review:server.cannotOpen', { why: (error as NodeJS.ErrnoException).code ?? '' }) };
    }
    try {
      const paged = row.page !== null || kindByName(file) !== undefined;
      const input = paged ? await this.render(file, row.page) : await readRegularFile(file);
      const data = await this.encode(input, size);
      this.made.set(`${row.id}:${size}`, data);
      return { kind: 'image', data };
    } catch (error) {
      if (error instanceof FileFailure) return { kind: 'unreadable', reason: error.message };
      throw error;
    }
  }

  /** A document's page (or a file that turned out to be a single image), rendered once for both sizes. */
  private render(file: string, page: number | null): Promise<ImageInput> {
    const key = `${page ?? 0}:${file}`;
    const kept = this.renders.get(key);
    if (kept) return kept.input;
    const input = this.files.use(file, async (opened) => pageOf(await opened, page));
    // Counted at a page's usual size until it is known; a failed render is not kept.
    this.renders.set(key, { length: 8 * 1024 * 1024, input });
    input.then(
      (i) => this.renders.set(key, { length: Buffer.isBuffer(i) ? i.length : i.pixels.length, input }),
      () => this.renders.delete(key),
    );
    return input;
  }

  private async encode(input: ImageInput, size: ImageSize): Promise<Buffer> {
    const side = IMAGE_SIZES[size];
    const { decode } = await probeImage(input, this.options.maxInputPixels);
    return decode((pipeline) => pipeline
      .rotate() // EXIF orientation: the picture as the model saw it
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
      .toColourspace('srgb')
      .webp(WEBP[size])
      .toBuffer());
  }

  async close(): Promise<void> {
    this.queue.clear();
    await this.queue.onIdle();
    await this.files.close();
    await this.documents.close();
  }
}

/** The page a row shows (a document's own row: its first page), or the file itself when it is a single image. */
async function pageOf(opened: Opened, page: number | null): Promise<ImageInput> {
  const doc = await opened.document;
  if (!doc) return opened.data;
  if (doc.pages === 0) throw new FileFailure('the document has no pages');
  if ((page ?? 1) > doc.pages) throw new FileFailure(`the document has ${doc.pages} pages now, not ${page ?? 1}`);
  return (await doc.renderPage(page ?? 1)).image;
}
