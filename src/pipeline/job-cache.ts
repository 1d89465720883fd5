// The cache as one run sees it: answers under this job's fingerprint, and what
// the cache knows of documents under this run's render settings (page records,
// page identity, render and failure keys). The pages module renders; this
// decides how a rendered page is known again.
import { createHash } from 'node:crypto';
import type { CacheHit, CachedResult, CacheStore, FileStamp, ImageInfo, PageRecord } from '../cache/store.js';
import { contentIdentity } from '../image/content-identity.js';
import { tiffIdentity } from '../image/tiff-identity.js';
import { isTiff } from '../pages/tiff.js';
import type { DocumentKind, PageImage, PageOptions } from '../pages/document.js';
import { PDF_RENDERER } from '../pages/pdf-protocol.js';
import { FileFailure, TransientFileFailure } from '../support/errors.js';

/**
 * The settings a rendered page depends on besides the file: part of a page's
 * cache key. Renderer versions are not: an upgrade must not redo an archive.
 */
export function renderKey(kind: DocumentKind, options: Pick<PageOptions, 'dpi' | 'maxPixels' | 'maxInputPixels'>): string {
  const limits = `${options.maxPixels} px, at most ${options.maxInputPixels} px in`;
  return kind === 'pdf' ? `pdf, ${options.dpi} dpi, ${limits}` : `tiff, ${limits}`;
}

/**
 * The settings a remembered failure of a document depends on: the render key and every other
 * rendering setting (such as a time or memory limit), but not the page selection, which is
 * checked again against the remembered page count. The glm-vision version is not part of it,
 * but the renderer is: a PDF that failed under pdf.js gets one try with PDFium.
 */
export function failureKey(kind: DocumentKind, options: PageOptions): string {
  const { pages: _pages, maxPages: _maxPages, dpi: _dpi, maxPixels: _maxPixels, maxInputPixels: _maxInputPixels, ...limits } = options;
  // Values only: a callback (a warning sink, say) is no setting.
  const rest = Object.entries(limits)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `, ${k} ${String(v)}`)
    .join('');
  return `${renderKey(kind, options)}${rest}${kind === 'pdf' ? `, ${PDF_RENDERER}` : ''}`;
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

export interface JobCacheOptions {
  jobId: string;
  pages: PageOptions;
  /** The template reads {{page_text}}: a page is known by its pixels and its text. */
  usesPageText: boolean;
  /** Open again the documents whose own failures are remembered. */
  retryFailed: boolean;
  refresh: boolean;
  /** The run is being cut off: failures met now are not the files' own. */
  cutOff: () => boolean;
}

export class JobCache {
  readonly jobId: string;
  /** Each kind's render and failure keys, made once: every page look-up needs them. */
  private readonly keys: Record<DocumentKind, { render: string; failure: string }>;

  constructor(private readonly store: CacheStore, private readonly options: JobCacheOptions) {
    this.jobId = options.jobId;
    const keysOf = (kind: DocumentKind) => ({ render: renderKey(kind, options.pages), failure: failureKey(kind, options.pages) });
    this.keys = { pdf: keysOf('pdf'), tiff: keysOf('tiff') };
  }

  /** Each walked file's cached answer, when its size, time and inode say it is the file hashed before. */
  lookupMany(files: readonly FileStamp[]): (CacheHit | undefined)[] {
    return this.store.lookupMany(files, this.jobId);
  }

  answer(key: string): CachedResult | undefined {
    return this.store.result(key, this.jobId);
  }

  saveAnswer(key: string, answer: CachedResult): void {
    this.store.saveResult(key, this.jobId, answer);
  }

  knownHash(file: FileStamp): string | undefined {
    return this.store.knownHash(file);
  }

  rememberHash(file: FileStamp, sha: string): void {
    this.store.rememberHash(file, sha);
  }

  /**
   * An image file just read and hashed: its content identity is recorded, once per hash, and when
   * only its metadata changed since an earlier hash was answered, that answer now serves this hash
   * too (the cheap file hash stays the first key; this runs only when the file's stamp missed).
   */
  async identify(sha: string, data: Buffer): Promise<void> {
    if (this.store.hasContent(sha)) return;
    const content = contentIdentity(data) ?? (isTiff(data) ? await tiffIdentity(data, this.options.pages.maxInputPixels) : undefined);
    // One without an identity is recorded as known by its hash: no image is left waiting for one.
    this.store.rememberContent(sha, content ?? sha, data.length);
  }

  /** Whether the image file of this hash has its identity recorded. */
  hasIdentity(sha: string): boolean {
    return this.store.hasContent(sha);
  }

  /** Images answered before identities were recorded may lack one (see identity-backfill.ts). */
  identitiesPending(): boolean {
    return this.store.identitiesPending();
  }

  settleIdentities(): void {
    this.store.settleIdentities();
  }

  image(sha: string): ImageInfo | undefined {
    return this.store.image(sha);
  }

  rememberImage(key: string, info: ImageInfo): void {
    this.store.rememberImage(key, info);
  }

  documentPages(sha: string): number | undefined {
    return this.store.documentPages(sha);
  }

  rememberDocument(sha: string, pages: number): void {
    this.store.rememberDocument(sha, pages);
  }

  /** A page rendered before under this run's settings, and its answer for this job if there is one. */
  knownPage(sha: string, kind: DocumentKind, page: number): { record: PageRecord; key: string; answer: CachedResult | undefined } | undefined {
    const record = this.store.page(sha, this.keys[kind].render, page);
    if (!record) return undefined;
    const key = pageIdentity(record, this.options.usesPageText);
    return { record, key, answer: this.answer(key) };
  }

  /** Records a page just rendered; returns its record and the key its answer is cached under. */
  rememberPage(sha: string, kind: DocumentKind, page: number, rendered: PageImage): { record: PageRecord; key: string } {
    const record = pageRecord(rendered);
    this.store.rememberPage(sha, this.keys[kind].render, page, record);
    return { record, key: pageIdentity(record, this.options.usesPageText) };
  }

  /** A remembered failure of a document (page 0) or page under this run's render settings, unless retrying them. */
  knownFailure(sha: string, kind: DocumentKind, page: number): string | undefined {
    return this.options.retryFailed ? undefined : this.store.failure(sha, this.keys[kind].failure, page);
  }

  /**
   * Remembers a failure met opening or rendering a document when it is the file's own: a FileFailure
   * from the renderer, the TIFF decoder or the limits. Not a TransientFileFailure (the renderer
   * stopped under it), nothing else (interrupts, internal errors), and nothing in a run being cut off.
   */
  rememberFailure(sha: string, kind: DocumentKind, page: number, error: unknown): void {
    const own = error instanceof FileFailure && !(error instanceof TransientFileFailure);
    if (own && !this.options.cutOff()) this.store.rememberFailure(sha, this.keys[kind].failure, page, error.message);
  }

  /** It worked this time. Only a retry can meet a remembered failure, so only a retry writes (not every page rendered). */
  forgetFailure(sha: string, kind: DocumentKind, page: number): void {
    if (this.options.retryFailed || this.options.refresh) this.store.forgetFailure(sha, this.keys[kind].failure, page);
  }

  /** A refused page selection is decided by the page count; retrying counts the pages again. */
  get retrying(): boolean {
    return this.options.retryFailed || this.options.refresh;
  }
}
