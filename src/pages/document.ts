// Files that hold several pages (PDFs, multi-page TIFFs): how they are told
// apart from single images, opened, and rendered a page at a time.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RawImage } from '../backends/backend.js';
import type { PageRecord } from '../cache/store.js';
import { FileFailure } from '../errors.js';
import { PdfPool } from './pdf-pool.js';
import type { RenderedPage } from './pdf-protocol.js';
import type { PageSelection } from './select.js';
import { isTiff, renderTiffPage, tiffPageCount } from './tiff.js';

export interface PageOptions {
  pages: PageSelection;
  /** Rendering resolution for PDF pages. */
  dpi: number;
  /** A document selecting more pages than this is one error row. */
  maxPages: number;
  maxPixels: number;
  maxInputPixels: number;
}

export const DEFAULT_DPI = 150;
export const DEFAULT_MAX_PAGES = 500;

/** One page, decoded. */
export interface PageImage {
  image: RawImage;
  /** The page's size at --dpi (PDF) or as stored (TIFF), for the catalog. */
  fullWidth: number;
  fullHeight: number;
  pixelHash: string;
  /** The text layer, '' when there is none. */
  text: string;
}

export type DocumentKind = 'pdf' | 'tiff';

export interface Document {
  kind: DocumentKind;
  pages: number;
  renderPage(page: number): Promise<PageImage>;
  close(): Promise<void>;
}

/**
 * The settings a rendered page depends on besides the file: part of a page's
 * cache key. Renderer versions are not: an upgrade must not redo an archive.
 */
export function renderKey(kind: DocumentKind, options: Pick<PageOptions, 'dpi' | 'maxPixels' | 'maxInputPixels'>): string {
  const limits = `${options.maxPixels} px, at most ${options.maxInputPixels} px in`;
  return kind === 'pdf' ? `pdf, ${options.dpi} dpi, ${limits}` : `tiff, ${limits}`;
}

/** The kind a file's name suggests, so unchanged documents are answered from the cache without being read. */
export function kindByName(file: string): DocumentKind | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === '.pdf' ? 'pdf' : ext === '.tif' || ext === '.tiff' ? 'tiff' : undefined;
}

/** PDF readers accept the header anywhere in the first kilobyte. */
export function isPdf(data: Buffer): boolean {
  return data.subarray(0, 1024).includes('%PDF-');
}

/**
 * A page's identity for the answer cache: what the model is shown. The text
 * layer counts only for templates that put it in the prompt, so adding an
 * invisible OCR layer to a scan does not redo a describe job.
 */
export function pageRecord(page: PageImage): PageRecord {
  const withText = createHash('sha256').update(`${page.pixelHash}\n`).update(page.text).digest('hex');
  return { pixels: page.pixelHash, withText, width: page.fullWidth, height: page.fullHeight };
}

export function pageIdentity(record: PageRecord, usesText: boolean): string {
  return usesText ? record.withText : record.pixels;
}

export class Documents {
  private pool: PdfPool | undefined;

  constructor(readonly options: PageOptions) {}

  /** 'pdf' or 'tiff' for a file of pages, undefined for a single image (a one-page TIFF is one). */
  async kind(data: Buffer, file: string): Promise<DocumentKind | undefined> {
    if (isPdf(data)) return 'pdf';
    if (kindByName(file) === 'pdf') throw new FileFailure('not a PDF: the file has no %PDF- header');
    return isTiff(data) && (await tiffPageCount(data)) > 1 ? 'tiff' : undefined;
  }

  async open(data: Buffer, kind: DocumentKind): Promise<Document> {
    if (kind === 'tiff') {
      const pages = await tiffPageCount(data);
      return { kind, pages, renderPage: (page) => renderTiffPage(data, page, this.options), close: async () => undefined };
    }
    this.pool ??= new PdfPool(this.options.maxInputPixels);
    const pdf = await this.pool.open(data);
    const { dpi, maxPixels } = this.options;
    return { kind, pages: pdf.pages, renderPage: (page) => pdf.render(page, { dpi, maxPixels }).then(pdfPage), close: () => pdf.close() };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

function pdfPage(p: RenderedPage): PageImage {
  return {
    image: { kind: 'raw', pixels: p.pixels, width: p.width, height: p.height, channels: p.channels, format: 'pdf' },
    fullWidth: p.fullWidth,
    fullHeight: p.fullHeight,
    pixelHash: p.pixelHash,
    text: p.text,
  };
}
