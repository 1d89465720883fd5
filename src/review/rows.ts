// The rows a review walks: read from catalogs written by `catalog`, or from a cache job
// (cache-rows.ts). Held in memory, one small object each (80,000 rows are a few tens of MB);
// images and the cache are looked at only when a row is shown or decided on.
import { readCatalog } from '../emit/read-catalog.js';
import type { CatalogRow, Status } from '../emit/columns.js';

export interface ReviewRow {
  /** Position in the review, from 0; the page's URLs name rows by it. */
  id: number;
  source: string;
  page: number | null;
  pages: number | null;
  sha256: string | null;
  job: string;
  status: Status;
  error: string | null;
  prompt: string;
  model: string;
  width: number | null;
  height: number | null;
  format: string | null;
  /** The model's answer as the source has it: a catalog's value (an object for json templates), or the cache's text. */
  answer: string | Record<string, unknown> | null;
  /** Known when the rows come from the cache: where the answer and the review are kept, and the answer's text. */
  keys?: { answer: string; review: string };
  raw?: string;
}

/** A catalog row's own answer: the model's, also where the catalog shows a reviewer's edit instead. */
function modelAnswer(row: CatalogRow): ReviewRow['answer'] {
  return row.review !== null ? row.model_output : row.output;
}

export function fromCatalogRow(row: CatalogRow, id: number): ReviewRow {
  return {
    id, source: row.SourceFile, page: row.page, pages: row.pages, sha256: row.sha256, job: row.job, status: row.status,
    error: row.error, prompt: row.prompt, model: row.model, width: row.width, height: row.height, format: row.format,
    answer: modelAnswer(row),
  };
}

/** The rows of several catalogs, in the order given; with `job`, only that job's. */
export function rowsOfCatalogs(files: readonly string[], job: string | undefined): ReviewRow[] {
  const rows: ReviewRow[] = [];
  for (const file of files) {
    for (const row of readCatalog(file).rows) {
      if (job === undefined || row.job === job) rows.push(fromCatalogRow(row, rows.length));
    }
  }
  return rows;
}

/** The jobs the rows belong to, each once. */
export function jobsOf(rows: readonly ReviewRow[]): string[] {
  return [...new Set(rows.map((r) => r.job).filter((j) => j !== ''))];
}
