// One catalog run at a time per cache, so overlapping cron jobs never pay
// for the same (image, job) twice. The lock is a directory beside the
// database (proper-lockfile: atomic mkdir, refreshed while held, taken over
// when its holder died without releasing it).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { t } from '../i18n/index.js';
import { TemporaryFailure } from '../support/errors.js';

// In config/constants.ts, so that the settings loader need not load proper-lockfile.
import type { LockMode } from '../config/constants.js';
export type { LockMode };
export { LOCK_MODES } from '../config/constants.js';

/** A holder that stops refreshing for this long is taken to be dead. */
export const STALE_MS = 30_000;

/** The lock beside the real database file, so a symlinked --cache and its target share one lock. */
export function lockPath(db: string): string {
  let real: string;
  try {
    real = realpathSync(db);
  } catch {
    real = path.resolve(db);
  }
  return `${real}.lock`;
}

/**
 * Takes the run lock of the cache at `db`; resolves to its release. `wait` waits for the run that holds it,
 * `skip` fails at once with a TemporaryFailure (exit 75), `none` takes no lock. ':memory:' needs none.
 */
export async function lockCache(db: string, mode: LockMode, onWait: () => void): Promise<() => Promise<void>> {
  if (mode === 'none' || db === ':memory:') return async () => undefined;
  const lock = lockPath(db);
  const options = { realpath: false, lockfilePath: lock, stale: STALE_MS, update: STALE_MS / 3 };
  const take = (): Promise<() => Promise<void>> => lockfile.lock(db, { ...options, retries: 0 });
  try {
    return await take();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
  }
  if (mode === 'skip') {
    throw new TemporaryFailure(t('cache:lock.skip', { cache: db, lock }));
  }
  onWait();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      return await take();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
  }
}
