// Where each row stands: unreviewed, accepted, edited, rejected, or "needs review again" (stale: a
// decision on another image or another answer of the model), the rule row-reviews.ts applies to
// catalogs. Worked out for every row once at start-up (one pass, and only for jobs someone has
// reviewed), then again for a row whenever it is shown or decided on.
import { reviewApplies, type Review, type ReviewStore } from '../cache/reviews.js';
import type { ReviewRow } from './rows.js';

export const STATES = ['unreviewed', 'accepted', 'edited', 'rejected', 'stale', 'none'] as const;
/** `none`: nothing to review (an error row, or no answer in this cache). */
export type RowState = (typeof STATES)[number];

/** A row looked at now, with what its state rests on. */
export interface Judgement {
  state: RowState;
  /** Why the row cannot be reviewed (state `none`). */
  why?: string;
  keys?: { answer: string; review: string };
  /** The model's answer as cached now. */
  raw?: string;
  review?: Review;
  /** A review of the image once under this path, when it no longer applies. */
  older?: Review;
}

/** The state a review gives: an edit always applies; acceptance and rejection only to the answer they judged. */
export function stateOf(review: Review | undefined, raw: string, older: Review | undefined): RowState {
  if (review) return reviewApplies(review, raw) ? review.decision : 'stale';
  return older ? 'stale' : 'unreviewed';
}

export interface Counts {
  all: number;
  reviewable: number;
  /** Reviewable rows with no decision that applies: unreviewed and stale ones. */
  unreviewed: number;
  stale: number;
  accepted: number;
  edited: number;
  rejected: number;
  error: number;
  truncated: number;
}

export class RowStates {
  private readonly codes: Uint8Array;
  /** Rows of the same file (and page) under the same job, which one decision covers. */
  private twins: Map<string, number[]> | undefined;

  constructor(
    private readonly rows: readonly ReviewRow[],
    private readonly store: ReviewStore,
    /** The jobs this cache has: another cache's rows cannot be reviewed here. */
    private readonly known: ReadonlySet<string>,
  ) {
    this.codes = new Uint8Array(rows.length);
    const reviewed = new Map<string, { byKey: Map<string, Review>; byPath: Map<string, Review> } | undefined>();
    for (const row of rows) {
      if (!reviewed.has(row.job)) reviewed.set(row.job, this.known.has(row.job) && store.hasAny(row.job) ? loadReviews(store, row.job) : undefined);
      this.codes[row.id] = STATES.indexOf(this.startState(row, reviewed.get(row.job)));
    }
  }

  state(id: number): RowState {
    return STATES[this.codes[id] ?? 0] ?? 'none';
  }

  /** Why a row cannot be reviewed at all, before the cache is asked. */
  private unreviewable(row: ReviewRow): string | undefined {
    if (row.status === 'error') return 'error';
    if (row.sha256 === null || row.job === '') return 'no-job';
    return this.known.has(row.job) ? undefined : 'other-cache';
  }

  private startState(row: ReviewRow, reviews: ReturnType<typeof loadReviews> | undefined): RowState {
    if (this.unreviewable(row) !== undefined) return 'none';
    if (!reviews) return 'unreviewed';
    const keys = row.keys ?? this.store.keysOfRow(row.sha256 as string, row.page, row.job);
    if (!keys) return 'none';
    row.keys = keys;
    const review = reviews.byKey.get(keys.review);
    const older = review || row.page !== null ? undefined : reviews.byPath.get(row.source);
    const raw = review && review.decision !== 'edited' ? row.raw ?? this.store.answer(keys.answer, row.job) : '';
    return raw === undefined ? 'none' : stateOf(review, raw, older);
  }

  /**
   * The row as the cache has it now; its state is updated, and so are its twins' (the same file
   * under other paths) when a decision under its key decides it: a review of another path does not.
   */
  judge(row: ReviewRow): Judgement {
    const judged = this.judgeNow(row);
    for (const id of judged.review ? this.twinsOf(row) : [row.id]) this.codes[id] = STATES.indexOf(judged.state);
    return judged;
  }

  private judgeNow(row: ReviewRow): Judgement {
    const why = this.unreviewable(row);
    if (why !== undefined) return { state: 'none', why };
    const keys = row.keys ?? this.store.keysOfRow(row.sha256 as string, row.page, row.job);
    if (!keys) return { state: 'none', why: 'no-answer' };
    row.keys = keys;
    const raw = this.store.answer(keys.answer, row.job);
    if (raw === undefined) return { state: 'none', why: 'no-answer', keys };
    const review = this.store.get(keys.review, row.job);
    const older = review || row.page !== null ? undefined : this.store.forPath(row.source, row.job);
    return { state: stateOf(review, raw, older), keys, raw, review, older };
  }

  private twinsOf(row: ReviewRow): number[] {
    if (!this.twins) {
      this.twins = new Map();
      for (const r of this.rows) {
        if (r.sha256 === null) continue;
        const key = `${r.job}\u0000${r.sha256}\u0000${r.page ?? ''}`;
        const list = this.twins.get(key);
        if (list) list.push(r.id);
        else this.twins.set(key, [r.id]);
      }
    }
    return row.sha256 === null ? [row.id] : this.twins.get(`${row.job}\u0000${row.sha256}\u0000${row.page ?? ''}`) ?? [row.id];
  }

  counts(): Counts {
    const c: Counts = { all: this.rows.length, reviewable: 0, unreviewed: 0, stale: 0, accepted: 0, edited: 0, rejected: 0, error: 0, truncated: 0 };
    for (const row of this.rows) {
      if (row.status === 'error') c.error++;
      if (row.status === 'truncated') c.truncated++;
      const state = this.state(row.id);
      if (state === 'none') continue;
      c.reviewable++;
      if (state === 'unreviewed' || state === 'stale') c.unreviewed++;
      if (state !== 'unreviewed') c[state]++;
    }
    return c;
  }
}

/** A job's reviews by key, and the latest one made under each path. */
function loadReviews(store: ReviewStore, job: string): { byKey: Map<string, Review>; byPath: Map<string, Review> } {
  const byKey = new Map<string, Review>();
  const byPath = new Map<string, Review>();
  for (const review of store.list(job)) {
    byKey.set(review.key, review);
    if (review.path === null) continue;
    const before = byPath.get(review.path);
    if (!before || before.reviewedAt < review.reviewedAt) byPath.set(review.path, review);
  }
  return { byKey, byPath };
}
