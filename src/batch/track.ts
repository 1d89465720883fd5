// Following batches once submitted: what the service says of each (status), and bringing the
// finished ones home (fetch): their output and error files imported into the cache.
import type Database from 'better-sqlite3';
import { FINISHED_STATUSES, type BatchRecord, type BatchStore } from '../cache/batches.js';
import type { BatchApi, BatchInfo } from './batch-api.js';
import { importResults, textSource, type ImportReport } from './import-results.js';

/** Asks each batch's service about the batches not yet imported, and records what it says; returns every batch. */
export async function refreshBatches(store: BatchStore, apiFor: (endpoint: string) => BatchApi, now: () => number): Promise<BatchRecord[]> {
  const listed = new Map<string, Promise<BatchInfo[]>>();
  for (const b of store.all()) {
    if (b.importedAt !== null || (b.id !== null && FINISHED_STATUSES.has(b.status))) continue;
    const api = apiFor(b.endpoint);
    if (b.id === null) {
      // Cut off between upload and creation: the service's list says whether the batch exists.
      let list = listed.get(b.endpoint);
      if (!list) listed.set(b.endpoint, (list = api.list()));
      const found = (await list).find((info) => info.inputFileId === b.fileId);
      if (!found) {
        store.recordStatus(b.fileId, { status: 'lost', counts: null, outputFile: null, errorFile: null }, now());
        // Never created: its requests are free to go into the next submit.
        store.recordImported(b.fileId, now());
        continue;
      }
      store.recordCreated(b.fileId, found.id, found.status, now());
      record(store, b.fileId, found, now());
      continue;
    }
    record(store, b.fileId, await api.get(b.id), now());
  }
  return store.all();
}

function record(store: BatchStore, fileId: string, info: BatchInfo, now: number): void {
  store.recordStatus(fileId, { status: info.status, counts: info.counts, outputFile: info.outputFileId, errorFile: info.errorFileId }, now);
}

export interface Fetched {
  batch: BatchRecord;
  report: ImportReport;
}

/** Imports every finished batch not yet imported (a failed or expired one too: what it did finish). */
export async function fetchFinished(
  db: Database.Database, store: BatchStore, batches: readonly BatchRecord[], apiFor: (endpoint: string) => BatchApi, now: () => number,
): Promise<Fetched[]> {
  const done: Fetched[] = [];
  for (const b of batches) {
    if (b.importedAt !== null || b.id === null || !FINISHED_STATUSES.has(b.status)) continue;
    const api = apiFor(b.endpoint);
    const sources = [];
    if (b.outputFile) sources.push(textSource(await api.content(b.outputFile), `${b.id} output`));
    if (b.errorFile) sources.push(textSource(await api.content(b.errorFile), `${b.id} errors`));
    const report = await importResults(sources, db);
    store.recordImported(b.fileId, now());
    done.push({ batch: b, report });
  }
  return done;
}
