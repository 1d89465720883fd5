// One write transaction for a whole maintenance command, so an interrupted or
// failed prune or merge changes nothing. It spans awaits: the event loop keeps
// turning, so the run lock stays fresh and a signal is noticed between steps.
import type Database from 'better-sqlite3';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { t } from '../i18n/index.js';
import { TemporaryFailure } from '../support/errors.js';
import { isBusy } from './open.js';

/** The command was stopped by a signal; the transaction was rolled back. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** Called inside long loops: now and then yields to the event loop, and stops when the signal fired. */
export type Checkpoint = () => Promise<void>;

const STEPS_PER_YIELD = 500;

/**
 * Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back when it throws, when `signal` fires, or
 * when `commit` is false (a dry run that reports exactly what a real one would do).
 */
export async function writeTransaction<T>(
  db: Database.Database,
  file: string,
  options: { signal: AbortSignal; commit: boolean },
  body: (checkpoint: Checkpoint) => Promise<T>,
): Promise<T> {
  let steps = 0;
  const checkpoint: Checkpoint = async () => {
    if (++steps % STEPS_PER_YIELD !== 0) return;
    await yieldToLoop();
    if (options.signal.aborted) throw new Interrupted(t('cache:interrupted', { signal: String(options.signal.reason) }));
  };
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (isBusy(error)) throw new TemporaryFailure(t('cache:open.locked', { file }));
    throw error;
  }
  try {
    const result = await body(checkpoint);
    if (options.signal.aborted) throw new Interrupted(t('cache:interrupted', { signal: String(options.signal.reason) }));
    db.exec(options.commit ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
