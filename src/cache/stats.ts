// `cache stats`: what a cache holds, per job, model and status, and its recent runs.
import type Database from 'better-sqlite3';
import { fileSize } from '../support/words.js';
import { formatDuration } from '../pipeline/progress-format.js';
import { hasTable } from './existing.js';
import { footprint, type Footprint } from './footprint.js';
import { t, type MessageKey } from '../i18n/index.js';
import { table } from '../support/text-table.js';
import { displayWidth } from '../support/text-width.js';
import { loadJobs, shortFingerprint, type JobSummary } from './jobs.js';

export interface ResultGroup {
  job: string;
  prompt: string | null;
  backend: string | null;
  model: string;
  status: string;
  count: number;
  oldest: string;
  newest: string;
}

export interface RunSummary {
  id: number;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  total: number | null;
  ok: number | null;
  cached: number | null;
  failed: number | null;
  job: string | null;
  args: unknown;
}

/** A job as `stats --json` shows it: the summary's fields, then snake_case figures. */
export type JobStats = Pick<JobSummary, 'fingerprint' | 'prompt' | 'backend' | 'variant' | 'model' | 'variables'> & {
  structured: boolean;
  max_tokens: number | null;
  max_pixels: number | null;
  created_at: string;
  last_run_at: string | null;
  results: number;
};

