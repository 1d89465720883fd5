// Jobs as people name them: the prompt, backend and model a fingerprint stands
// for (read from jobs.spec), and fingerprints given by a prefix on the command line.
import type Database from 'better-sqlite3';
import type { JsonSchema } from '../backends/backend.js';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';

/** The parts of a job spec (see fingerprint.ts) that tell jobs apart at a glance. */
export interface JobSummary {
  fingerprint: string;
  prompt: string | null;
  backend: string | null;
  /** The server flavour (openai) or graph dtype (onnx). */
  variant: string | null;
  /** The model the job asked for (openai: its name; onnx: a digest of its files). results.model is what answered. */
  model: string | null;
  variables: Record<string, string>;
  /** The template's JSON schema, for structured jobs: their outputs are JSON text. */
  schema: JsonSchema | null;
  maxTokens: number | null;
  maxPixels: number | null;
  createdAt: number;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

function summarizeJob(fingerprint: string, specText: string, createdAt: number): JobSummary {
  let spec: Record<string, unknown> = {};
  try {
    spec = obj(JSON.parse(specText));
  } catch {
    // A spec we cannot read still has a fingerprint and results.
  }
  const backend = obj(spec.backend);
  const variables: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(spec.variables))) if (typeof v === 'string') variables[k] = v;
  return {
    fingerprint,
    prompt: str(obj(spec.template).name),
    backend: str(backend.backend),
    variant: str(backend.flavor) ?? str(backend.dtype),
    model: str(backend.model),
    variables,
    schema: spec.schema && typeof spec.schema === 'object' ? (spec.schema as JsonSchema) : null,
    maxTokens: num(obj(spec.generation).maxTokens),
    maxPixels: num(obj(spec.preprocess).maxPixels),
    createdAt,
  };
}

export function loadJobs(db: Database.Database): Map<string, JobSummary> {
  const rows = db.prepare('SELECT fingerprint, spec, created_at FROM jobs').all() as
    { fingerprint: string; spec: string; created_at: number }[];
  return new Map(rows.map((r) => [r.fingerprint, summarizeJob(r.fingerprint, r.spec, r.created_at)]));
}

/** Fingerprints shown to people: long enough to be unique in any real cache. */
export const shortFingerprint = (fp: string): string => fp.slice(0, 12);

/** Each --job value must name exactly one job by a fingerprint prefix. */
export function resolveJobs(jobs: ReadonlyMap<string, JobSummary>, prefixes: readonly string[], file: string): string[] {
  return prefixes.map((prefix) => {
    const wanted = prefix.trim().toLowerCase();
    if (!/^[0-9a-f]{4,}$/.test(wanted)) {
      throw new UsageError(t('cache:jobs.expected', { value: JSON.stringify(prefix) }));
    }
    const matches = [...jobs.keys()].filter((fp) => fp.startsWith(wanted));
    if (matches.length === 0) throw new UsageError(t('cache:jobs.none', { job: JSON.stringify(prefix), file }));
    if (matches.length > 1) {
      throw new UsageError(t('cache:jobs.ambiguous', { job: JSON.stringify(prefix), count: matches.length, file, jobs: matches.map(shortFingerprint).join(', ') }));
    }
    return matches[0] as string;
  });
}

/**
 * The job a local-model run with these settings last used: the newest job whose spec is `spec` but
 * for its onnx backend (whose fingerprint needs the model loaded). For catalog --dry-run.
 */
export function lastLocalJob(db: Database.Database, sameButBackend: (spec: Record<string, unknown>) => boolean): string | undefined {
  const rows = db.prepare(
    `SELECT j.fingerprint, j.spec FROM jobs j LEFT JOIN runs r ON r.job = j.fingerprint
     GROUP BY j.fingerprint ORDER BY max(coalesce(r.started_at, j.created_at)) DESC`,
  ).all() as { fingerprint: string; spec: string }[];
  for (const row of rows) {
    let spec: Record<string, unknown>;
    try {
      spec = obj(JSON.parse(row.spec));
    } catch {
      continue;
    }
    if (obj(spec.backend).backend === 'onnx' && sameButBackend(spec)) return row.fingerprint;
  }
  return undefined;
}
