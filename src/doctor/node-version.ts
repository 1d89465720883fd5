// The running Node against package.json's engines range.
import { PACKAGE } from '../support/version.js';
import { t } from '../i18n/index.js';
import { fail, ok, warn, type CheckResult } from './check.js';

function parts(version: string): number[] {
  return version.replace(/^v/, '').split('.').map((p) => Number.parseInt(p, 10) || 0);
}

function atLeast(current: number[], wanted: number[]): boolean {
  for (let i = 0; i < Math.max(current.length, wanted.length); i++) {
    const c = current[i] ?? 0;
    const w = wanted[i] ?? 0;
    if (c !== w) return c > w;
  }
  return true;
}

/** `range`: package.json's engines.node, e.g. ">=20.9". */
export function checkNode(range = PACKAGE.engines?.node, current = process.versions.node): CheckResult {
  // We only ever declare a lower bound; anything else is reported, not guessed at.
  const bound = range === undefined ? undefined : /^>=\s*v?(\d+(?:\.\d+){0,2})$/.exec(range.trim())?.[1];
  if (bound === undefined) return warn('node', t('doctor:node.unreadable', { current, range: range ?? '' }), t('doctor:node.unreadable.fix'));
  if (atLeast(parts(current), parts(bound))) return ok('node', t('doctor:node.ok', { current, range }));
  return fail('node', t('doctor:node.old', { current, range }), t('doctor:node.old.fix', { bound }));
}
