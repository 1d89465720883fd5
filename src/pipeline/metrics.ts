// A run's figures in the Prometheus text exposition format, for node_exporter's
// textfile collector: written whole at the end of every run, whatever its exit.
import { readFile } from 'node:fs/promises';
import type { EndpointLevel } from '../backends/backend.js';
import { fileSink } from '../emit/sink.js';
import { ExitCode } from '../support/errors.js';

/** Filled in as the run goes; what is still zero when it ends is what it did not get to. */
export interface RunStats {
  startedAt: number;
  /** Files the walk found (this shard's part). */
  filesFound: number;
  /** Files the last finished run over the same inputs and job found, if there was one. */
  previousFiles?: number;
  rows: { ok: number; error: number; truncated: number };
  cached: number;
  pages: number;
  /** PDFs and multi-page TIFFs read and opened to render pages (not answered, or refused, from the cache alone). */
  documentsOpened: number;
  requests: number;
  retries: number;
  tokensIn: number;
  tokensOut: number;
  unreadableFolders: number;
  /** --concurrency auto: where each endpoint's level went. */
  levels: EndpointLevel[];
}

export function newRunStats(startedAt: number): RunStats {
  return {
    startedAt, filesFound: 0, rows: { ok: 0, error: 0, truncated: 0 }, cached: 0, pages: 0, documentsOpened: 0,
    requests: 0, retries: 0, tokensIn: 0, tokensOut: 0, unreadableFolders: 0, levels: [],
  };
}

/** A run that wrote its whole catalog: some rows may have failed (exit 1), but nothing is missing. */
export function isSuccess(exitCode: number): boolean {
  return exitCode === ExitCode.ok || exitCode === ExitCode.someFailed;
}

const PREFIX = 'glm_vision_';
const LAST_SUCCESS = `${PREFIX}last_success_timestamp_seconds`;

// A family's `# HELP` text is part of the exposition format, read by scrapers and dashboards
// like the metric names: English in every language, so the file is the same whatever the locale.
interface Family {
  name: string;
  doc: string;
  samples: { labels?: Record<string, string>; value: number }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function render(families: Family[], common: Record<string, string>): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${PREFIX}${f.name} ${f.doc}`, `# TYPE ${PREFIX}${f.name} gauge`);
    for (const s of f.samples) {
      const labels = Object.entries({ ...common, ...s.labels }).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${PREFIX}${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${s.value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The last success recorded in an earlier metrics file, so a failed run keeps it. */
async function previousSuccess(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = new RegExp(`^${LAST_SUCCESS}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  const value = m ? Number(m[1]) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

export interface MetricsFile {
  file: string;
  /** The `inputs` label: what the run catalogs, so several jobs' files can sit in one collector folder. */
  inputs: string;
}

export function formatMetrics(
  stats: RunStats, exitCode: number, endedAt: number, lastSuccess: number | undefined, inputs: string,
): string {
  const secs = (ms: number): number => ms / 1000;
  const families: Family[] = [
    { name: 'last_run_start_timestamp_seconds', doc: 'When the last run started.', samples: [{ value: secs(stats.startedAt) }] },
    { name: 'last_run_end_timestamp_seconds', doc: 'When the last run ended.', samples: [{ value: secs(endedAt) }] },
    { name: 'last_run_duration_seconds', doc: 'How long the last run took.', samples: [{ value: secs(endedAt - stats.startedAt) }] },
    { name: 'last_run_exit_code', doc: "The last run's exit code (see glm-vision --help).", samples: [{ value: exitCode }] },
    { name: 'last_run_files_found', doc: 'Files the last run found in its inputs.', samples: [{ value: stats.filesFound }] },
    {
      name: 'last_run_rows',
      doc: 'Catalog rows of the last run by status (an interrupted run counts the rows it finished).',
      samples: (['ok', 'error', 'truncated'] as const).map((status) => ({ labels: { status }, value: stats.rows[status] })),
    },
    { name: 'last_run_cached_rows', doc: 'Rows of the last run answered from the cache.', samples: [{ value: stats.cached }] },
    { name: 'last_run_pages', doc: 'Rows of the last run that are pages of PDFs or multi-page TIFFs.', samples: [{ value: stats.pages }] },
    {
      name: 'last_run_documents_opened', doc: 'PDFs and multi-page TIFFs the last run opened to render (remembered failures are not).',
      samples: [{ value: stats.documentsOpened }],
    },
    { name: 'last_run_requests', doc: 'Inference requests the last run sent, retries included.', samples: [{ value: stats.requests }] },
    { name: 'last_run_retries', doc: 'Requests of the last run that were retries.', samples: [{ value: stats.retries }] },
    {
      name: 'last_run_tokens',
      doc: 'Tokens of the answers the last run paid for (cached answers cost none).',
      samples: [{ labels: { direction: 'in' }, value: stats.tokensIn }, { labels: { direction: 'out' }, value: stats.tokensOut }],
    },
    { name: 'last_run_unreadable_folders', doc: 'Folders below the inputs the last run could not read.', samples: [{ value: stats.unreadableFolders }] },
  ];
  if (stats.levels.length > 0) {
    const each = (value: (l: EndpointLevel) => number): Family['samples'] => stats.levels.map((l) => ({ labels: { endpoint: l.endpoint }, value: value(l) }));
    families.push(
      { name: 'last_run_concurrency', doc: 'Requests in flight each endpoint allowed when the last run ended (--concurrency auto).', samples: each((l) => l.level) },
      { name: 'last_run_concurrency_peak', doc: 'The most requests in flight each endpoint allowed in the last run (--concurrency auto).', samples: each((l) => l.peak) },
    );
  }
  if (stats.previousFiles !== undefined) {
    families.push({
      name: 'previous_run_files_found', doc: 'Files the run before it found in the same inputs, for the same job.',
      samples: [{ value: stats.previousFiles }],
    });
  }
  if (lastSuccess !== undefined) {
    families.push({
      name: 'last_success_timestamp_seconds', doc: 'When a run last wrote its whole catalog (exit 0 or 1).',
      samples: [{ value: lastSuccess }],
    });
  }
  return render(families, { inputs });
}

/** Replaces the metrics file in one rename, so the collector never reads half of it. */
export async function writeMetrics(target: MetricsFile, stats: RunStats, exitCode: number, endedAt: number): Promise<void> {
  const lastSuccess = isSuccess(exitCode) ? endedAt / 1000 : await previousSuccess(target.file);
  const sink = await fileSink(target.file);
  try {
    await sink.write(formatMetrics(stats, exitCode, endedAt, lastSuccess, target.inputs));
    await sink.commit();
  } catch (error) {
    await sink.discard();
    throw error;
  }
}
