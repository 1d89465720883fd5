// `cache merge`: folds the caches of other machines (catalog --shard i/n on
// each) into this one, so a run here finds every answer any of them paid for.
// The other caches are only read, each from one consistent snapshot.
import type Database from 'better-sqlite3';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { sameFile } from '../support/same-file.js';
import { openReadOnly } from './existing.js';
import { SCHEMA_VERSION } from './open.js';
import { writeTransaction, type Checkpoint } from './write-transaction.js';

type DB = Database.Database;

export interface MergeCounts {
  jobs: { added: number };
  results: { added: number; replaced: number; kept: number };
  images: { added: number };
  /** Rendered pages of documents (their answers come with the results). */
  pages: { added: number };
  /** Documents and pages remembered as failed for a reason of their own. */
  failures: { added: number; replaced: number };
  files: { added: number; updated: number; kept: number };
  runs: { added: number; known: number };
  /** Image files' content identities (which file hashes are one image). */
  contents: { added: number };
  /** A person's decisions: the later one of two for the same image and job wins. */
  reviews: { added: number; replaced: number; kept: number };
}

export interface MergeReport extends MergeCounts {
  sources: ({ file: string } & MergeCounts)[];
}

interface ResultRow {
  sha256: string; job: string; status: string; output: string; prompt: string; model: string;
  tokens_in: number | null; tokens_out: number | null; latency_ms: number | null; created_at: number;
}
interface FileRow { path: string; size: number; mtime_ms: number; ino: number; sha256: string; seen_at: number }
interface ImageRow { sha256: string; bytes: number; width: number | null; height: number | null; format: string | null }
interface RunRow {
  started_at: number; ended_at: number | null; args: string; job: string | null; total: number | null;
  ok: number | null; cached: number | null; failed: number | null; exit_code: number | null;
}

const rank = (status: string): number => (status === 'ok' ? 1 : 0);

/**
 * Of two answers for one (image, job), the one to keep: a complete answer over a truncated one, then
 * the newer; on a tie the one already here, so merging the same cache twice changes nothing.
 */
function incomingWins(
  here: { status: string; created_at: number },
  incoming: { status: string; created_at: number },
): boolean {
  if (rank(incoming.status) !== rank(here.status)) return rank(incoming.status) > rank(here.status);
  return incoming.created_at > here.created_at;
}

function emptyCounts(): MergeCounts {
  return {
    jobs: { added: 0 },
    results: { added: 0, replaced: 0, kept: 0 },
    images: { added: 0 },
    pages: { added: 0 },
    failures: { added: 0, replaced: 0 },
    files: { added: 0, updated: 0, kept: 0 },
    runs: { added: 0, known: 0 },
    contents: { added: 0 },
    reviews: { added: 0, replaced: 0, kept: 0 },
  };
}


/** Opens every source read-only and checks it, before the target is touched. */
export function openSources(targetFile: string, sources: readonly string[]): { file: string; db: DB }[] {
  const opened: { file: string; db: DB }[] = [];
  try {
    for (const file of sources) {
      if (sameFile(file, targetFile)) throw new UsageError(t('cache:merge.itself', { file }));
      const { db, probe } = openReadOnly(file, 'merge');
      opened.push({ file, db });
      if (probe.version < SCHEMA_VERSION) {
        throw new UsageError(t('cache:merge.older', { file, version: probe.version, known: SCHEMA_VERSION }));
      }
    }
  } catch (error) {
    for (const s of opened) s.db.close();
    throw error;
  }
  return opened;
}

interface FailureRow { sha256: string; key: string; page: number; error: string; created_at: number }

interface ReviewRow {
  content: string; job: string; decision: string; output: string | null; model_output: string; reviewer: string;
  reviewed_at: number; revision: number; path: string | null; sha256: string | null;
}

interface PageRow {
  sha256: string; render: string; page: number; pixels: string; with_text: string; width: number; height: number;
}