export interface CacheStats {
  path: string;
  size: Footprint;
  schema_version: number;
  files: number;
  images: number;
  /** Documents and pages remembered as failed for a reason of their own (catalog --retry-failed tries them again). */
  failures: number;
  jobs: number;
  results: number;
  results_by_status: Record<string, number>;
  /** A person's decisions on answers, by decision. */
  reviews: { total: number; accepted: number; edited: number; rejected: number };
  oldest_result: string | null;
  newest_result: string | null;
  /** Results grouped by job × model × status, most results first. */
  groups: ResultGroup[];
  job_specs: JobStats[];
  runs_total: number;
  /** The most recent runs, newest first. */
  runs: RunSummary[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function cacheStats(db: Database.Database, file: string, lastRuns: number): CacheStats {
  const count = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  // One read transaction: every number describes the same moment, even while a run writes.
  return db.transaction(() => {
    const jobs = loadJobs(db);
    const grouped = db.prepare(
      `SELECT job, model, status, count(*) AS n, min(created_at) AS oldest, max(created_at) AS newest
         FROM results GROUP BY job, model, status ORDER BY n DESC, job, model, status`,
    ).all() as { job: string; model: string; status: string; n: number; oldest: number; newest: number }[];
    const lastRun = new Map(
      (db.prepare('SELECT job, max(started_at) AS at FROM runs WHERE job IS NOT NULL GROUP BY job').all() as { job: string; at: number }[])
        .map((r) => [r.job, r.at]),
    );
    const runs = db.prepare(
      'SELECT id, started_at, ended_at, exit_code, total, ok, cached, failed, job, args FROM runs ORDER BY started_at DESC, id DESC LIMIT ?',
    ).all(lastRuns) as {
      id: number; started_at: number; ended_at: number | null; exit_code: number | null; total: number | null;
      ok: number | null; cached: number | null; failed: number | null; job: string | null; args: string;
    }[];

    const reviews = { total: 0, accepted: 0, edited: 0, rejected: 0 };
    const decisions = hasTable(db, 'reviews') ? db.prepare('SELECT decision, count(*) AS n FROM reviews GROUP BY decision').all() : [];
    for (const r of decisions as { decision: keyof typeof reviews; n: number }[]) {
      reviews[r.decision] = r.n;
      reviews.total += r.n;
    }
    const byStatus: Record<string, number> = {};
    const perJob = new Map<string, number>();
    for (const g of grouped) {
      byStatus[g.status] = (byStatus[g.status] ?? 0) + g.n;
      perJob.set(g.job, (perJob.get(g.job) ?? 0) + g.n);
    }
    return {
      path: file,
      size: footprint(file),
      schema_version: db.pragma('user_version', { simple: true }) as number,
      files: count('files'),
      images: count('images'),
      failures: count('failures'),
      jobs: jobs.size,
      results: grouped.reduce((sum, g) => sum + g.n, 0),
      results_by_status: byStatus,
      reviews,
      oldest_result: grouped.length ? iso(Math.min(...grouped.map((g) => g.oldest))) : null,
      newest_result: grouped.length ? iso(Math.max(...grouped.map((g) => g.newest))) : null,
      groups: grouped.map((g) => ({
        job: g.job, prompt: jobs.get(g.job)?.prompt ?? null, backend: jobs.get(g.job)?.backend ?? null,
        model: g.model, status: g.status, count: g.n, oldest: iso(g.oldest), newest: iso(g.newest),
      })),
      job_specs: [...jobs.values()]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((j: JobSummary): JobStats => ({
          fingerprint: j.fingerprint, prompt: j.prompt, backend: j.backend, variant: j.variant, model: j.model,
          variables: j.variables, structured: j.schema !== null, max_tokens: j.maxTokens, max_pixels: j.maxPixels,
          created_at: iso(j.createdAt), last_run_at: isoOrNull(lastRun.get(j.fingerprint) ?? null),
          results: perJob.get(j.fingerprint) ?? 0,
        })),
      runs_total: count('runs'),
      runs: runs.map((r) => ({ ...r, started_at: iso(r.started_at), ended_at: isoOrNull(r.ended_at), args: parseArgs(r.args) })),
    };
  })();
}

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** "2024-06-01 12:03Z": minutes are enough for people, and cron logs from several machines agree. */
const when = (isoText: string | null): string => (isoText === null ? '-' : `${isoText.slice(0, 10)} ${isoText.slice(11, 16)}Z`);


function duration(startIso: string, endIso: string | null): string {
  if (endIso === null) return t('cache:stats.unfinished');
  return formatDuration((Date.parse(endIso) - Date.parse(startIso)) / 1000);
}

/** The summary's "Label    value" lines, labels padded to the widest (Chinese ones are two columns a character). */
function labelled(lines: [string, string][]): string[] {
  const width = Math.max(...lines.map(([label]) => displayWidth(label)));
  return lines.map(([label, value]) => `${label}${' '.repeat(width - displayWidth(label) + 1)}${value}`);
}

function resultsLine(stats: CacheStats): string {
  const statuses = Object.entries(stats.results_by_status).map(([status, count]) => t('cache:stats.statusCount', { status, count }));
  const values = { count: stats.results, statuses: statuses.join(t('cache:list.separator')), from: when(stats.oldest_result), to: when(stats.newest_result) };
  if (statuses.length === 0) return String(stats.results);
  return t(stats.oldest_result ? 'cache:stats.resultsRange' : 'cache:stats.resultsByStatus', values);
}

export function renderStats(stats: CacheStats): string {
  const { size, reviews } = stats;
  const out = labelled([
    [t('cache:stats.label.cache'), stats.path],
    [t('cache:stats.label.size'), t('cache:stats.size', { total: fileSize(size.total), db: fileSize(size.db), wal: fileSize(size.wal), shm: fileSize(size.shm) })],
    [t('cache:stats.label.schema'), String(stats.schema_version)],
    [t('cache:stats.label.files'), t('cache:stats.files', { count: stats.files })],
    [t('cache:stats.label.images'), String(stats.images)],
    [t('cache:stats.label.failures'), t('cache:stats.failures', { count: stats.failures })],
    [t('cache:stats.label.results'), resultsLine(stats)],
    [t('cache:stats.label.reviews'), reviews.total ? t('cache:stats.reviews', { ...reviews }) : String(reviews.total)],
    [t('cache:stats.label.jobs'), String(stats.jobs)],
  ]);
  if (stats.groups.length > 0) {
    out.push('', t('cache:stats.groupsTitle'));
    out.push(...table(
      headings('job', 'prompt', 'backend', 'model', 'status', 'results', 'oldest', 'newest'),
      stats.groups.map((g) => [
        shortFingerprint(g.job), g.prompt ?? '?', g.backend ?? '?', g.model, g.status, String(g.count), when(g.oldest), when(g.newest),
      ]),
      new Set([5]),
    ));
  }
  if (stats.job_specs.length > 0) {
    out.push('', t('cache:stats.jobsTitle'));
    out.push(...table(
      headings('job', 'prompt', 'backend', 'settings', 'results', 'lastRun'),
      stats.job_specs.map((j) => {
        const settings = [
          ...Object.entries(j.variables).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
          j.max_tokens === null ? '' : `max_tokens=${j.max_tokens}`,
          j.max_pixels === null ? '' : `max_pixels=${j.max_pixels}`,
        ].filter(Boolean).join(' ');
        const backend = [j.backend ?? '?', j.variant, j.backend === 'openai' ? j.model : null].filter(Boolean).join(' ');
        return [shortFingerprint(j.fingerprint), j.prompt ?? '?', backend, settings || '-', String(j.results), when(j.last_run_at)];
      }),
      new Set([4]),
    ));
  }
  if (stats.runs.length > 0) {
    out.push('', t('cache:stats.runsTitle', { shown: stats.runs.length, total: stats.runs_total }));
    const n = (v: number | null): string => (v === null ? '-' : String(v));
    out.push(...table(
      headings('id', 'started', 'duration', 'exit', 'total', 'ok', 'cached', 'failed', 'job'),
      stats.runs.map((r) => [
        String(r.id), when(r.started_at), duration(r.started_at, r.ended_at), n(r.exit_code),
        n(r.total), n(r.ok), n(r.cached), n(r.failed), r.job ? shortFingerprint(r.job) : '-',
      ]),
      new Set([0, 3, 4, 5, 6, 7]),
    ));
  }
  return `${out.join('\n')}\n`;
}

const HEADINGS = {
  job: 'cache:stats.column.job', prompt: 'cache:stats.column.prompt', backend: 'cache:stats.column.backend',
  model: 'cache:stats.column.model', status: 'cache:stats.column.status', results: 'cache:stats.column.results',
  oldest: 'cache:stats.column.oldest', newest: 'cache:stats.column.newest', settings: 'cache:stats.column.settings',
  lastRun: 'cache:stats.column.lastRun', id: 'cache:stats.column.id', started: 'cache:stats.column.started',
  duration: 'cache:stats.column.duration', exit: 'cache:stats.column.exit', total: 'cache:stats.column.total',
  ok: 'cache:stats.column.ok', cached: 'cache:stats.column.cached', failed: 'cache:stats.column.failed',
} as const satisfies Record<string, MessageKey>;

const headings = (...columns: (keyof typeof HEADINGS)[]): string[] => columns.map((c) => t(HEADINGS[c]));
