// The bench's output: a plain table on stdout and the same data as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type Verdict = 'pass' | 'FAIL' | 'skip' | '-';

export interface Measure {
  id: string;
  /** Human label, first column of the table. */
  measure: string;
  /** Number as measured (undefined when skipped). */
  value?: number;
  unit: string;
  /** Printed value; defaults to value + unit. */
  display?: string;
  /** e.g. '>= 0.70x', '< 2 s'; '-' for informational rows. */
  target: string;
  verdict: Verdict;
  /** Every individual run behind a median. */
  runs?: number[];
}

export interface Report {
  startedAt: string;
  finishedAt?: string;
  measures: Measure[];
  notes: string[];
  env: Record<string, unknown>;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function max(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.max(...xs);
}

/** pass/FAIL for value compared against a bound. */
export function judge(value: number | undefined, op: '<' | '<=' | '>=', bound: number): Verdict {
  if (value === undefined || !Number.isFinite(value)) return 'skip';
  const ok = op === '<' ? value < bound : op === '<=' ? value <= bound : value >= bound;
  return ok ? 'pass' : 'FAIL';
}

export function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  return n.toFixed(digits);
}

function cell(m: Measure): string {
  if (m.display !== undefined) return m.display;
  if (m.value === undefined) return 'n/a';
  return `${fmt(m.value)} ${m.unit}`.trim();
}

export function renderTable(report: Report): string {
  const rows = [['measure', 'value', 'target', 'verdict'], ...report.measures.map((m) => [m.measure, cell(m), m.target, m.verdict])];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((v, c) => v.padEnd(widths[c] ?? 0)).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(rows[0] as string[]), rule, ...rows.slice(1).map(line)];
  const failed = report.measures.filter((m) => m.verdict === 'FAIL');
  out.push('');
  const skipped = report.measures.filter((m) => m.verdict === 'skip').length;
  const skipNote = skipped ? ` (${skipped} skipped)` : '';
  out.push(
    failed.length
      ? `FAIL: ${failed.length} target(s) missed${skipNote}: ${failed.map((m) => m.measure).join('; ')}`
      : `All measured targets met${skipNote}.`,
  );
  out.push('');
  out.push('Notes:');
  for (const n of report.notes) out.push(`  - ${n}`);
  return out.join('\n');
}

export async function writeJson(file: string, report: Report): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
