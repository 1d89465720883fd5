// A person's decision on a row, committed to the cache before the page is answered: ReviewStore.save
// runs one immediate transaction, so a decision the page was told about survives the server being
// killed the next moment. The row's review key, the model's answer and its state are read afresh.
import { t } from '../i18n/index.js';
import { DECISIONS, type Decision, type Review, type ReviewStore } from '../cache/reviews.js';
import type { FieldChecker } from './fields.js';
import type { ReviewRow } from './rows.js';
import type { Judgement, RowStates } from './row-states.js';

/** What the page sends. `seen`: the revision of the row's review the page showed (0: none). */
export interface DecisionRequest {
  decision: Decision;
  text?: unknown;
  fields?: unknown;
  seen: number;
}

export type DecisionOutcome =
  | { ok: true; review: Review; overwrote: Review | undefined; judgement: Judgement }
  | { ok: false; status: 400 | 409 | 422; message: string; judgement?: Judgement };

/** An edited text is a page of OCR at most a few hundred KB; anything far larger is a mistake. */
const MAX_TEXT = 4 * 1024 * 1024;

export function parseDecision(body: unknown): DecisionRequest | string {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (!DECISIONS.includes(b.decision as Decision)) return `decision must be one of ${DECISIONS.join(', ')}`;
  if (!Number.isSafeInteger(b.seen) || (b.seen as number) < 0) return 'seen must be the revision the page showed (0 for none)';
  return { decision: b.decision as Decision, text: b.text, fields: b.fields, seen: b.seen as number };
}

export class Decisions {
  constructor(
    private readonly store: ReviewStore,
    private readonly states: RowStates,
    private readonly checker: FieldChecker,
    /** Structured jobs: an edit is a JSON object of fields. */
    private readonly structured: (job: string) => boolean,
    private readonly reviewer: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The edit as stored: the text, or the fields as JSON text; or why it cannot be. */
  private editOf(row: ReviewRow, req: DecisionRequest): { output: string } | { status: 400 | 422; message: string } {
    if (this.structured(row.job)) {
      const problems = this.checker.problems(row.job, req.fields);
      return problems === undefined ? { output: JSON.stringify(req.fields) } : { status: 422, message: problems };
    }
    if (typeof req.text !== 'string') return { status: 400, message: t('review:server.editNeedsText') };
    if (req.text.length > MAX_TEXT) return { status: 422, message: t('review:server.textTooLong') };
    return { output: req.text };
  }

  save(row: ReviewRow, req: DecisionRequest): DecisionOutcome {
    const judged = this.states.judge(row);
    if (judged.state === 'none' || !judged.keys || judged.raw === undefined) {
      return { ok: false, status: 409, message: judged.why ?? 'no-answer', judgement: judged };
    }
    let output: string | null = null;
    if (req.decision === 'edited') {
      const edit = this.editOf(row, req);
      if (!('output' in edit)) return { ok: false, ...edit };
      output = edit.output;
    }
    const { review, overwrote } = this.store.save({
      key: judged.keys.review, job: row.job, decision: req.decision, output, modelOutput: judged.raw,
      reviewer: this.reviewer, reviewedAt: this.now(), path: row.source, sha256: row.sha256,
    }, req.seen);
    return { ok: true, review, overwrote, judgement: this.states.judge(row) };
  }
}
