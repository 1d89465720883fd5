// The doctor's report: aligned lines for people, a JSON array for scripts.
import type { CheckResult, CheckStatus } from './check.js';

const COLOURS: Record<CheckStatus, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };
const RESET = '\x1b[0m';

export function formatReport(results: readonly CheckResult[], colour: boolean): string {
  const width = Math.max(...results.map((r) => r.check.length));
  const indent = ' '.repeat(6 + width + 2);
  const lines: string[] = [];
  for (const r of results) {
    const status = r.status.padEnd(6);
    lines.push(`${colour ? `${COLOURS[r.status]}${status}${RESET}` : status}${r.check.padEnd(width + 2)}${r.detail}`);
    if (r.fix !== null) lines.push(`${indent}fix: ${r.fix}`);
  }
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  lines.push('', `${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify(results.map(({ check, status, detail, fix }) => ({ check, status, detail, fix })), null, 2)}\n`;
}
