// Runs in a worker thread: VACUUM can take minutes on a large cache, and the
// main thread must keep refreshing the run lock meanwhile.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../support/worker-errors.js';

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
const db = new Database(file, { timeout: busyTimeoutMs });
try {
  // Empty the WAL into the database first, VACUUM (which rewrites the whole
  // file through the WAL), then empty the WAL again so the space is returned.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('VACUUM');
  const [after] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  parentPort?.postMessage({ ok: true, walBusy: (after?.busy ?? 0) !== 0 });
} catch (error) {
  parentPort?.postMessage({ ok: false, error: serializeError(error) });
} finally {
  db.close();
}
