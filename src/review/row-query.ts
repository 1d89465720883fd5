// The page asks for rows a screenful at a time: a filter (by state or status), a search, and a
// window of the matching rows, or the next match after a row. The matching ids of the last query
// are kept until a decision changes a state, so scrolling through 80,000 rows costs no re-filtering.
import type { ReviewRow } from './rows.js';
import type { RowStates } from './row-states.js';

export const FILTERS = ['all', 'unreviewed', 'stale', 'accepted', 'edited', 'rejected', 'error', 'truncated'] as const;
export type Filter = (typeof FILTERS)[number];

/** Case-blind, and full-width and half-width forms alike, as in the report's search. */
const norm = (text: string): string => text.normalize('NFKC').toLowerCase();

function searchText(row: ReviewRow): string {
  const answer = typeof row.answer === 'string' ? row.answer : row.answer === null ? '' : JSON.stringify(row.answer);
  return norm(`${row.source}\n${answer}\n${row.error ?? ''}`);
}

export class RowQuery {
  /** Made on the first search, not at start-up: many reviews never search. */
  private texts: string[] | undefined;
  private version = 0;
  private memo: { key: string; ids: number[] } | undefined;

  constructor(private readonly rows: readonly ReviewRow[], private readonly states: RowStates) {}

  /** A row's state changed: the kept matches may be wrong now. */
  changed(): void {
    this.version++;
  }

  private keep(filter: Filter, row: ReviewRow): boolean {
    switch (filter) {
      case 'all':
        return true;
      case 'error':
      case 'truncated':
        return row.status === filter;
      case 'unreviewed': {
        const state = this.states.state(row.id);
        return state === 'unreviewed' || state === 'stale';
      }
      default:
        return this.states.state(row.id) === filter;
    }
  }

  /** The ids of the matching rows, in order. */
  matches(filter: Filter, q: string): number[] {
    const terms = norm(q).split(/\s+/).filter(Boolean);
    const key = `${this.version}\u0000${filter}\u0000${terms.join(' ')}`;
    if (this.memo?.key === key) return this.memo.ids;
    if (terms.length > 0) this.texts ??= this.rows.map(searchText);
    const texts = this.texts;
    const ids: number[] = [];
    for (const row of this.rows) {
      if (!this.keep(filter, row)) continue;
      if (terms.length > 0 && texts && !terms.every((t) => (texts[row.id] as string).includes(t))) continue;
      ids.push(row.id);
    }
    this.memo = { key, ids };
    return ids;
  }

  /**
   * Where the first match after (dir 1) or before (dir -1) row `id` is in the matches, whether or not
   * `id` itself still matches (an accepted row leaves the "unreviewed" filter); -1 when there is none.
   */
  static step(ids: readonly number[], id: number, dir: 1 | -1): number {
    let lo = 0;
    let hi = ids.length;
    // The first position whose id is > id (dir 1) or >= id (dir -1).
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const at = ids[mid] as number;
      if (at < id || (dir === 1 && at === id)) lo = mid + 1;
      else hi = mid;
    }
    const at = dir === 1 ? lo : lo - 1;
    return at >= 0 && at < ids.length ? at : -1;
  }
}
