// One walked file's rows: from the cache when its stamp (size, time, inode) or
// its remembered hash says it is known; else read and hashed (identify), and
// then either a document's pages (document-rows.ts) or one image through the
// cache and the model.
import type { CacheHit } from '../cache/store.js';
import type { CatalogRow } from '../emit/columns.js';
import { kindByName, type Documents } from '../pages/document.js';
import { renderPrompt, type Lang } from '../prompt/render.js';
import type { Template } from '../prompt/template.js';
import type { Answers } from './answers.js';
import type { DocumentRows } from './document-rows.js';
import { readRegularFile, sha256 } from './hash.js';
import type { JobCache } from './job-cache.js';
import type { RunControl } from './run-control.js';
import type { RowReviews } from './row-reviews.js';
import { imageFacts, type Rows } from './rows.js';
import type { FileEntry } from './walk.js';

export interface FileJob {
  template: Template;
  lang: Lang;
  variables: Record<string, string>;
}

export class FileRows {
  constructor(
    private readonly job: FileJob,
    private readonly documents: Documents,
    private readonly documentRows: DocumentRows,
    private readonly cache: JobCache,
    private readonly answers: Answers,
    private readonly rows: Rows,
    private readonly control: RunControl,
    private readonly reviews: RowReviews,
  ) {}

  /** The rows the cache alone can give for a walked file, without reading it. */
  fromCache(file: FileEntry, hit: CacheHit | undefined): CatalogRow[] | undefined {
    if (hit) return [this.reviews.ofImage(this.rows.cached(file, hit), hit.sha256, hit.result.output)];
    const kind = kindByName(file.path);
    const sha = kind && this.cache.knownHash(file);
    if (!kind || !sha) return undefined;
    return this.documentRows.fromCache(file, sha, kind);
  }

  /**
   * A file the cache could not answer. The caller has taken a staged permit for it (`release`
   * gives it back); a document trades it for an open-document permit.
   */
  async catalog(file: FileEntry, release: () => void): Promise<CatalogRow[]> {
    const { control, cache } = this;
    const row = this.rows.base(file);
    let staged = release;
    // A document's pages take staged permits of their own; the document itself waits for an
    // open-document permit, before it is read when its name says what it is.
    let documentPermit = false;
    const holdDocument = async (): Promise<void> => {
      staged();
      if (!documentPermit) await control.openDocuments.acquire();
      documentPermit = true;
    };
    try {
      // TIFFs are mostly single images: only a PDF waits for its permit unread.
      if (kindByName(file.path) === 'pdf') await holdDocument();
      // Interrupted while it waited: no row, as for any file not started.
      if (control.stopNow()) return [];
      const { data, sha } = await control.prepare.add(async () => {
        const data = await readRegularFile(file.fsPath ?? file.path);
        return { data, sha: sha256(data) };
      }, { signal: control.signal });
      row.sha256 = sha;
      cache.rememberHash(file, sha);
      const detected = await this.documents.detect(data, file.path);
      if (detected) {
        await holdDocument();
        if (control.stopNow()) return [];
        return await this.documentRows.catalog(file, sha, detected, data);
      }
      if (documentPermit) {
        // A one-page TIFF: an image after all.
        control.openDocuments.release();
        documentPermit = false;
        staged = await control.staged.hold();
      }
      // Known by its content when only its metadata changed (written back with exiftool, say).
      await control.prepare.add(() => cache.identify(sha, data), { signal: control.signal });
      const prompt = renderPrompt(this.job.template, file, this.job.lang, this.job.variables);
      const out = await this.answers.get({
        key: sha, input: data, prompt, release: staged,
        remember: (source) => cache.rememberImage(sha, { bytes: data.length, ...source }),
      });
      const answered = this.rows.answered({ ...row, ...imageFacts(cache.image(sha)) }, out.result, out.cached, out.answer);
      return [this.reviews.ofImage(answered, sha, out.result.output)];
    } catch (error) {
      // The image's size is known once it was prepared, even when its answer failed.
      const image = row.sha256 === null ? undefined : cache.image(row.sha256);
      return [this.rows.failed(image ? { ...row, ...imageFacts(image) } : row, error)];
    } finally {
      staged();
      if (documentPermit) control.openDocuments.release();
    }
  }
}
