// `cache export`: every cached answer as one JSON line, streamed from one read
// snapshot, so a 100,000-row cache never sits in memory as a whole.
import type Database from 'better-sqlite3';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ValidateFunction } from 'ajv';
import type { Sink } from '../emit/sink.js';
import { compileValidator, parseJsonAnswer } from '../pipeline/parse.js';
import { hasTable } from './existing.js';
import { loadJobs, type JobSummary } from './jobs.js';
import { reviewApplies, type Decision } from './reviews.js';

export interface ExportFilter {
  /** Full fingerprints; empty means every job. */
  jobs: string[];
  /** Matches the model that answered (results.model) or the one the job asked for. */
  models: string[];
}

/** One exported line; the field order is the order in the file. */
export interface ExportRecord {
  sha256: string;
  paths: string[];
  /** For a page of a document: the indexed files and page numbers it is. */
  pages: { path: string; page: number }[];
  job: string;
  prompt: string;
  model: string;
  status: string;
  output: unknown;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
  created_at: string;
  bytes: number | null;
  width: number | null;
  height: number | null;
  format: string | null;
  backend: string | null;
  requested_model: string | null;
  variables: Record<string, string>;
  /** The image's content identity (image files whose metadata may change), or null. */
  content: string | null;
  /** A person's decision on this image's answer under the job, or null. */
  review: ExportReview | null;
}

export interface ExportReview {
  decision: string;
  reviewer: string;
  reviewed_at: string;
  /** An edit, as the catalog shows it (an object for json prompts); null unless edited. */
  output: unknown;
  /** The answer the decision was made on. */
  model_output: unknown;
  /** Whether the catalog applies it to this answer: an edit always, another decision only on the answer it was made on. */
  applies: boolean;
}

interface Row {
  sha256: string; job: string; status: string; output: string; prompt: string; model: string;
  tokens_in: number | null; tokens_out: number | null; latency_ms: number | null; created_at: number;
  bytes: number | null; width: number | null; height: number | null; format: string | null; paths: string; pages: string;
  content: string | null; decision: string | null; edit: string | null; decided_on: string | null; reviewer: string | null; reviewed_at: number | null;
}

/**
 * Structured answers are stored as the model's text; they come out as the catalog shows them (an
 * object), except one that was cut off or does not parse, which stays text rather than becoming null.
 */
function outputReader(jobs: ReadonlyMap<string, JobSummary>): (text: string, job: string) => unknown {
  const validators = new Map<string, ValidateFunction | undefined>();
  return (text, job) => {
    if (!validators.has(job)) {
      const schema = jobs.get(job)?.schema;
      validators.set(job, schema ? compileValidator(schema) : undefined);
    }
    const validate = validators.get(job);
    if (!validate) return text;
    try {
      return parseJsonAnswer(text, validate);
    } catch {
      return text;
    }
  };
}

/** Writes the matching results to `sink`; resolves to the number of lines. */
export async function exportResults(db: Database.Database, sink: Sink, filter: ExportFilter): Promise<number> {
  const jobs = loadJobs(db);
  const output = outputReader(jobs);
  const where: string[] = [];
  const params: string[] = [];
  if (filter.jobs.length > 0) {
    where.push(`r.job IN (${filter.jobs.map(() => '?').join(', ')})`);
    params.push(...filter.jobs);
  }
  if (filter.models.length > 0) {
    const asked = [...jobs.values()].filter((j) => j.model !== null && filter.models.includes(j.model)).map((j) => j.fingerprint);
    where.push(`(r.model IN (${filter.models.map(() => '?').join(', ')})${asked.length ? ` OR r.job IN (${asked.map(() => '?').join(', ')})` : ''})`);
    params.push(...filter.models, ...asked);
  }
  // A cache the read-only tools open may predate content identities and reviews.
  const reviewed = hasTable(db, 'reviews');
  const reviewColumns = reviewed
    ? 'c.content, v.decision, v.output AS edit, v.model_output AS decided_on, v.reviewer, v.reviewed_at'
    : 'NULL AS content, NULL AS decision, NULL AS edit, NULL AS decided_on, NULL AS reviewer, NULL AS reviewed_at';
  const reviewJoins = reviewed
    ? `LEFT JOIN contents c ON c.sha256 = r.sha256
       LEFT JOIN reviews v ON v.content = coalesce(c.content, r.sha256) AND v.job = r.job`
    : '';
  const rows = db.prepare(
    `SELECT r.sha256, r.job, r.status, r.output, r.prompt, r.model, r.tokens_in, r.tokens_out, r.latency_ms, r.created_at,
            i.bytes, i.width, i.height, i.format, ${reviewColumns},
            json_group_array(f.path) FILTER (WHERE f.path IS NOT NULL) AS paths,
            (SELECT json_group_array(json_object('path', pf.path, 'page', p.page))
               FROM (SELECT sha256, page FROM pages WHERE pixels = r.sha256
                     UNION SELECT sha256, page FROM pages WHERE with_text = r.sha256) p
               JOIN files pf ON pf.sha256 = p.sha256) AS pages
       FROM results r
       LEFT JOIN images i ON i.sha256 = r.sha256
       LEFT JOIN files f ON f.sha256 = r.sha256
       ${reviewJoins}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY r.sha256, r.job
      ORDER BY r.sha256, r.job`,
  ).iterate(...params) as IterableIterator<Row>;

  let count = 0;
  let batch = '';
  try {
    for (const row of rows) {
      const job = jobs.get(row.job);
      const record: ExportRecord = {
        sha256: row.sha256,
        paths: (JSON.parse(row.paths) as string[]).sort(),
        pages: (JSON.parse(row.pages) as ExportRecord['pages']).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.page - b.page)),
        job: row.job,
        prompt: row.prompt,
        model: row.model,
        status: row.status,
        output: output(row.output, row.job),
        tokens_in: row.tokens_in,
        tokens_out: row.tokens_out,
        latency_ms: row.latency_ms,
        created_at: new Date(row.created_at).toISOString(),
        bytes: row.bytes,
        width: row.width,
        height: row.height,
        format: row.format,
        backend: job?.backend ?? null,
        requested_model: job?.model ?? null,
        variables: job?.variables ?? {},
        content: row.content,
        review: row.decision === null ? null : {
          decision: row.decision,
          reviewer: row.reviewer ?? '',
          reviewed_at: new Date(row.reviewed_at ?? 0).toISOString(),
          output: row.edit === null ? null : output(row.edit, row.job),
          model_output: output(row.decided_on ?? '', row.job),
          applies: reviewApplies({ decision: row.decision as Decision, modelOutput: row.decided_on ?? '' }, row.output),
        },
      };
      batch += `${JSON.stringify(record)}\n`;
      count++;
      if (batch.length >= 1 << 16) {
        await sink.write(batch);
        batch = '';
        // Lets a closed pipe or a signal be noticed between batches.
        await yieldToLoop();
      }
    }
    if (batch) await sink.write(batch);
  } finally {
    // Ends the read snapshot when a write fails half way.
    (rows as { return?: () => unknown }).return?.();
  }
  return count;
}
