// The rows of a document (a PDF or a multi-page TIFF): from the cache when it
// knows every selected page, else by opening it and taking each page through
// the cache and the model, in page order.
import type { CatalogRow } from '../emit/columns.js';
import type { Detected, Document, DocumentKind, Documents, PageOptions } from '../pages/document.js';
import { describeSelection, selectPages } from '../pages/select.js';
import type { Lang } from '../prompt/render.js';
import { renderPrompt } from '../prompt/render.js';
import type { Template } from '../prompt/template.js';
import { FileFailure } from '../support/errors.js';
import { plural } from '../support/words.js';
import type { Answers } from './answers.js';
import type { JobCache } from './job-cache.js';
import type { RunStats } from './metrics.js';
import type { RunControl } from './run-control.js';
import type { RowReviews } from './row-reviews.js';
import type { Rows } from './rows.js';
import type { FileEntry } from './walk.js';

export interface DocumentJob {
  template: Template;
  lang: Lang;
  variables: Record<string, string>;
  pages: PageOptions;
}

export class DocumentRows {
  constructor(
    private readonly job: DocumentJob,
    private readonly documents: Documents,
    private readonly cache: JobCache,
    private readonly answers: Answers,
    private readonly rows: Rows,
    private readonly control: RunControl,
    private readonly stats: RunStats,
    private readonly reviews: RowReviews,
  ) {}

  /**
   * A document's rows when the cache knows them all, without reading the file: every selected page
   * answered or failed before, or the selection itself refused (from the remembered page count), or
   * the document failed to open before.
   */
  fromCache(file: FileEntry, sha: string, kind: DocumentKind): CatalogRow[] | undefined {
    const count = this.cache.documentPages(sha);
    const rows = count === undefined ? undefined : this.cachedPages(file, sha, kind, count);
    if (rows) return rows;
    const failed = this.cache.knownFailure(sha, kind, 0);
    return failed === undefined ? undefined : [this.rows.rememberedFailure({ ...this.rows.base(file), sha256: sha, format: kind }, failed)];
  }

  /** A document's rows, read and rendered as needed; the caller holds an open-document permit. */
  async catalog(file: FileEntry, sha: string, detected: Detected, data: Buffer): Promise<CatalogRow[]> {
    // Unchanged but touched, copied or renamed: the pages are known.
    const known = this.fromCache(file, sha, detected.kind);
    if (known) return known;
    let doc: Document | undefined;
    try {
      this.stats.documentsOpened++;
      doc = await this.documents.open(data, detected).catch((error: unknown) => {
        this.cache.rememberFailure(sha, detected.kind, 0, error);
        throw error;
      });
      this.cache.forgetFailure(sha, detected.kind, 0);
      return await this.catalogPages(file, sha, doc);
    } catch (error) {
      return [this.rows.failed({ ...this.rows.base(file), sha256: sha, format: detected.kind, pages: doc?.pages ?? null }, error)];
    } finally {
      await doc?.close();
    }
  }

  private cachedPages(file: FileEntry, sha: string, kind: DocumentKind, count: number): CatalogRow[] | undefined {
    let selected: number[];
    try {
      selected = this.selected(count);
    } catch (error) {
      if (this.cache.retrying) return undefined;
      return [{ ...this.rows.failed({ ...this.rows.base(file), sha256: sha, format: kind, pages: count }, error), cached: true }];
    }
    const rows: CatalogRow[] = [];
    for (const page of selected) {
      const known = this.cache.knownPage(sha, kind, page);
      const failed = known?.answer ? undefined : this.cache.knownFailure(sha, kind, page);
      if (known?.answer) {
        const row = this.rows.answered(this.rows.page(file, sha, page, count, kind, known.record), known.answer, true);
        rows.push(this.reviews.ofPage(row, known.key, known.answer.output));
      }
      else if (failed !== undefined) rows.push(this.rows.rememberedFailure(this.rows.page(file, sha, page, count, kind), failed));
      else return undefined;
    }
    return rows;
  }

  /** The pages --pages selects, or the file's error when it selects none, or too many. */
  private selected(count: number): number[] {
    const { pages, maxPages } = this.job.pages;
    const selected = selectPages(pages, count);
    if (count === 0) throw new FileFailure('the document has no pages');
    if (selected.length === 0) throw new FileFailure(`--pages ${describeSelection(pages)} selects none of its ${plural(count, 'page')}`);
    if (selected.length > maxPages) {
      throw new FileFailure(
        `${plural(selected.length, 'page')} selected, more than --max-pages ${maxPages}` +
          (selected.length < count ? ` (the document has ${count})` : ''),
      );
    }
    return selected;
  }

  private async catalogPages(file: FileEntry, sha: string, doc: Document): Promise<CatalogRow[]> {
    const { cache, control, rows, job } = this;
    // Before the selection is checked: a refused one is then answered from the cache next time.
    cache.rememberDocument(sha, doc.pages);
    const selected = this.selected(doc.pages);
    const tasks: Promise<CatalogRow>[] = [];
    // Not a file's fault (the servers are gone, an abort): no more pages, and the run stops once all have settled.
    let failure: { error: unknown } | undefined;
    for (const page of selected) {
      if (control.stopNow() || failure) break;
      const row = rows.page(file, sha, page, doc.pages, doc.kind);
      const known = cache.knownPage(sha, doc.kind, page);
      if (known?.answer) {
        const answered = rows.answered({ ...row, width: known.record.width, height: known.record.height }, known.answer, true);
        tasks.push(Promise.resolve(this.reviews.ofPage(answered, known.key, known.answer.output)));
        continue;
      }
      const failed = cache.knownFailure(sha, doc.kind, page);
      if (failed !== undefined) {
        tasks.push(Promise.resolve(rows.rememberedFailure(row, failed)));
        continue;
      }
      const release = await control.staged.hold();
      if (failure) {
        release();
        break;
      }
      const task = (async () => {
        try {
          const rendered = await control.prepare.add(() => doc.renderPage(page), { signal: control.signal }).catch((error: unknown) => {
            cache.rememberFailure(sha, doc.kind, page, error);
            throw error;
          });
          cache.forgetFailure(sha, doc.kind, page);
          const { record, key } = cache.rememberPage(sha, doc.kind, page, rendered);
          Object.assign(row, { width: record.width, height: record.height });
          const prompt = renderPrompt(job.template, file, job.lang, job.variables, { page_text: rendered.text });
          const out = await this.answers.get({
            key, input: rendered.image, prompt, release,
            remember: () => cache.rememberImage(key, { bytes: rendered.image.pixels.byteLength, width: record.width, height: record.height, format: doc.kind }),
          });
          return this.reviews.ofPage(rows.answered(row, out.result, out.cached, out.answer), key, out.result.output);
        } catch (error) {
          return rows.failed(row, error);
        } finally {
          release();
        }
      })();
      task.catch((error: unknown) => (failure ??= { error }));
      tasks.push(task);
    }
    // Every page settles before the document is closed under them.
    const settled = await Promise.allSettled(tasks);
    if (failure) throw failure.error;
    const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    // Cut off by an interrupt: the finished pages are cached, the file gets no rows this time.
    return done.length < selected.length ? [] : done;
  }
}
