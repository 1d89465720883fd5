// `review export`: the cache's decisions as CSV or JSON Lines, one row per decision, in the columns
// `review import` reads (and a catalog has), so that they can be edited, moved and imported again.
import type Database from 'better-sqlite3';
import type { ValidateFunction } from 'ajv';
import { stringify } from 'csv-stringify/sync';
import { ReviewStore, type Review } from '../cache/reviews.js';
import type { JobSummary } from '../cache/jobs.js';
import { neutralizeCell, neutralizePath } from '../emit/neutralize.js';
import type { Sink } from '../emit/sink.js';
import { CSV_OPTIONS } from '../emit/writers.js';
import { objectOrText } from '../emit/columns.js';
import { compileValidator, parseJsonAnswer } from '../pipeline/parse.js';

export const REVIEW_EXPORT_COLUMNS = ['SourceFile', 'page', 'sha256', 'job', 'review', 'reviewer', 'reviewed_at', 'output', 'model_output'] as const;

export interface ReviewExportOptions {
  jobs: ReadonlyMap<string, JobSummary>;
  /** Full fingerprints; empty: every job. */
  only: string[];
  format: 'csv' | 'jsonl';
  bom: boolean;
}

interface Line {
  SourceFile: string | null;
  page: number | null;
  sha256: string | null;
  job: string;
  review: string;
  reviewer: string;
  reviewed_at: string;
  output: unknown;
  model_output: unknown;
}

const order = (a: Line, b: Line): number =>
  (a.SourceFile ?? '') < (b.SourceFile ?? '') ? -1 : (a.SourceFile ?? '') > (b.SourceFile ?? '') ? 1
    : (a.page ?? 0) - (b.page ?? 0) || (a.job < b.job ? -1 : a.job > b.job ? 1 : 0);

/** Writes the decisions to `sink`; resolves to how many. */
export async function exportReviews(db: Database.Database, sink: Sink, options: ReviewExportOptions): Promise<number> {
  const store = new ReviewStore(db);
  const pageOf = db.prepare('SELECT min(page) FROM pages WHERE sha256 = ? AND (pixels = ? OR with_text = ?)').pluck();
  const validators = new Map<string, ValidateFunction | undefined>();
  const validator = (job: string): ValidateFunction | undefined => {
    if (!validators.has(job)) {
      const schema = options.jobs.get(job)?.schema;
      validators.set(job, schema ? compileValidator(schema) : undefined);
    }
    return validators.get(job);
  };
  /** A structured answer as its fields (the model's text when it does not parse), a text answer as it is. */
  const shown = (text: string, job: string, edit: boolean): unknown => {
    const validate = validator(job);
    if (!validate) return text;
    if (edit) return objectOrText(text);
    try {
      return parseJsonAnswer(text, validate);
    } catch {
      return text;
    }
  };
  const read = db.transaction((): Review[] => (options.only.length === 0 ? [...store.list()] : options.only.flatMap((j) => [...store.list(j)])));
  const lines = read().map((r): Line => ({
    SourceFile: r.path,
    page: r.sha256 === null ? null : ((pageOf.get(r.sha256, r.key, r.key) as number | null | undefined) ?? null),
    sha256: r.sha256,
    job: r.job,
    review: r.decision,
    reviewer: r.reviewer,
    reviewed_at: new Date(r.reviewedAt).toISOString(),
    output: r.output === null ? null : shown(r.output, r.job, true),
    model_output: shown(r.modelOutput, r.job, false),
  })).sort(order);

  if (options.format === 'jsonl') {
    for (let i = 0; i < lines.length; i += 512) await sink.write(lines.slice(i, i + 512).map((l) => `${JSON.stringify(l)}\n`).join(''));
    return lines.length;
  }
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : neutralizeCell(typeof v === 'string' ? v : JSON.stringify(v)));
  await sink.write((options.bom ? '\uFEFF' : '') + stringify([[...REVIEW_EXPORT_COLUMNS]], CSV_OPTIONS));
  for (let i = 0; i < lines.length; i += 512) {
    const records = lines.slice(i, i + 512).map((l) => [
      l.SourceFile === null ? '' : neutralizePath(l.SourceFile), l.page === null ? '' : String(l.page), l.sha256 ?? '', l.job,
      l.review, cell(l.reviewer), l.reviewed_at, cell(l.output), cell(l.model_output),
    ]);
    await sink.write(stringify(records, CSV_OPTIONS));
  }
  return lines.length;
}
