// A person's decisions on the model's answers: accepted, edited (with their text) or rejected.
// Keyed by the image's content identity and the job, so metadata written back into the file keeps a
// decision and a turned or re-encoded image does not. Every save commits at once.
import type Database from 'better-sqlite3';

export const DECISIONS = ['accepted', 'edited', 'rejected'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface Review {
  /** The image's content identity (a file hash where it has none; a page's identity for a page). */
  key: string;
  job: string;
  decision: Decision;
  /** An edit: the reviewer's text, or the JSON text of a structured answer's fields. Null otherwise. */
  output: string | null;
  /** The model's answer the decision was made on, as cached (text, or JSON text). */
  modelOutput: string;
  reviewer: string;
  /** Milliseconds since the epoch. */
  reviewedAt: number;
  /** 1 for the first save of this key and job, then one more for each save. */
  revision: number;
  /** The SourceFile it was reviewed under, and that file's SHA-256: to tell a person what changed. */
  path: string | null;
  sha256: string | null;
}

export type ReviewInput = Omit<Review, 'revision'>;

/**
 * Whether a decision stands for the answer `raw` cached now: an edit is about the image and always
 * does; an acceptance or a rejection judged one answer, and a job asked again has another.
 */
export function reviewApplies(review: Pick<Review, 'decision' | 'modelOutput'>, raw: string): boolean {
  return review.decision === 'edited' || review.modelOutput === raw;
}

export interface SaveOutcome {
  review: Review;
  /** The save this one replaced, when the saver had not seen it (another tab, another person). */
  overwrote: Review | undefined;
}

interface ReviewRow {
  content: string; job: string; decision: Decision; output: string | null; model_output: string;
  reviewer: string; reviewed_at: number; revision: number; path: string | null; sha256: string | null;
}

const toReview = (r: ReviewRow): Review => ({
  key: r.content, job: r.job, decision: r.decision, output: r.output, modelOutput: r.model_output,
  reviewer: r.reviewer, reviewedAt: r.reviewed_at, revision: r.revision, path: r.path, sha256: r.sha256,
});

export class ReviewStore {
  private readonly q;

  constructor(private readonly db: Database.Database) {
    this.q = {
      keyOf: db.prepare('SELECT content FROM contents WHERE sha256 = ?').pluck(),
      get: db.prepare('SELECT * FROM reviews WHERE content = ? AND job = ?'),
      forPath: db.prepare('SELECT * FROM reviews WHERE path = ? AND job = ? ORDER BY reviewed_at DESC LIMIT 1'),
      any: db.prepare('SELECT 1 FROM reviews WHERE job = ? LIMIT 1').pluck(),
      all: db.prepare('SELECT * FROM reviews ORDER BY job, content'),
      ofJob: db.prepare('SELECT * FROM reviews WHERE job = ? ORDER BY content'),
      put: db.prepare(
        `INSERT OR REPLACE INTO reviews (content, job, decision, output, model_output, reviewer, reviewed_at, revision, path, sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      remove: db.prepare('DELETE FROM reviews WHERE content = ? AND job = ?'),
      // A page's answer key: its identity by pixels, or by pixels and text (jobs that read the text layer).
      pageKeys: db.prepare(
        `SELECT r.sha256 FROM pages p JOIN results r ON r.sha256 IN (p.pixels, p.with_text) AND r.job = ?
          WHERE p.sha256 = ? AND p.page = ? ORDER BY r.created_at DESC LIMIT 1`,
      ).pluck(),
      answer: db.prepare('SELECT output FROM results WHERE sha256 = ? AND job = ?').pluck(),
    };
  }

  /**
   * Where a catalog row's answer is cached (an image's file hash, a page's identity, found through
   * its file's page records) and where its review is kept (an image's content identity, see keyOf;
   * a page's identity). Undefined for a page that has no answer under `job`.
   */
  keysOfRow(sha256: string, page: number | null, job: string): { answer: string; review: string } | undefined {
    if (page === null) return { answer: sha256, review: this.keyOf(sha256) };
    const key = this.q.pageKeys.get(job, sha256, page) as string | undefined;
    return key === undefined ? undefined : { answer: key, review: key };
  }

  /** The model's answer cached under a file hash or page identity, as text (JSON text when structured). */
  answer(key: string, job: string): string | undefined {
    return this.q.answer.get(key, job) as string | undefined;
  }

  /** The review key of an image file: its content identity where one is recorded, else its hash. */
  keyOf(sha256: string): string {
    return (this.q.keyOf.get(sha256) as string | undefined) ?? sha256;
  }

  get(key: string, job: string): Review | undefined {
    const row = this.q.get.get(key, job) as ReviewRow | undefined;
    return row && toReview(row);
  }

  /** The latest review made under this SourceFile, whatever the image then was. */
  forPath(path: string, job: string): Review | undefined {
    const row = this.q.forPath.get(path, job) as ReviewRow | undefined;
    return row && toReview(row);
  }

  /** Whether the job has any review: a run over a job nobody reviewed looks up nothing. */
  hasAny(job: string): boolean {
    return this.q.any.get(job) !== undefined;
  }

  /** Every review, or a job's, in key order. */
  *list(job?: string): IterableIterator<Review> {
    const rows = (job === undefined ? this.q.all.iterate() : this.q.ofJob.iterate(job)) as IterableIterator<ReviewRow>;
    for (const row of rows) yield toReview(row);
  }

  /**
   * Saves a decision; the last save wins. `seen` is the revision the saver last saw (0: none):
   * a later one, saved meanwhile, is returned as `overwrote` so that the saver can be told.
   */
  save(input: ReviewInput, seen: number): SaveOutcome {
    const run = this.db.transaction((): SaveOutcome => this.saveNow(input, seen));
    return run.immediate();
  }

  /** Several decisions in one transaction: all of them, or (on an error) none. */
  saveAll(inputs: readonly ReviewInput[]): number {
    const run = this.db.transaction((): number => {
      for (const input of inputs) this.saveNow(input, undefined);
      return inputs.length;
    });
    return run.immediate();
  }

  /** Takes a decision back (the row is unreviewed again); false when there was none. */
  remove(key: string, job: string): boolean {
    return this.q.remove.run(key, job).changes > 0;
  }

  private saveNow(input: ReviewInput, seen: number | undefined): SaveOutcome {
    const before = this.get(input.key, input.job);
    const review: Review = { ...input, revision: (before?.revision ?? 0) + 1 };
    this.q.put.run(
      review.key, review.job, review.decision, review.output, review.modelOutput, review.reviewer,
      review.reviewedAt, review.revision, review.path, review.sha256,
    );
    const overwrote = seen !== undefined && before && before.revision !== seen ? before : undefined;
    return { review, overwrote };
  }
}
