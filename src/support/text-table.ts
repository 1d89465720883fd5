// Plain-text tables for terminals and logs: columns padded to their widest cell, measured in
// terminal columns (a Chinese character takes two), so headings in either language line up.
import stringWidth from 'string-width';

/** How many terminal columns `text` takes. */
export const displayWidth = (text: string): number => stringWidth(text);

const padEnd = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
const padStart = (text: string, width: number): string => ' '.repeat(Math.max(0, width - displayWidth(text))) + text;

export function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (rightAligned.has(i) ? padStart(c, widths[i] ?? 0) : padEnd(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
