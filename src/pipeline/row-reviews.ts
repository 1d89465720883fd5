// A person's decision, applied to the catalog row of the answer it was made on: the edit becomes
// `output` (the model's answer moves to `model_output`), a rejection empties it. A decision on
// another answer than today's (the job was asked again) is not applied, except an edit, which is
// about the image; an image whose content changed has another key, so its old review never applies.
import { reviewApplies, type Review, type ReviewStore } from '../cache/reviews.js';
import { objectOrText, type CatalogRow } from '../emit/columns.js';

export class RowReviews {
  /** Nobody reviewed this job: a run looks nothing up. */
  private readonly active: boolean;

  constructor(
    private readonly store: ReviewStore,
    private readonly job: string,
    /** A json template: an edit is the JSON text of its fields. */
    private readonly structured: boolean,
  ) {
    this.active = store.hasAny(job);
  }

  /** An image file's row; `raw` is the answer as cached. */
  ofImage(row: CatalogRow, sha: string, raw: string): CatalogRow {
    if (!this.active || row.status === 'error') return row;
    return reviewed(row, this.store.get(this.store.keyOf(sha), this.job), raw, this.structured);
  }

  /** A page's row; `key` is the page's identity, as its answer is cached. */
  ofPage(row: CatalogRow, key: string, raw: string): CatalogRow {
    if (!this.active || row.status === 'error') return row;
    return reviewed(row, this.store.get(key, this.job), raw, this.structured);
  }
}

/** `row` with `review` applied, when it applies to the answer `raw`. */
export function reviewed(row: CatalogRow, review: Review | undefined, raw: string, structured: boolean): CatalogRow {
  if (!review || !reviewApplies(review, raw)) return row;
  const output = review.decision === 'rejected' ? null : review.decision === 'edited' ? editedValue(review.output, structured) : row.output;
  return {
    ...row, review: review.decision, reviewer: review.reviewer, reviewed_at: new Date(review.reviewedAt).toISOString(), output, model_output: row.output,
  };
}

/** An edit as a row shows it: the text, or a structured answer's fields. */
export function editedValue(text: string | null, structured: boolean): CatalogRow['output'] {
  return text === null || !structured ? text : objectOrText(text);
}
