// --pages: which pages of a document become catalog rows.
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';

/** Inclusive 1-based ranges; `to` undefined means "to the last page". */
export type PageSelection = 'all' | 'first' | { from: number; to?: number }[];

/** Parses all, first, N, N-M, N- and comma lists of them ("1-3,7,10-"). */
export function parsePages(value: string): PageSelection {
  const spec = value.trim();
  if (spec === 'all' || spec === 'first') return spec;
  const ranges = spec.split(',').map((part) => {
    const m = /^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$/.exec(part);
    const from = Number(m?.[1]);
    const to = m?.[3] ? Number(m[3]) : m?.[2] ? undefined : from;
    if (!m || !Number.isSafeInteger(from) || from < 1 || (to !== undefined && (!Number.isSafeInteger(to) || to < from))) {
      throw new UsageError(t('pages:select.invalid', { value: JSON.stringify(value) }));
    }
    return { from, to };
  });
  return ranges;
}

/** The selected page numbers of a document with `count` pages, ascending and without repeats. */
export function selectPages(selection: PageSelection, count: number): number[] {
  if (selection === 'all') return Array.from({ length: count }, (_, i) => i + 1);
  if (selection === 'first') return count > 0 ? [1] : [];
  const chosen = new Set<number>();
  for (const { from, to } of selection) {
    for (let p = from; p <= Math.min(to ?? count, count); p++) chosen.add(p);
  }
  return [...chosen].sort((a, b) => a - b);
}

export function describeSelection(selection: PageSelection): string {
  if (typeof selection === 'string') return selection;
  return selection.map(({ from, to }) => (to === from ? `${from}` : `${from}-${to ?? ''}`)).join(',');
}
