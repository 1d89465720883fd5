// --group-pages: a document's page rows folded into one row per file.
import type { CatalogRow, Status } from '../emit/columns.js';

type Output = CatalogRow['output'];

/**
 * One row for a document's pages (rows of single images pass unchanged).
 * `asArray` (JSONL): the output is the pages' outputs in page order, null
 * for a failed page. Otherwise text answers are joined with a blank line and
 * structured answers merged field by field (see mergeOutputs).
 */
export function groupPages(rows: CatalogRow[], asArray: boolean): CatalogRow[] {
  const first = rows[0];
  if (!first || first.page === null) return rows;
  const worst: Status = rows.some((r) => r.status === 'error') ? 'error' : rows.some((r) => r.status === 'truncated') ? 'truncated' : 'ok';
  const problems = rows.filter((r) => r.error !== null).map((r) => `page ${r.page}: ${r.error}`);
  const answered = rows.filter((r) => r.status !== 'error');
  return [{
    ...first,
    page: null,
    status: worst,
    cached: rows.every((r) => r.cached),
    error: problems.length ? problems.join('; ') : null,
    model: answered.find((r) => r.model)?.model ?? first.model,
    ...groupedReviews(answered),
    output: asArray ? rows.map((r) => (r.status === 'error' ? null : r.output)) as unknown as Output : mergeOutputs(answered.map((r) => r.output)),
    model_output: !answered.some((r) => r.review !== null) ? null
      : asArray ? rows.map((r) => (r.status === 'error' ? null : r.model_output ?? r.output)) as unknown as Output
      : mergeOutputs(answered.map((r) => r.model_output ?? r.output)),
    tokens_in: sum(rows.map((r) => r.tokens_in)),
    tokens_out: sum(rows.map((r) => r.tokens_out)),
    latency_ms: sum(rows.map((r) => r.latency_ms)),
    raw_output: rawOutputs(rows),
  }];
}

/** The pages' unusable answers, each under its page number. */
function rawOutputs(rows: readonly CatalogRow[]): string | null {
  const raw = rows.filter((r) => r.raw_output !== null).map((r) => `page ${r.page}: ${r.raw_output}`);
  return raw.length ? raw.join('\n\n') : null;
}

/**
 * A document's decision: none while a page has none (it needs review); else its pages' when they all
 * have the same one, and `edited` when they differ (a person made the document's text what it is:
 * a rejected page's text is left out of it). Its reviewers, and when the last page was decided.
 */
export function groupedReviews(answered: readonly CatalogRow[]): Pick<CatalogRow, 'review' | 'reviewer' | 'reviewed_at'> {
  const decisions = new Set(answered.map((r) => r.review));
  const first = answered[0]?.review ?? null;
  const review = first === null || decisions.has(null) ? null : decisions.size === 1 ? first : 'edited';
  if (review === null) return { review, reviewer: null, reviewed_at: null };
  const reviewers = [...new Set(answered.flatMap((r) => (r.reviewer === null ? [] : [r.reviewer])))];
  const times = answered.flatMap((r) => (r.reviewed_at === null ? [] : [r.reviewed_at])).sort();
  return { review, reviewer: reviewers.join(', '), reviewed_at: times[times.length - 1] ?? null };
}

/** A catalog's rows with each document's page rows folded into one (a catalog lists a file's pages together). */
export function groupCatalogRows(rows: readonly CatalogRow[]): CatalogRow[] {
  const out: CatalogRow[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    if (rows[i]!.page !== null) while (j < rows.length && rows[j]!.page !== null && rows[j]!.SourceFile === rows[i]!.SourceFile) j++;
    out.push(...groupPages(rows.slice(i, j), false));
    i = j;
  }
  return out;
}

/**
 * Text answers joined by a blank line. Structured answers field by field: the
 * pages' values in page order, lists flattened, repeats and empty values
 * dropped; a field with a single value keeps it as is.
 */
function mergeOutputs(outputs: Output[]): Output {
  const present = outputs.filter((o) => o !== null);
  if (present.length === 0) return null;
  if (present.every((o) => typeof o === 'string')) return (present as string[]).join('\n\n');
  const objects = present.filter((o): o is Record<string, unknown> => typeof o === 'object');
  const merged: Record<string, unknown> = {};
  for (const key of new Set(objects.flatMap((o) => Object.keys(o)))) {
    const values = objects.map((o) => o[key]);
    const seen = new Set<string>();
    const items = values
      .flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))
      .filter((v) => v !== null && v !== undefined && v !== '' && !seen.has(JSON.stringify(v)) && seen.add(JSON.stringify(v)));
    merged[key] = items.length === 0 ? null : items.length === 1 && !values.some(Array.isArray) ? items[0] : items;
  }
  return merged;
}

function sum(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}
