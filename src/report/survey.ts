// The report's first pass over the catalog: every row checked, and what the page's
// header and the choice of thumbnail place need to know, before a byte is written.
import { STATUSES, type Status } from '../emit/columns.js';
import { streamCatalog } from '../emit/stream-catalog.js';
import { Selector, type Selection } from './selection.js';

export interface Survey {
  /** Rows in the catalog. */
  total: number;
  /** Rows the page shows. */
  shown: number;
  /** Shown rows by status. */
  counts: Record<Status, number>;
  /** Shown rows with a review (accepted, edited, rejected, ...). */
  reviewed: number;
  models: string[];
  prompts: string[];
  /** Template fields of the shown rows' answers, in the order first met. */
  fields: string[];
  /** Shown rows that get a thumbnail when there are thumbnails (all but error rows). */
  pictured: number;
}

export async function surveyCatalog(file: string, selection: Selection): Promise<Survey> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  const models = new Set<string>();
  const prompts = new Set<string>();
  const fields = new Set<string>();
  const selector = new Selector(selection);
  let total = 0;
  let shown = 0;
  let reviewed = 0;
  // The whole catalog is read even past --limit: a bad row anywhere stops the report, as without --limit.
  for await (const row of streamCatalog(file)) {
    total++;
    if (!selector.take(row)) continue;
    shown++;
    counts[row.status]++;
    if (row.review !== null) reviewed++;
    if (row.model) models.add(row.model);
    if (row.prompt) prompts.add(row.prompt);
    if (row.output && typeof row.output === 'object' && !Array.isArray(row.output)) for (const k of Object.keys(row.output)) fields.add(k);
  }
  return {
    total, shown, counts, reviewed, models: [...models], prompts: [...prompts], fields: [...fields], pictured: shown - counts.error,
  };
}
