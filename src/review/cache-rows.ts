// The rows of a cache job, for a review without a catalog: each indexed file's answer (path_answers)
// and each page of an indexed document, two queries in all, each row with its keys already known.
import { t } from '../i18n/index.js';
import type Database from 'better-sqlite3';
import type { Status } from '../emit/columns.js';
import { UsageError } from '../support/errors.js';
import type { ReviewRow } from './rows.js';

/** The job of the most recent run that had one. */
export function latestJob(db: Database.Database, file: string): string {
  const job = db.prepare('SELECT job FROM runs WHERE job IS NOT NULL ORDER BY id DESC LIMIT 1').pluck().get() as string | undefined;
  if (job === undefined) throw new UsageError(t('review:server.noRun', { file }));
  return job;
}

interface ImageRow {
  path: string; sha256: string; status: Status; output: string; prompt: string; model: string;
  width: number | null; height: number | null; format: string | null; review: string;
}

interface PageRow {
  path: string; sha256: string; page: number; pages: number; key: string; status: Status; output: string;
  prompt: string; model: string; width: number; height: number; render: string;
}

const IMAGES = `SELECT pa.path, pa.sha256, pa.status, pa.output, pa.prompt, pa.model, pa.width, pa.height, pa.format,
    COALESCE(c.content, pa.sha256) AS review
  FROM path_answers pa LEFT JOIN contents c ON c.sha256 = pa.sha256 WHERE pa.job = ?`;

// A page may have been rendered under several settings: its latest answer under the job is the one.
const PAGES = `SELECT f.path, f.sha256, p.page, d.pages, r.sha256 AS key, r.status, r.output, r.prompt, r.model,
    p.width, p.height, p.render
  FROM files f JOIN documents d ON d.sha256 = f.sha256 JOIN pages p ON p.sha256 = f.sha256
  JOIN results r ON r.job = ? AND r.sha256 IN (p.pixels, p.with_text)
  ORDER BY f.path, p.page, r.created_at DESC`;

const byPathThenPage = (a: ReviewRow, b: ReviewRow): number =>
  a.source < b.source ? -1 : a.source > b.source ? 1 : (a.page ?? 0) - (b.page ?? 0);

/** Every row the cache has for `job`, in path order (a document's pages in page order). */
export function rowsOfJob(db: Database.Database, job: string): ReviewRow[] {
  const rows: ReviewRow[] = [];
  const base = { job, error: null, pages: null, page: null };
  for (const r of db.prepare(IMAGES).iterate(job) as IterableIterator<ImageRow>) {
    rows.push({
      ...base, id: 0, source: r.path, sha256: r.sha256, status: r.status, prompt: r.prompt, model: r.model,
      width: r.width, height: r.height, format: r.format, answer: r.output, raw: r.output, keys: { answer: r.sha256, review: r.review },
    });
  }
  let last = '';
  for (const r of db.prepare(PAGES).iterate(job) as IterableIterator<PageRow>) {
    const at = `${r.page}\u0000${r.path}`;
    if (at === last) continue;
    last = at;
    rows.push({
      ...base, id: 0, source: r.path, page: r.page, pages: r.pages, sha256: r.sha256, status: r.status, prompt: r.prompt,
      model: r.model, width: r.width, height: r.height, format: r.render.split(',')[0] ?? null,
      answer: r.output, raw: r.output, keys: { answer: r.key, review: r.key },
    });
  }
  rows.sort(byPathThenPage);
  rows.forEach((row, i) => (row.id = i));
  return rows;
}
