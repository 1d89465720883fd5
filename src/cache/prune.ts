// `cache prune`: drops results by age, by disuse or by job, and (--missing)
// the file index rows of files that are gone with the answers no file has any more.
import type Database from 'better-sqlite3';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { ESCAPED_BYTE, rawBytes } from '../pipeline/walk.js';
import { Interrupted, writeTransaction, type Checkpoint } from './write-transaction.js';

export interface PruneCriteria {
  /** Remove results created before this moment (ms). */
  olderThan?: number;
  /** Remove the results of jobs no run has used since this moment (ms). */
  unusedSince?: number;
  /** Full fingerprints: limits the criteria above to these jobs; alone, removes all their results. */
  jobs: string[];
  missing?: {
    /** The folder relative paths in the index are taken from; without it they are not checked. */
    relativeTo?: string;
    /** Prune even when every file checked is missing (an unmounted archive looks like that). */
    force: boolean;
  };
}

export interface PruneReport {
  dry_run: boolean;
  files: {
    checked: number;
    missing: number;
    /** Relative paths left alone (no --relative-to). */
    relative_skipped: number;
    /** Paths that could not be checked (permissions, I/O errors): kept. */
    unreadable: number;
  } | null;
  results: { older_than: number; unused: number; job: number; missing: number; total: number };
  images: number;
  /** Rendered pages forgotten with their documents (--missing). */
  pages: number;
  /** Remembered failures forgotten with their documents (--missing). */
  failures: number;
  /** Reviews of images no indexed file has any more (--missing); no other criterion removes a review. */
  reviews: number;
}

type Existence = 'present' | 'missing' | 'unreadable';

async function existence(file: string | Buffer): Promise<Existence> {
  try {
    await stat(file);
    return 'present';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  }
}

async function check(shown: string): Promise<Existence> {
  const first = await existence(shown);
  if (first !== 'missing' || !ESCAPED_BYTE.test(shown)) return first;
  return existence(rawBytes(shown));
}

interface MissingScan {
  paths: string[];
  checked: number;
  relativeSkipped: number;
  unreadable: number;
}

async function scanMissing(db: Database.Database, relativeTo: string | undefined, signal: AbortSignal): Promise<MissingScan> {
  const all = (db.prepare('SELECT path FROM files').pluck().all() as string[]);
  const scan: MissingScan = { paths: [], checked: 0, relativeSkipped: 0, unreadable: 0 };
  const toCheck: [string, string][] = [];
  for (const p of all) {
    if (path.isAbsolute(p)) toCheck.push([p, p]);
    else if (relativeTo !== undefined) toCheck.push([p, path.resolve(relativeTo, p)]);
    else scan.relativeSkipped++;
  }
  // Archives live on network mounts: many stats in flight, a bounded number.
  const WIDTH = 64;
  for (let i = 0; i < toCheck.length; i += WIDTH) {
    if (signal.aborted) throw new Interrupted(t('cache:interrupted', { signal: String(signal.reason) }));
    const slice = toCheck.slice(i, i + WIDTH);
    const found = await Promise.all(slice.map(([, where]) => check(where)));
    found.forEach((state, k) => {
      scan.checked++;
      if (state === 'missing') scan.paths.push((slice[k] as [string, string])[0]);
      if (state === 'unreadable') scan.unreadable++;
    });
  }
  return scan;
}

/**
 * A review's image is gone when no indexed file has it: its key is neither the hash of an indexed
 * file, nor the content identity of one (the same image, its metadata since rewritten), nor a page
 * of an indexed document. Reviews are kept whatever happens to the answers; only this removes them.
 */
const REVIEW_GONE = `content NOT IN (SELECT sha256 FROM files)
  AND content NOT IN (SELECT c.content FROM contents c WHERE c.sha256 IN (SELECT sha256 FROM files))
  AND content NOT IN (SELECT pixels FROM pages WHERE sha256 IN (SELECT sha256 FROM files))
  AND content NOT IN (SELECT with_text FROM pages WHERE sha256 IN (SELECT sha256 FROM files))`;

export async function pruneCache(
  db: Database.Database,
  file: string,
  criteria: PruneCriteria,
  options: { dryRun: boolean; signal: AbortSignal },
): Promise<PruneReport> {
  const scan = criteria.missing ? await scanMissing(db, criteria.missing.relativeTo, options.signal) : undefined;
  if (scan && criteria.missing && !criteria.missing.force && scan.checked > 0 && scan.paths.length === scan.checked) {
    throw new UsageError(t('cache:prune.allMissing', { count: scan.checked, file }));
  }
  const jobFilter = criteria.jobs.length ? ` AND job IN (${criteria.jobs.map(() => '?').join(', ')})` : '';
  const report: PruneReport = {
    dry_run: options.dryRun,
    files: scan
      ? { checked: scan.checked, missing: scan.paths.length, relative_skipped: scan.relativeSkipped, unreadable: scan.unreadable }
      : null,
    results: { older_than: 0, unused: 0, job: 0, missing: 0, total: 0 },
    images: 0,
    pages: 0,
    failures: 0,
    reviews: 0,
  };
  const remove = (sql: string, ...params: (string | number)[]): number =>
    db.prepare(`DELETE FROM results WHERE ${sql}${jobFilter}`).run(...params, ...criteria.jobs).changes;

  return writeTransaction(db, file, { signal: options.signal, commit: !options.dryRun }, async (checkpoint: Checkpoint) => {
    if (criteria.olderThan !== undefined) report.results.older_than = remove('created_at < ?', criteria.olderThan);
    if (criteria.unusedSince !== undefined) {
      // A job's last use: its latest run, or its registration when no run is recorded (a merged cache).
      report.results.unused = remove(
        `job IN (SELECT j.fingerprint FROM jobs j
                  WHERE max(j.created_at, coalesce((SELECT max(started_at) FROM runs WHERE runs.job = j.fingerprint), 0)) < ?)`,
        criteria.unusedSince,
      );
    }
    if (criteria.olderThan === undefined && criteria.unusedSince === undefined && !criteria.missing && criteria.jobs.length) {
      report.results.job = remove('1');
    }
    if (scan) {
      const forget = db.prepare('DELETE FROM files WHERE path = ?');
      for (const p of scan.paths) {
        forget.run(p);
        await checkpoint();
      }
      // NOT IN over uncorrelated subqueries: one transient index each, not a scan per result.
      // A document's page answers are keyed by the page, not the file.
      const kept = 'SELECT sha256 FROM files';
      report.results.missing = remove(
        `sha256 NOT IN (${kept})
         AND sha256 NOT IN (SELECT pixels FROM pages WHERE sha256 IN (${kept}))
         AND sha256 NOT IN (SELECT with_text FROM pages WHERE sha256 IN (${kept}))`,
      );
      report.pages = db.prepare(`DELETE FROM pages WHERE sha256 NOT IN (${kept})`).run().changes;
      db.prepare(`DELETE FROM documents WHERE sha256 NOT IN (${kept})`).run();
      report.failures = db.prepare(`DELETE FROM failures WHERE sha256 NOT IN (${kept})`).run().changes;
      report.reviews = db.prepare(`DELETE FROM reviews WHERE ${REVIEW_GONE}`).run().changes;
    }
    report.results.total = report.results.older_than + report.results.unused + report.results.job + report.results.missing;
    // Image facts only serve cached answers; a re-inferred file records them again.
    report.images = db.prepare('DELETE FROM images WHERE sha256 NOT IN (SELECT sha256 FROM results)').run().changes;
    return report;
  });
}
