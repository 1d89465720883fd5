// Typed access to the cache tables. Every write commits at once, so a killed
// run loses only what was in flight.
import type Database from 'better-sqlite3';

export interface ImageInfo {
  bytes: number;
  width: number | null;
  height: number | null;
  format: string | null;
}

export interface CachedResult {
  status: 'ok' | 'truncated';
  /** Text answer, or JSON text of the structured answer. */
  output: string;
  prompt: string;
  model: string;
  tokensIn: number | null;
  tokensOut: number | null;
  latencyMs: number | null;
}

/** A cached answer found through the file index, with the image's facts. */
export interface CacheHit {
  sha256: string;
  result: CachedResult;
  image: ImageInfo | undefined;
}

export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface RunCounts {
  total: number;
  ok: number;
  cached: number;
  failed: number;
}

/** A rendered page: its identity (by pixels, and by pixels and text layer together), and its size as rendered. */
export interface PageRecord {
  pixels: string;
  withText: string;
  width: number;
  height: number;
}

/** A file's cached answer as path_answers gives it (an array, not an object: a third less time for the rows of 100,000 files). */
const ANSWER_COLUMNS = `path, size, mtime_ms, ino, sha256, status, output, prompt, model,
  tokens_in, tokens_out, latency_ms, bytes, width, height, format`;
type AnswerRow = [
  string, number, number, number, string, CachedResult['status'], string, string, string,
  number | null, number | null, number | null, number | null, number | null, number | null, string | null,
];

/** A character outside the Basic Multilingual Plane (a surrogate pair in JavaScript). */
const ASTRAL = /[\uD800-\uDFFF]/;

/** A cached answer for a walked file, when its size, time and inode say it is the file hashed before. */
function hit(stamp: FileStamp, r: AnswerRow | undefined): CacheHit | undefined {
  if (!r || r[1] !== stamp.size || r[2] !== stamp.mtimeMs || r[3] !== stamp.ino) return undefined;
  return {
    sha256: r[4],
    result: { status: r[5], output: r[6], prompt: r[7], model: r[8], tokensIn: r[9], tokensOut: r[10], latencyMs: r[11] },
    image: r[12] === null ? undefined : { bytes: r[12], width: r[13], height: r[14], format: r[15] },
  };
}

export class CacheStore {
  private readonly q;
  /** Answers and failures saved before this (ms) are not used: --refresh. */
  private answeredSince = 0;

