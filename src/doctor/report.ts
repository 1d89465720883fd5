// The doctor's report: aligned lines for people, in their language, and a JSON array for scripts
// (made in English: see cli/doctor.ts).
import { t, type MessageKey } from '../i18n/index.js';
import { displayWidth, padEndWidth as pad } from '../support/text-width.js';
import type { CheckResult, CheckStatus } from './check.js';

const COLOURS: Record<CheckStatus, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };
const RESET = '\x1b[0m';

const TITLES: Record<string, MessageKey> = {
  node: 'doctor:title.node',
  sharp: 'doctor:title.sharp',
  'image formats': 'doctor:title.image_formats',
  pdf: 'doctor:title.pdf',
  'pdf fonts': 'doctor:title.pdf_fonts',
  onnxruntime: 'doctor:title.onnxruntime',
  cache: 'doctor:title.cache',
  'local model': 'doctor:title.local_model',
};

/** A check's title for people: its `check` (the stable name in --json) in their language. */
export function checkTitle(check: string): string {
  const key = TITLES[check];
  if (key !== undefined) return t(key);
  const endpoint = /^endpoint (.+)$/.exec(check);
  return endpoint ? t('doctor:title.endpoint', { url: endpoint[1] }) : check;
}


export function formatReport(results: readonly CheckResult[], colour: boolean): string {
  const titles = results.map((r) => checkTitle(r.check));
  const words: Record<CheckStatus, string> = { ok: t('doctor:status.ok'), warn: t('doctor:status.warn'), fail: t('doctor:status.fail') };
  const statusWidth = Math.max(6, ...Object.values(words).map((w) => displayWidth(w) + 2));
  const width = Math.max(...titles.map(displayWidth));
  const indent = ' '.repeat(statusWidth + width + 2);
  const lines: string[] = [];
  results.forEach((r, i) => {
    const status = pad(words[r.status], statusWidth);
    lines.push(`${colour ? `${COLOURS[r.status]}${status}${RESET}` : status}${pad(titles[i] as string, width + 2)}${r.detail}`);
    if (r.fix !== null) lines.push(`${indent}${t('doctor:report.fix', { fix: r.fix })}`);
  });
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  lines.push('', t('doctor:report.summary', { ok: count('ok'), warn: count('warn'), fail: count('fail') }));
  return `${lines.join('\n')}\n`;
}

export function formatJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify(results.map(({ check, status, detail, fix }) => ({ check, status, detail, fix })), null, 2)}\n`;
}