async function mergeOne(target: DB, source: DB, counts: MergeCounts, checkpoint: Checkpoint): Promise<void> {
  const q = {
    jobAdd: target.prepare('INSERT OR IGNORE INTO jobs (fingerprint, spec, created_at) VALUES (?, ?, ?)'),
    jobEarlier: target.prepare('UPDATE jobs SET created_at = ? WHERE fingerprint = ? AND created_at > ?'),
    imageAdd: target.prepare('INSERT OR IGNORE INTO images (sha256, bytes, width, height, format) VALUES (?, ?, ?, ?, ?)'),
    imageFill: target.prepare(
      'UPDATE images SET width = coalesce(width, ?), height = coalesce(height, ?), format = coalesce(format, ?) WHERE sha256 = ?',
    ),
    resultGet: target.prepare('SELECT status, created_at FROM results WHERE sha256 = ? AND job = ?'),
    resultPut: target.prepare(
      `INSERT OR REPLACE INTO results (sha256, job, status, output, prompt, model, tokens_in, tokens_out, latency_ms, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    fileGet: target.prepare('SELECT seen_at FROM files WHERE path = ?'),
    filePut: target.prepare(
      'INSERT OR REPLACE INTO files (path, size, mtime_ms, ino, sha256, seen_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    documentAdd: target.prepare('INSERT OR IGNORE INTO documents (sha256, pages) VALUES (?, ?)'),
    pageAdd: target.prepare(
      'INSERT OR IGNORE INTO pages (sha256, render, page, pixels, with_text, width, height) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    failureGet: target.prepare('SELECT created_at FROM failures WHERE sha256 = ? AND key = ? AND page = ?').pluck(),
    failurePut: target.prepare('INSERT OR REPLACE INTO failures (sha256, key, page, error, created_at) VALUES (?, ?, ?, ?, ?)'),
    contentAdd: target.prepare('INSERT OR IGNORE INTO contents (sha256, content) VALUES (?, ?)'),
    contentOf: target.prepare('SELECT content FROM contents WHERE sha256 = ?').pluck(),
    reviewGet: target.prepare('SELECT reviewed_at, revision FROM reviews WHERE content = ? AND job = ?'),
    reviewPut: target.prepare(
      `INSERT OR REPLACE INTO reviews (content, job, decision, output, model_output, reviewer, reviewed_at, revision, path, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    runAdd: target.prepare(
      `INSERT INTO runs (started_at, ended_at, args, job, total, ok, cached, failed, exit_code)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };

  for (const j of source.prepare('SELECT fingerprint, spec, created_at FROM jobs').iterate() as IterableIterator<
    { fingerprint: string; spec: string; created_at: number }
  >) {
    if (q.jobAdd.run(j.fingerprint, j.spec, j.created_at).changes > 0) counts.jobs.added++;
    else q.jobEarlier.run(j.created_at, j.fingerprint, j.created_at);
    await checkpoint();
  }

  for (const i of source.prepare('SELECT sha256, bytes, width, height, format FROM images').iterate() as IterableIterator<ImageRow>) {
    if (q.imageAdd.run(i.sha256, i.bytes, i.width, i.height, i.format).changes > 0) counts.images.added++;
    else q.imageFill.run(i.width, i.height, i.format, i.sha256);
    await checkpoint();
  }

  // Only answers whose job came along (the source's own foreign key makes that all of them).
  const results = source.prepare(
    `SELECT sha256, job, status, output, prompt, model, tokens_in, tokens_out, latency_ms, created_at
       FROM results WHERE job IN (SELECT fingerprint FROM jobs)`,
  ).iterate() as IterableIterator<ResultRow>;
  for (const r of results) {
    const here = q.resultGet.get(r.sha256, r.job) as { status: string; created_at: number } | undefined;
    if (!here || incomingWins(here, r)) {
      q.resultPut.run(r.sha256, r.job, r.status, r.output, r.prompt, r.model, r.tokens_in, r.tokens_out, r.latency_ms, r.created_at);
      if (here) counts.results.replaced++;
      else counts.results.added++;
    } else {
      counts.results.kept++;
    }
    await checkpoint();
  }

  for (const f of source.prepare('SELECT path, size, mtime_ms, ino, sha256, seen_at FROM files').iterate() as IterableIterator<FileRow>) {
    const here = q.fileGet.get(f.path) as { seen_at: number } | undefined;
    if (!here || f.seen_at > here.seen_at) {
      q.filePut.run(f.path, f.size, f.mtime_ms, f.ino, f.sha256, f.seen_at);
      if (here) counts.files.updated++;
      else counts.files.added++;
    } else {
      counts.files.kept++;
    }
    await checkpoint();
  }

  for (const d of source.prepare('SELECT sha256, pages FROM documents').iterate() as IterableIterator<{ sha256: string; pages: number }>) {
    q.documentAdd.run(d.sha256, d.pages);
    await checkpoint();
  }
  for (const p of source.prepare('SELECT sha256, render, page, pixels, with_text, width, height FROM pages').iterate() as IterableIterator<PageRow>) {
    if (q.pageAdd.run(p.sha256, p.render, p.page, p.pixels, p.with_text, p.width, p.height).changes > 0) counts.pages.added++;
    await checkpoint();
  }

  // The newer of two failures of the same page: its message is the later glm-vision's.
  for (const f of source.prepare('SELECT sha256, key, page, error, created_at FROM failures').iterate() as IterableIterator<FailureRow>) {
    const here = q.failureGet.get(f.sha256, f.key, f.page) as number | undefined;
    if (here === undefined || f.created_at > here) {
      q.failurePut.run(f.sha256, f.key, f.page, f.error, f.created_at);
      if (here === undefined) counts.failures.added++;
      else counts.failures.replaced++;
    }
    await checkpoint();
  }

  // Content identities before reviews: a review the source keyed by a file hash is filed under the
  // image's identity where either side knows it (the reviews_follow_content trigger moves the
  // target's own such reviews as the identities arrive).
  for (const c of source.prepare('SELECT sha256, content FROM contents').iterate() as IterableIterator<{ sha256: string; content: string }>) {
    if (q.contentAdd.run(c.sha256, c.content).changes > 0) counts.contents.added++;
    await checkpoint();
  }

  // Of two decisions on the same image and job, the later one; on a tie the one already here. A
  // replaced review's revision moves on, so a review page open on the old one is told.
  for (const r of source.prepare(
    'SELECT content, job, decision, output, model_output, reviewer, reviewed_at, revision, path, sha256 FROM reviews',
  ).iterate() as IterableIterator<ReviewRow>) {
    const key = (q.contentOf.get(r.content) as string | undefined) ?? r.content;
    const here = q.reviewGet.get(key, r.job) as { reviewed_at: number; revision: number } | undefined;
    if (here && r.reviewed_at <= here.reviewed_at) {
      counts.reviews.kept++;
    } else {
      const revision = here ? Math.max(here.revision, r.revision) + 1 : r.revision;
      q.reviewPut.run(key, r.job, r.decision, r.output, r.model_output, r.reviewer, r.reviewed_at, revision, r.path, r.sha256);
      if (here) counts.reviews.replaced++;
      else counts.reviews.added++;
    }
    await checkpoint();
  }

  // Runs have no natural key but their start, command line and job: a run seen before is not copied again.
  const key = (r: { started_at: number; args: string; job: string | null }): string => `${r.started_at}\0${r.job ?? ''}\0${r.args}`;
  const known = new Set((target.prepare('SELECT started_at, args, job FROM runs').all() as RunRow[]).map(key));
  for (const r of source.prepare(
    'SELECT started_at, ended_at, args, job, total, ok, cached, failed, exit_code FROM runs ORDER BY started_at, id',
  ).iterate() as IterableIterator<RunRow>) {
    if (known.has(key(r))) {
      counts.runs.known++;
    } else {
      q.runAdd.run(r.started_at, r.ended_at, r.args, r.job, r.total, r.ok, r.cached, r.failed, r.exit_code);
      known.add(key(r));
      counts.runs.added++;
    }
    await checkpoint();
  }
  // Answers that came without their image's identity get one on a later run (identity-backfill.ts).
  target.prepare(
    `INSERT OR IGNORE INTO settings (key, value) SELECT 'identify_answered', '1'
      WHERE EXISTS (SELECT 1 FROM path_answers pa WHERE NOT EXISTS (SELECT 1 FROM contents c WHERE c.sha256 = pa.sha256))`,
  ).run();
}

function add(total: MergeCounts, part: MergeCounts): void {
  for (const [table, fields] of Object.entries(part) as [keyof MergeCounts, Record<string, number>][]) {
    const sum = total[table] as Record<string, number>;
    for (const [k, v] of Object.entries(fields)) sum[k] = (sum[k] ?? 0) + v;
  }
}

/** Merges the opened sources into `target` in one transaction; the caller closes them. */
export async function mergeCaches(
  target: DB,
  targetFile: string,
  sources: { file: string; db: DB }[],
  options: { signal: AbortSignal },
): Promise<MergeReport> {
  return writeTransaction(target, targetFile, { signal: options.signal, commit: true }, async (checkpoint) => {
    const report: MergeReport = { ...emptyCounts(), sources: [] };
    for (const { file, db } of sources) {
      const counts = emptyCounts();
      // One snapshot of the source, even while a run is still writing to it.
      db.exec('BEGIN');
      try {
        await mergeOne(target, db, counts, checkpoint);
      } finally {
        db.exec('COMMIT');
      }
      add(report, counts);
      report.sources.push({ file, ...counts });
    }
    return report;
  });
}