  constructor(readonly db: Database.Database) {
    this.q = {
      fileGet: db.prepare('SELECT size, mtime_ms, ino, sha256 FROM files WHERE path = ?'),
      filePut: db.prepare(
        `INSERT INTO files (path, size, mtime_ms, ino, sha256, seen_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
           ino = excluded.ino, sha256 = excluded.sha256, seen_at = excluded.seen_at`,
      ),
      imageGet: db.prepare('SELECT bytes, width, height, format FROM images WHERE sha256 = ?'),
      imagePut: db.prepare(
        `INSERT INTO images (sha256, bytes, width, height, format) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(sha256) DO UPDATE SET width = excluded.width, height = excluded.height, format = excluded.format`,
      ),
      jobPut: db.prepare('INSERT OR IGNORE INTO jobs (fingerprint, spec, created_at) VALUES (?, ?, ?)'),
      resultGet: db.prepare(
        'SELECT status, output, prompt, model, tokens_in, tokens_out, latency_ms FROM results WHERE sha256 = ? AND job = ? AND created_at >= ?',
      ),
      resultPut: db.prepare(
        `INSERT OR REPLACE INTO results (sha256, job, status, output, prompt, model, tokens_in, tokens_out, latency_ms, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      lookup: db.prepare(
        `SELECT ${ANSWER_COLUMNS} FROM path_answers WHERE path = ? AND job = ? AND created_at >= ?`,
      ).raw(true),
      lookupRange: db.prepare(
        `SELECT ${ANSWER_COLUMNS} FROM path_answers WHERE path BETWEEN ? AND ? AND job = ? AND created_at >= ?`,
      ).raw(true),
      contentKnown: db.prepare('SELECT 1 FROM contents WHERE sha256 = ?').pluck(),
      unidentified: db.prepare(
        'SELECT 1 FROM path_answers pa WHERE NOT EXISTS (SELECT 1 FROM contents c WHERE c.sha256 = pa.sha256) LIMIT 1',
      ).pluck(),
      settingGet: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
      settingDelete: db.prepare('DELETE FROM settings WHERE key = ?'),
      contentPut: db.prepare('INSERT OR IGNORE INTO contents (sha256, content) VALUES (?, ?)'),
      // The most recently answered other file with the same content.
      sameContent: db.prepare(
        `SELECT c.sha256 FROM contents c JOIN results r ON r.sha256 = c.sha256
          WHERE c.content = ? AND c.sha256 <> ? ORDER BY r.created_at DESC LIMIT 1`,
      ).pluck(),
      resultsCopy: db.prepare(
        `INSERT OR IGNORE INTO results (sha256, job, status, output, prompt, model, tokens_in, tokens_out, latency_ms, created_at)
         SELECT ?, job, status, output, prompt, model, tokens_in, tokens_out, latency_ms, created_at FROM results WHERE sha256 = ?`,
      ),
      imageCopy: db.prepare(
        'INSERT OR IGNORE INTO images (sha256, bytes, width, height, format) SELECT ?, ?, width, height, format FROM images WHERE sha256 = ?',
      ),
      documentGet: db.prepare('SELECT pages FROM documents WHERE sha256 = ?').pluck(),
      documentPut: db.prepare('INSERT OR REPLACE INTO documents (sha256, pages) VALUES (?, ?)'),
      pageGet: db.prepare(
        'SELECT pixels, with_text AS withText, width, height FROM pages WHERE sha256 = ? AND render = ? AND page = ?',
      ),
      pagePut: db.prepare(
        'INSERT OR REPLACE INTO pages (sha256, render, page, pixels, with_text, width, height) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      failureGet: db.prepare('SELECT error FROM failures WHERE sha256 = ? AND key = ? AND page = ? AND created_at >= ?').pluck(),
      failurePut: db.prepare('INSERT OR REPLACE INTO failures (sha256, key, page, error, created_at) VALUES (?, ?, ?, ?, ?)'),
      failureDelete: db.prepare('DELETE FROM failures WHERE sha256 = ? AND key = ? AND page = ?'),
      runStart: db.prepare('INSERT INTO runs (started_at, args, job, inputs, files, refresh_since) VALUES (?, ?, ?, ?, ?, ?)'),
      lastRun: db.prepare('SELECT refresh_since AS refreshSince, exit_code AS exitCode FROM runs WHERE inputs = ? AND job = ? ORDER BY id DESC LIMIT 1'),
      lastFinished: db.prepare(
        'SELECT files, ended_at AS endedAt FROM runs WHERE inputs = ? AND job = ? AND exit_code IN (0, 1) AND files IS NOT NULL ORDER BY id DESC LIMIT 1',
      ),
      runEnd: db.prepare(
        'UPDATE runs SET ended_at = ?, total = ?, ok = ?, cached = ?, failed = ?, exit_code = ? WHERE id = ?',
      ),
    };
  }

  /**
   * Cached answers for unchanged files. A nightly re-run over 100,000 files is
   * mostly this, so a batch in path order (as the walk gives it) is read with one
   * range scan of path_answers, not a query per file.
   */
  lookupMany(stamps: readonly FileStamp[], job: string): (CacheHit | undefined)[] {
    const first = stamps[0]?.path;
    const last = stamps[stamps.length - 1]?.path;
    const read = this.db.transaction((): (CacheHit | undefined)[] => {
      // SQLite orders text by its UTF-8 bytes, JavaScript by UTF-16 units: the two agree unless a
      // path has a character beyond U+FFFF, or the batch is not in order.
      if (first !== undefined && last !== undefined && first <= last && !stamps.some((s) => ASTRAL.test(s.path))) {
        const rows = new Map<string, AnswerRow>();
        for (const row of this.q.lookupRange.all(first, last, job, this.answeredSince) as AnswerRow[]) rows.set(row[0], row);
        return stamps.map((stamp) => hit(stamp, rows.get(stamp.path)));
      }
      return stamps.map((stamp) => hit(stamp, this.q.lookup.get(stamp.path, job, this.answeredSince) as AnswerRow | undefined));
    });
    return read();
  }

  /** The remembered hash of one file, if its size, mtime and inode are unchanged. */
  knownHash(stamp: FileStamp): string | undefined {
    const row = this.q.fileGet.get(stamp.path) as { size: number; mtime_ms: number; ino: number; sha256: string } | undefined;
    if (!row || row.size !== stamp.size || row.mtime_ms !== stamp.mtimeMs || row.ino !== stamp.ino) return undefined;
    return row.sha256;
  }

  rememberHash(stamp: FileStamp, sha256: string): void {
    this.q.filePut.run(stamp.path, stamp.size, stamp.mtimeMs, stamp.ino, sha256, Date.now());
  }

  image(sha256: string): ImageInfo | undefined {
    return this.q.imageGet.get(sha256) as ImageInfo | undefined;
  }

  rememberImage(sha256: string, info: ImageInfo): void {
    this.q.imagePut.run(sha256, info.bytes, info.width, info.height, info.format);
  }

  /**
   * Records an image file's content identity. When another file hash with the same content has
   * answers (the same image, its metadata since rewritten), they and the image's facts are filed
   * under this hash too, for every job: the next look-up is a plain hit.
   */
  rememberContent(sha256: string, content: string, bytes: number): void {
    const adopt = this.db.transaction((): void => {
      this.q.contentPut.run(sha256, content);
      const same = this.q.sameContent.get(content, sha256) as string | undefined;
      if (same === undefined) return;
      this.q.resultsCopy.run(sha256, same);
      this.q.imageCopy.run(sha256, bytes, same);
    });
    adopt.immediate();
  }

  /** Whether the image file of this hash has its content identity recorded (or is known to have none). */
  hasContent(sha256: string): boolean {
    return this.q.contentKnown.get(sha256) !== undefined;
  }

  /** Images answered before identities were recorded are waiting for theirs (see identity-backfill.ts). */
  identitiesPending(): boolean {
    return this.q.settingGet.get('identify_answered') !== undefined;
  }

  /** Clears the flag once no answered file is left without an identity; true when it did. */
  settleIdentities(): boolean {
    if (this.q.unidentified.get() !== undefined) return false;
    this.q.settingDelete.run('identify_answered');
    return true;
  }

  /** The page count of a document seen before. */
  documentPages(sha256: string): number | undefined {
    return this.q.documentGet.get(sha256) as number | undefined;
  }

  rememberDocument(sha256: string, pages: number): void {
    this.q.documentPut.run(sha256, pages);
  }

  page(sha256: string, render: string, page: number): PageRecord | undefined {
    return this.q.pageGet.get(sha256, render, page) as PageRecord | undefined;
  }

  rememberPage(sha256: string, render: string, page: number, r: PageRecord): void {
    this.q.pagePut.run(sha256, render, page, r.pixels, r.withText, r.width, r.height);
  }

  /** Why a document (page 0) or one of its pages failed under the render settings `key`, if it did. */
  failure(sha256: string, key: string, page: number): string | undefined {
    return this.q.failureGet.get(sha256, key, page, this.answeredSince) as string | undefined;
  }

  rememberFailure(sha256: string, key: string, page: number, error: string): void {
    this.q.failurePut.run(sha256, key, page, error, Date.now());
  }

  /** It worked this time (--retry-failed, or a limit since raised): the old failure no longer stands. */
  forgetFailure(sha256: string, key: string, page: number): void {
    this.q.failureDelete.run(sha256, key, page);
  }

  registerJob(fingerprint: string, spec: unknown): void {
    this.q.jobPut.run(fingerprint, JSON.stringify(spec), Date.now());
  }

  result(sha256: string, job: string): CachedResult | undefined {
    const row = this.q.resultGet.get(sha256, job, this.answeredSince) as
      | { status: 'ok' | 'truncated'; output: string; prompt: string; model: string;
          tokens_in: number | null; tokens_out: number | null; latency_ms: number | null }
      | undefined;
    if (!row) return undefined;
    return {
      status: row.status, output: row.output, prompt: row.prompt, model: row.model,
      tokensIn: row.tokens_in, tokensOut: row.tokens_out, latencyMs: row.latency_ms,
    };
  }

  saveResult(sha256: string, job: string, r: CachedResult): void {
    this.q.resultPut.run(sha256, job, r.status, r.output, r.prompt, r.model, r.tokensIn, r.tokensOut, r.latencyMs, Date.now());
  }

  /** From now on, answers and remembered failures saved before `ms` count as not cached. */
  ignoreAnswersBefore(ms: number): void {
    this.answeredSince = ms;
  }

  /**
   * `inputs`: what the run walks (a hash), `files`: how many files it found there;
   * `refreshSince`: for --refresh, since when answers count.
   */
  startRun(args: string[], job: string, inputs: string, files: number, refreshSince: number | null): number {
    return Number(this.q.runStart.run(Date.now(), JSON.stringify(args), job, inputs, files, refreshSince).lastInsertRowid);
  }

  /** When the last run over these inputs was a --refresh that did not finish: since when it refreshed. */
  unfinishedRefresh(inputs: string, job: string): number | undefined {
    const last = this.q.lastRun.get(inputs, job) as { refreshSince: number | null; exitCode: number | null } | undefined;
    if (!last || last.refreshSince === null) return undefined;
    return last.exitCode === 0 || last.exitCode === 1 ? undefined : last.refreshSince;
  }

  /** The last run over the same inputs and job that wrote its catalog (exit 0 or 1). */
  lastFinishedRun(inputs: string, job: string): { files: number; endedAt: number } | undefined {
    return this.q.lastFinished.get(inputs, job) as { files: number; endedAt: number } | undefined;
  }

  endRun(id: number, counts: RunCounts, exitCode: number): void {
    this.q.runEnd.run(Date.now(), counts.total, counts.ok, counts.cached, counts.failed, exitCode, id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
