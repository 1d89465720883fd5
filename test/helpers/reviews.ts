// Decisions written straight into a cache with ReviewStore, as the review server saves them, keyed
// as a catalog row's answer and review are (keysOfRow): tests of what the outputs make of them.
import { openDatabase } from '../../src/cache/open.js';
import { ReviewStore, type Decision, type Review } from '../../src/cache/reviews.js';

export interface Decided {
  /** The catalog row the decision is on (its SourceFile, sha256, page and job). */
  row: Record<string, unknown>;
  decision: Decision;
  /** An edit: the text, or the JSON text of a structured answer's fields. */
  output?: string;
  reviewer?: string;
  reviewedAt?: number;
  /** The answer it was made on (default: the cached answer, as cached). */
  modelOutput?: string;
}

export const REVIEWED_AT = Date.parse('2026-12-02T09:30:00.000Z');

/** Saves the decisions in one transaction, as the review server would. */
export function saveReviews(cache: string, decided: readonly Decided[]): void {
  const db = openDatabase(cache);
  try {
    const store = new ReviewStore(db);
    store.saveAll(decided.map((d) => {
      const { SourceFile, sha256, page, job } = d.row as { SourceFile: string; sha256: string; page: number | null; job: string };
      const keys = store.keysOfRow(sha256, page ?? null, job);
      if (!keys) throw new Error(`no answer for ${SourceFile} page ${String(page)}`);
      const raw = store.answer(keys.answer, job);
      if (raw === undefined) throw new Error(`no cached answer for ${SourceFile}`);
      return {
        key: keys.review, job, decision: d.decision, output: d.output ?? null, modelOutput: d.modelOutput ?? raw,
        reviewer: d.reviewer ?? 'li', reviewedAt: d.reviewedAt ?? REVIEWED_AT, path: SourceFile, sha256,
      };
    }));
  } finally {
    db.close();
  }
}

/** Every review in the cache, in key order (the reviews table as it is). */
export function allReviews(cache: string): Review[] {
  const db = openDatabase(cache);
  try {
    return [...new ReviewStore(db).list()];
  } finally {
    db.close();
  }
}
