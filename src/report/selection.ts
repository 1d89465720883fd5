// Which catalog rows a report shows: --only (any of the given kinds) and --limit
// (the first N of those, in catalog order).
import type { REPORT_ONLY } from '../config/command-options.js';
import type { ReadRow } from '../emit/read-catalog.js';
import { streamCatalog } from '../emit/stream-catalog.js';

export type OnlyKind = (typeof REPORT_ONLY)[number];

export interface Selection {
  /** Empty: every row. */
  only: readonly OnlyKind[];
  limit: number | undefined;
}

export const EVERY_ROW: Selection = { only: [], limit: undefined };

function isKind(row: ReadRow, kind: OnlyKind): boolean {
  switch (kind) {
    case 'unreviewed':
      return row.review === null;
    case 'rejected':
      return row.review === 'rejected';
    default:
      return row.status === kind;
  }
}

/** Counts as it goes: call take() once per catalog row, in order. */
export class Selector {
  private taken = 0;

  constructor(private readonly selection: Selection) {}

  /** Whether the report shows this row. */
  take(row: ReadRow): boolean {
    if (this.full) return false;
    const { only } = this.selection;
    if (only.length > 0 && !only.some((kind) => isKind(row, kind))) return false;
    this.taken++;
    return true;
  }

  /** --limit rows were taken: no later row is shown. */
  get full(): boolean {
    return this.selection.limit !== undefined && this.taken >= this.selection.limit;
  }
}

/** The selection as flags, for the page's header: "--only error --only rejected --limit 50"; '' for every row. */
export function selectionFlags({ only, limit }: Selection): string {
  return [...only.map((kind) => `--only ${kind}`), ...(limit !== undefined ? [`--limit ${limit}`] : [])].join(' ');
}

/** The rows a report shows, each with its 1-based number in the catalog; at most `most`. */
export async function* shownRows(file: string, selection: Selection, most = Infinity): AsyncGenerator<{ row: ReadRow; n: number }> {
  const selector = new Selector(selection);
  let n = 0;
  let shown = 0;
  for await (const row of streamCatalog(file)) {
    n++;
    if (selector.take(row)) {
      yield { row, n };
      shown++;
    }
    if (selector.full || shown >= most) return;
  }
}
