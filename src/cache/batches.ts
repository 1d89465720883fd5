// The batches table (schema 10): batches handed to a /files + /batches service, recorded by their
// uploaded file before the batch is created, and the requests in each, pending until imported.
import type Database from 'better-sqlite3';

/** The service's request_counts, as far as it gave them. */
export interface BatchCounts {
  total?: number;
  completed?: number;
  failed?: number;
}

export interface BatchRecord {
  /** The uploaded request file: known before the batch is. */
  fileId: string;
  /** The batch; null while its creation is unconfirmed (cut off before the service answered). */
  id: string | null;
  /** The service's base URL, without credentials. */
  endpoint: string;
  /** The request file's name as uploaded. */
  name: string;
  requests: number;
  /** 'submitting', the service's status (validating, in_progress, completed…), or 'lost': never created. */
  status: string;
  counts: BatchCounts | null;
  outputFile: string | null;
  errorFile: string | null;
  submittedAt: number;
  checkedAt: number | null;
  /** When its results were imported (or it was given up): its requests are no longer pending. */
  importedAt: number | null;
}

/** The service's statuses after which a batch changes no more. */
export const FINISHED_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'expired', 'cancelled']);

interface Row {
  file_id: string; id: string | null; endpoint: string; name: string; requests: number; status: string;
  counts: string | null; output_file: string | null; error_file: string | null;
  submitted_at: number; checked_at: number | null; imported_at: number | null;
}

function record(r: Row): BatchRecord {
  return {
    fileId: r.file_id, id: r.id, endpoint: r.endpoint, name: r.name, requests: r.requests, status: r.status,
    counts: r.counts === null ? null : (JSON.parse(r.counts) as BatchCounts),
    outputFile: r.output_file, errorFile: r.error_file,
    submittedAt: r.submitted_at, checkedAt: r.checked_at, importedAt: r.imported_at,
  };
}

export class BatchStore {
  private readonly q;

  constructor(private readonly db: Database.Database) {
    this.q = {
      put: db.prepare(
        `INSERT INTO batches (file_id, endpoint, name, requests, status, submitted_at) VALUES (?, ?, ?, ?, 'submitting', ?)`,
      ),
      putRequest: db.prepare('INSERT OR IGNORE INTO batch_requests (custom_id, file_id) VALUES (?, ?)'),
      created: db.prepare('UPDATE batches SET id = ?, status = ?, checked_at = ? WHERE file_id = ?'),
      update: db.prepare(
        'UPDATE batches SET status = ?, counts = ?, output_file = ?, error_file = ?, checked_at = ? WHERE file_id = ?',
      ),
      imported: db.prepare('UPDATE batches SET imported_at = ? WHERE file_id = ?'),
      dropRequests: db.prepare('DELETE FROM batch_requests WHERE file_id = ?'),
      all: db.prepare('SELECT * FROM batches ORDER BY submitted_at, file_id'),
      pending: db.prepare('SELECT 1 FROM batch_requests WHERE custom_id = ? LIMIT 1').pluck(),
    };
  }

  /** A request file uploaded, before its batch is created: found again if the creation is cut off. */
  recordUpload(fileId: string, endpoint: string, name: string, customIds: readonly string[], now: number): void {
    this.db.transaction(() => {
      this.q.put.run(fileId, endpoint, name, customIds.length, now);
      for (const id of customIds) this.q.putRequest.run(id, fileId);
    }).immediate();
  }

  recordCreated(fileId: string, id: string, status: string, now: number): void {
    this.q.created.run(id, status, now, fileId);
  }

  recordStatus(fileId: string, b: { status: string; counts: BatchCounts | null; outputFile: string | null; errorFile: string | null }, now: number): void {
    this.q.update.run(b.status, b.counts === null ? null : JSON.stringify(b.counts), b.outputFile, b.errorFile, now, fileId);
  }

  /** Its results are in the cache (or there are none to come): its requests are free to submit again. */
  recordImported(fileId: string, now: number): void {
    this.db.transaction(() => {
      this.q.imported.run(now, fileId);
      this.q.dropRequests.run(fileId);
    }).immediate();
  }

  all(): BatchRecord[] {
    return (this.q.all.all() as Row[]).map(record);
  }

  /** Whether a request is in a batch whose results have not been imported yet. */
  isPending(customId: string): boolean {
    return this.q.pending.get(customId) !== undefined;
  }
}
