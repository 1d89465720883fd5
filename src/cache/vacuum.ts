// `cache vacuum`: gives the space of deleted rows back to the file system.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { OutputError } from '../emit/sink.js';
import { t } from '../i18n/index.js';
import { TemporaryFailure } from '../support/errors.js';
import { reviveError, type SerializedError } from '../support/worker-errors.js';
import { workerUrl } from '../support/worker-threads.js';
import { footprint, type Footprint } from './footprint.js';
import { isBusy } from './open.js';

export interface VacuumReport {
  before: Footprint;
  after: Footprint;
  /** A reader kept part of the WAL from being emptied; the next vacuum or run finishes it. */
  wal_busy: boolean;
}

type WorkerReply = { ok: true; walBusy: boolean } | { ok: false; error: SerializedError };

/** Vacuums the cache at `file`; the caller holds the run lock and has no write transaction open. */
export async function vacuumCache(file: string): Promise<VacuumReport> {
  const before = footprint(file);
  const { url, execArgv } = workerUrl('vacuum-worker', import.meta.url);
  const worker = new Worker(url, { execArgv, workerData: { file, busyTimeoutMs: 15_000 } });
  const exited = once(worker, 'exit');
  const [reply] = (await Promise.race([once(worker, 'message'), exited.then(() => [undefined])])) as [WorkerReply | undefined];
  await exited.catch(() => undefined);
  if (!reply) throw new Error(`the vacuum of ${file} stopped without a reply`);
  if (!reply.ok) {
    // SQLite's code (SQLITE_BUSY…) comes back on the revived error.
    const error = reviveError(reply.error) as Error & { code?: string };
    if (isBusy(error)) {
      throw new TemporaryFailure(t('cache:vacuum.busy', { file }));
    }
    if (error.code === 'SQLITE_FULL' || error.code === 'SQLITE_IOERR_WRITE') {
      throw new OutputError(t('cache:vacuum.full', { file, why: error.message }));
    }
    throw new Error(`VACUUM of ${file} failed: ${error.message}`);
  }
  return { before, after: footprint(file), wal_busy: reply.walBusy };
}
