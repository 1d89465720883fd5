// Catalog rows: the empty row of a file, a page's row, and the row an answer,
// a failure or a remembered failure makes of it. Every row starts as base() or
// cached(), with its keys in column order (emit/columns.ts), and is changed only
// by spreads, which keep that order: the JSONL writer writes rows as they are.
import type { ValidateFunction } from 'ajv';
import type { CachedResult, CacheHit, ImageInfo, PageRecord } from '../cache/store.js';
import type { CatalogRow } from '../emit/columns.js';
import type { DocumentKind } from '../pages/document.js';
import { FileFailure, UnusableAnswer } from '../support/errors.js';
import { answerValue, type Answer } from './answer.js';
import type { FileEntry } from './walk.js';

export class Rows {
  constructor(
    private readonly promptName: string,
    private readonly job: string,
    private readonly validate: ValidateFunction | undefined,
    private readonly maxTokens: number,
  ) {}

  /** A file's row before anything is known of it: an error until an answer says otherwise. */
  base(file: FileEntry): CatalogRow {
    return {
      SourceFile: file.path, page: null, pages: null, sha256: null, bytes: file.size, width: null, height: null, format: null,
      status: 'error', cached: false, error: null, prompt: this.promptName, model: '', job: this.job, review: null, reviewer: null, reviewed_at: null,
      output: null, model_output: null, tokens_in: null, tokens_out: null, latency_ms: null, raw_output: null,
    };
  }

  page(file: FileEntry, sha: string, page: number, pages: number, kind: DocumentKind, size?: Pick<PageRecord, 'width' | 'height'>): CatalogRow {
    return { ...this.base(file), sha256: sha, page, pages, format: kind, width: size?.width ?? null, height: size?.height ?? null };
  }

  /** A walked file's row straight from the cache: one object, since a nightly re-run makes 100,000 of them. */
  cached(file: FileEntry, hit: CacheHit): CatalogRow {
    const r = hit.result;
    const { value, note } = answerValue(r.output, r.status, this.validate, this.maxTokens);
    return {
      SourceFile: file.path, page: null, pages: null, sha256: hit.sha256, bytes: file.size,
      width: hit.image?.width ?? null, height: hit.image?.height ?? null, format: hit.image?.format ?? null,
      status: r.status, cached: true, error: note, prompt: r.prompt, model: r.model, job: this.job, review: null, reviewer: null, reviewed_at: null,
      output: value, model_output: null, tokens_in: r.tokensIn, tokens_out: r.tokensOut, latency_ms: r.latencyMs,
      raw_output: value === null ? r.output : null,
    };
  }

  /** An answer's row; a fresh answer comes parsed, a cached one is parsed here, once. */
  answered(row: CatalogRow, r: CachedResult, cached: boolean, answer?: Answer): CatalogRow {
    const { value, note } = answer ?? answerValue(r.output, r.status, this.validate, this.maxTokens);
    return {
      ...row, status: r.status, cached, error: note, model: r.model, prompt: r.prompt, output: value,
      tokens_in: r.tokensIn, tokens_out: r.tokensOut, latency_ms: r.latencyMs, raw_output: value === null ? r.output : null,
    };
  }

  /** A file's own failure becomes its error row; anything else is not the file's and ends the run. */
  failed(row: CatalogRow, error: unknown): CatalogRow {
    if (!(error instanceof FileFailure)) throw error;
    if (error instanceof UnusableAnswer) {
      // What the model said stays in the row, so a template can be debugged from the catalog.
      const { text, model, tokensIn, tokensOut, latencyMs } = error.reply;
      return {
        ...row, status: 'error', error: error.message, model, tokens_in: tokensIn, tokens_out: tokensOut, latency_ms: latencyMs, raw_output: text,
      };
    }
    return { ...row, status: 'error', error: error.message };
  }

  /** The same error row as when the failure was met, from the cache. */
  rememberedFailure(row: CatalogRow, error: string): CatalogRow {
    return { ...row, status: 'error', cached: true, error };
  }
}

export function imageFacts(image: ImageInfo | undefined): Pick<CatalogRow, 'width' | 'height' | 'format'> {
  return { width: image?.width ?? null, height: image?.height ?? null, format: image?.format ?? null };
}
