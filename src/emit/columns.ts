// The fixed catalog columns, in order. Template fields go between `reviewer` and `model_output`.
import type { Decision } from '../cache/reviews.js';

export const LEADING_COLUMNS = [
  'SourceFile', 'page', 'pages', 'sha256', 'bytes', 'width', 'height', 'format', 'status', 'cached', 'error', 'prompt', 'model',
  'job', 'review', 'reviewer', 'reviewed_at',
] as const;
export const TRAILING_COLUMNS = ['model_output', 'tokens_in', 'tokens_out', 'latency_ms', 'raw_output'] as const;
/** Columns that catalogs written before reviews (glm-vision 0.1) lack: a reader takes them as empty. */
export const REVIEW_COLUMNS = ['job', 'review', 'reviewer', 'reviewed_at', 'model_output'] as const;
/** Added after the other review columns: a catalog may have those and not this one. */
export const REVIEWED_AT = 'reviewed_at';
/** Added last: catalogs written before it end at latency_ms. */
export const RAW_OUTPUT = 'raw_output';

/** Names a template field may not take (they would collide with fixed columns). */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set([
  ...LEADING_COLUMNS, ...TRAILING_COLUMNS, 'output',
]);

export const STATUSES = ['ok', 'truncated', 'error'] as const;
export type Status = (typeof STATUSES)[number];

/** How CSV cells join a list (an array answer field): "a; b". */
export const LIST_SEPARATOR = '; ';

export interface CatalogRow {
  SourceFile: string;
  /** 1-based page of a PDF or multi-page TIFF; null for a single image and for a whole document's row. */
  page: number | null;
  /** The document's page count; null for a single image. */
  pages: number | null;
  /** The file's sha256 (for a page too). */
  sha256: string | null;
  bytes: number | null;
  width: number | null;
  height: number | null;
  format: string | null;
  status: Status;
  cached: boolean;
  error: string | null;
  prompt: string;
  model: string;
  /** The job's fingerprint: what the cache keys answers and reviews by. */
  job: string;
  /** A person's decision on the answer (`glm-vision review`), null when there is none. */
  review: Decision | null;
  reviewer: string | null;
  /** When the decision was made (ISO 8601, UTC); null when `review` is. */
  reviewed_at: string | null;
  /** The answer: a reviewer's edit when there is one, else the model's text, or the parsed object for json templates; null on error and when rejected. */
  output: string | Record<string, unknown> | null;
  /** The model's own answer when a review judged it (null for unreviewed rows, whose output is the model's). */
  model_output: string | Record<string, unknown> | null;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
  /** The model's answer as it came, when it could not become `output` (a structured answer that is not JSON or fails its schema); else null. */
  raw_output: string | null;
}

/** A structured answer kept as JSON text (a CSV cell, an edit): its fields, or the text when it holds none. */
export function objectOrText(text: string): string | Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Not JSON: kept as the text it is.
  }
  return text;
}
