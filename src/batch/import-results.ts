// batch import: result lines into the cache. Every line is judged before anything is stored, and
// a line that is garbage, names no request of ours, or shares its custom_id with another line
// stores nothing. Answers already in the cache are left as they are (skipped).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type Database from 'better-sqlite3';
import { loadJobs } from '../cache/jobs.js';
import { CacheStore } from '../cache/store.js';
import { compileValidator } from '../pipeline/parse.js';
import { customIdOf, judgeLine, type ResultJob } from './result-line.js';
import { t } from '../i18n/index.js';

/** Result lines from somewhere: a file, or a file a batch service holds. */
export interface ResultSource {
  /** For messages: file:line. */
  label: string;
  lines(): AsyncIterable<string>;
}

export interface ImportReport {
  stored: number;
  /** Of those stored, cut off at max_tokens: stored as the online run stores them (status truncated). */
  truncated: string[];
  /** Lines that stored nothing: `file:line: why`. */
  problems: string[];
  /** Answers the cache had already. */
  skipped: number;
}

export function fileSource(file: string, label = file): ResultSource {
  return {
    label,
    lines: () => createInterface({ input: createReadStream(file), crlfDelay: Infinity }),
  };
}

export function textSource(text: string, label: string): ResultSource {
  return {
    label,
    async *lines() {
      yield* text.split('\n');
    },
  };
}

/** Writes are grouped: one transaction per this many answers. */
const CHUNK = 1000;

function jobLookup(db: Database.Database): (job: string) => ResultJob | undefined {
  const jobs = loadJobs(db);
  const ready = new Map<string, ResultJob>();
  return (fingerprint) => {
    const known = ready.get(fingerprint);
    if (known) return known;
    const job = jobs.get(fingerprint);
    if (!job || job.backend !== 'openai' || job.model === null || job.prompt === null || job.maxTokens === null) return undefined;
    const made = { prompt: job.prompt, model: job.model, maxTokens: job.maxTokens, validate: job.schema ? compileValidator(job.schema) : undefined };
    ready.set(fingerprint, made);
    return made;
  };
}

export async function importResults(sources: readonly ResultSource[], db: Database.Database): Promise<ImportReport> {
  // First pass: where each custom_id is, so that every copy of a duplicate is known before any is stored.
  const seen = new Map<string, string[]>();
  for (const source of sources) {
    let n = 0;
    for await (const text of source.lines()) {
      n++;
      const id = customIdOf(text);
      if (id !== undefined) seen.set(id, [...(seen.get(id) ?? []), `${source.label}:${n}`]);
    }
  }
  const store = new CacheStore(db);
  const jobOf = jobLookup(db);
  const report: ImportReport = { stored: 0, truncated: [], problems: [], skipped: 0 };
  let batch: (() => void)[] = [];
  const flush = (): void => {
    const writes = batch;
    batch = [];
    db.transaction(() => writes.forEach((w) => w())).immediate();
  };
  for (const source of sources) {
    let n = 0;
    for await (const text of source.lines()) {
      n++;
      if (text.trim() === '') continue;
      const where = `${source.label}:${n}`;
      const judged = judgeLine(text, jobOf);
      const id = judged.kind === 'garbage' ? undefined : judged.customId;
      const copies = id === undefined ? [] : (seen.get(id) ?? []);
      if (copies.length > 1) {
        report.problems.push(t('batch:line.duplicate', { where, id, others: copies.filter((c) => c !== where).join(', ') }));
        continue;
      }
      if (judged.kind === 'garbage') report.problems.push(t('batch:line.problem', { where, why: judged.why }));
      else if (judged.kind === 'unknown') report.problems.push(t('batch:line.unknown', { where, id: judged.customId, why: judged.why }));
      else if (judged.kind === 'failed') report.problems.push(t('batch:line.failed', { where, id: judged.customId, why: judged.why }));
      else if (store.result(judged.key, judged.job)) report.skipped++;
      else {
        const { key, job, answer } = judged;
        batch.push(() => store.saveResult(key, job, answer));
        report.stored++;
        if (answer.status === 'truncated') report.truncated.push(t('batch:line.truncated', { where, id: judged.customId }));
        if (batch.length >= CHUNK) flush();
      }
    }
  }
  if (batch.length > 0) flush();
  return report;
}
