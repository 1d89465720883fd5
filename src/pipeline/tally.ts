// The run's counts as rows are made: for the progress line, the summary, the
// exit code, the runs table and --metrics-file.
import type { CatalogRow } from '../emit/columns.js';
import { okCount, type Tally } from './progress.js';

export function newTally(files: number): Tally {
  return { done: 0, total: files, cached: 0, failed: 0, truncated: 0, pages: 0 };
}

/** Counts one file's rows. A document counts as many items as it has rows (an interrupted one still counts as one, not done). */
export function countRows(tally: Tally, rows: CatalogRow[]): void {
  tally.total += Math.max(1, rows.length) - 1;
  for (const row of rows) {
    tally.done++;
    if (row.page !== null) tally.pages++;
    if (row.cached) tally.cached++;
    if (row.status === 'error') tally.failed++;
    if (row.status === 'truncated') tally.truncated++;
  }
}

/** What the runs table keeps of a tally. */
export function tallyCounts(t: Tally): { total: number; ok: number; cached: number; failed: number } {
  return { total: t.total, ok: okCount(t), cached: t.cached, failed: t.failed };
}
