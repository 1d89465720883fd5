// Plain-text tables for terminals and logs: columns padded to their widest cell (in terminal columns).
import { displayWidth, padEndWidth, padStartWidth } from './text-width.js';

export function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (rightAligned.has(i) ? padStartWidth(c, widths[i] ?? 0) : padEndWidth(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
