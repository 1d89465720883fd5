// Files that hold several pages (PDFs, multi-page TIFFs): how they are told
// apart from single images, opened, and rendered a page at a time.
import path from 'node:path';
import type { RawImage } from '../backends/backend.js';
import { FileFailure } from '../support/errors.js';
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
  /** Memory for all PDF rendering threads together, in MB (--render-memory; default DEFAULT_RENDER_MEMORY_MB). */
  renderMemoryMb?: number;
  /** CPU seconds for opening a PDF or rendering one page (--render-cpu-limit; default DEFAULT_RENDER_CPU_LIMIT_S). */
  renderCpuLimitS?: number;
  /** What the PDF libraries print about a file; dropped when not given (never printed raw). */
  onWarning?: (file: string, message: string) => void;
}

// In config/constants.ts, so that the command line's options need not load PDFium.
export { DEFAULT_DPI, DEFAULT_MAX_PAGES } from '../config/constants.js';

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

/** A file found to hold pages; a TIFF's page count is known from its header, a PDF's once it is opened. */
export type Detected = { kind: 'pdf' } | { kind: 'tiff'; pages: number };

export interface Document {
  kind: DocumentKind;
  pages: number;
  renderPage(page: number): Promise<PageImage>;
  close(): Promise<void>;
}

/** The kind a file's name suggests, so unchanged documents are answered from the cache without being read. */
export function kindByName(file: string): DocumentKind | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === '.pdf' ? 'pdf' : ext === '.tif' || ext === '.tiff' ? 'tiff' : undefined;
}

/** Where the %PDF- header starts: PDF readers accept it anywhere in the first kilobyte. -1: not a PDF. */
function pdfHeaderAt(data: Buffer): number {
  return data.subarray(0, 1024).indexOf('%PDF-');
}

export class Documents {
  private pool: PdfPool | undefined;
  /** Each file's name by its bytes, from detect to open: for the libraries' warnings about it. */
  private readonly names = new WeakMap<Buffer, string>();

  constructor(readonly options: PageOptions) {}

  /** What a file of pages is, undefined for a single image (a one-page TIFF is one). A TIFF's pages are counted once, here. */
  async detect(data: Buffer, file: string): Promise<Detected | undefined> {
    this.names.set(data, file);
    if (pdfHeaderAt(data) >= 0) return { kind: 'pdf' };
    if (kindByName(file) === 'pdf') throw new FileFailure('not a PDF: the file has no %PDF- header');
    const pages = isTiff(data) ? await tiffPageCount(data) : 1;
    return pages > 1 ? { kind: 'tiff', pages } : undefined;
  }

  async open(data: Buffer, detected: Detected): Promise<Document> {
    if (detected.kind === 'tiff') {
      return { kind: 'tiff', pages: detected.pages, renderPage: (page) => renderTiffPage(data, page, this.options), close: async () => undefined };
    }
    const { renderMemoryMb: memoryMb, renderCpuLimitS: cpuSeconds, onWarning } = this.options;
    this.pool ??= new PdfPool(this.options.maxInputPixels, undefined, { memoryMb, cpuSeconds });
    const file = this.names.get(data) ?? 'a PDF';
    // From the header on, as readers take a file with bytes before it (PDFium does so itself; pdf-lib's offsets need it).
    const pdf = await this.pool.open(data.subarray(Math.max(0, pdfHeaderAt(data))), onWarning && ((message) => onWarning(file, message)));
    const { dpi, maxPixels } = this.options;
    return { kind: 'pdf', pages: pdf.pages, renderPage: (page) => pdf.render(page, { dpi, maxPixels }).then(pdfPage), close: () => pdf.close() };
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
