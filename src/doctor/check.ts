// What every doctor check reports: one line, and a fix when it is not ok.

/** ok: ready. warn: works, but something is missing or will be slow. fail: a catalog run would fail. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** A command to run or the setting to change; null when the check is ok. */
  fix: string | null;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail, fix: null });
export const warn = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'warn', detail, fix });
export const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'fail', detail, fix });
