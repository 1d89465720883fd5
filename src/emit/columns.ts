// The fixed catalog columns, in order. Template fields go between `model` and `tokens_in`.
export const LEADING_COLUMNS = [
  'SourceFile', 'page', 'pages', 'sha256', 'bytes', 'width', 'height', 'format', 'status', 'cached', 'error', 'prompt', 'model',
] as const;
export const TRAILING_COLUMNS = ['tokens_in', 'tokens_out', 'latency_ms'] as const;

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
  /** Text answer, or the parsed object for json templates; null on error. */
  output: string | Record<string, unknown> | null;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
}
