// Opens the cache database: WAL, a busy timeout, and versioned migrations.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { t } from '../i18n/index.js';
import { TemporaryFailure, UsageError } from '../support/errors.js';

type DB = Database.Database;

// path_answers' rows for a file row or a result row just written (NEW, in a trigger).
const ROWS_OF_NEW_FILE = `INSERT OR REPLACE INTO path_answers
  SELECT NEW.path, r.job, NEW.size, NEW.mtime_ms, NEW.ino, NEW.sha256, r.status, r.output, r.prompt, r.model,
         r.tokens_in, r.tokens_out, r.latency_ms, r.created_at, i.bytes, i.width, i.height, i.format
    FROM results r LEFT JOIN images i ON i.sha256 = r.sha256 WHERE r.sha256 = NEW.sha256;`;
const ROWS_OF_NEW_RESULT = `INSERT OR REPLACE INTO path_answers
  SELECT f.path, NEW.job, f.size, f.mtime_ms, f.ino, f.sha256, NEW.status, NEW.output, NEW.prompt, NEW.model,
         NEW.tokens_in, NEW.tokens_out, NEW.latency_ms, NEW.created_at, i.bytes, i.width, i.height, i.format
    FROM files f LEFT JOIN images i ON i.sha256 = f.sha256 WHERE f.sha256 = NEW.sha256;`;

// Append only: each entry moves the schema from version i to i + 1.
const MIGRATIONS: string[] = [
  `CREATE TABLE files (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     ino INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     seen_at INTEGER NOT NULL
   );
   CREATE TABLE images (
     sha256 TEXT PRIMARY KEY,
     bytes INTEGER NOT NULL,
     width INTEGER,
     height INTEGER,
     format TEXT
   );
   CREATE TABLE jobs (
     fingerprint TEXT PRIMARY KEY,
     spec TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE results (
     sha256 TEXT NOT NULL,
     job TEXT NOT NULL REFERENCES jobs(fingerprint),
     status TEXT NOT NULL,
     output TEXT NOT NULL,
     prompt TEXT NOT NULL,
     model TEXT NOT NULL,
     tokens_in INTEGER,
     tokens_out INTEGER,
     latency_ms INTEGER,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (sha256, job)
   ) WITHOUT ROWID;
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     args TEXT NOT NULL,
     job TEXT,
     total INTEGER,
     ok INTEGER,
     cached INTEGER,
     failed INTEGER,
     exit_code INTEGER
   );`,
  // Multi-page documents: a page's answers are keyed by the page's own identity
  // (its rendered pixels), so a PDF that gains pages keeps the old pages' answers.
  `CREATE TABLE documents (
     sha256 TEXT PRIMARY KEY,
     pages INTEGER NOT NULL
   );
   CREATE TABLE pages (
     sha256 TEXT NOT NULL,
     render TEXT NOT NULL,
     page INTEGER NOT NULL,
     pixels TEXT NOT NULL,
     with_text TEXT NOT NULL,
     width INTEGER NOT NULL,
     height INTEGER NOT NULL,
     PRIMARY KEY (sha256, render, page)
   ) WITHOUT ROWID;
   CREATE INDEX pages_by_pixels ON pages (pixels);
   CREATE INDEX pages_by_text ON pages (with_text);`,
  // Which indexed files hold a content (export's paths, a page's documents, prune).
  'CREATE INDEX files_by_sha ON files (sha256);',
  // What a run was over (a hash of its inputs) and how many files it found, so a run that finds far
  // fewer than the last one over the same inputs (an unmounted share) can say so; and since when a
  // --refresh ignores older answers, so the same --refresh after an interrupt carries on.
  `ALTER TABLE runs ADD COLUMN inputs TEXT;
   ALTER TABLE runs ADD COLUMN files INTEGER;
   ALTER TABLE runs ADD COLUMN refresh_since INTEGER;
   CREATE INDEX runs_by_inputs ON runs (inputs, job);`,
  // Documents that failed for a reason of their own (encrypted, corrupt, over a limit), by content
  // and the render settings the failure happened under; page 0 is the document as a whole. Such a
  // document is not opened again until one of them changes, or --retry-failed / --refresh.
  `CREATE TABLE failures (
     sha256 TEXT NOT NULL,
     key TEXT NOT NULL,
     page INTEGER NOT NULL,
     error TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (sha256, key, page)
   ) WITHOUT ROWID;`,
  // A file's answer under each job: the join of files, results and images, kept by triggers,
  // so that a cached re-run reads one range of one table instead of three look-ups per file.
  // Every writer (runs, merge, prune) keeps it without knowing it is there. A row's sha256 is
  // always its path's in files, so the triggers find a content's rows through files_by_sha.
  `CREATE TABLE path_answers (
     path TEXT NOT NULL,
     job TEXT NOT NULL,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     ino INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     status TEXT NOT NULL,
     output TEXT NOT NULL,
     prompt TEXT NOT NULL,
     model TEXT NOT NULL,
     tokens_in INTEGER,
     tokens_out INTEGER,
     latency_ms INTEGER,
     created_at INTEGER NOT NULL,
     bytes INTEGER,
     width INTEGER,
     height INTEGER,
     format TEXT,
     PRIMARY KEY (path, job)
   ) WITHOUT ROWID;
   -- Without recursive triggers, INSERT OR REPLACE fires only the insert trigger: it drops what the row replaces.
   CREATE TRIGGER files_in AFTER INSERT ON files BEGIN
     DELETE FROM path_answers WHERE path = NEW.path;
     ${ROWS_OF_NEW_FILE}
   END;
   CREATE TRIGGER files_changed AFTER UPDATE ON files BEGIN
     DELETE FROM path_answers WHERE path = OLD.path;
     ${ROWS_OF_NEW_FILE}
   END;
   CREATE TRIGGER files_out AFTER DELETE ON files BEGIN
     DELETE FROM path_answers WHERE path = OLD.path;
   END;
   CREATE TRIGGER results_in AFTER INSERT ON results BEGIN
     DELETE FROM path_answers WHERE job = NEW.job AND path IN (SELECT path FROM files WHERE sha256 = NEW.sha256);
     ${ROWS_OF_NEW_RESULT}
   END;
   CREATE TRIGGER results_changed AFTER UPDATE ON results BEGIN
     DELETE FROM path_answers WHERE job = OLD.job AND path IN (SELECT path FROM files WHERE sha256 = OLD.sha256);
     ${ROWS_OF_NEW_RESULT}
   END;
   CREATE TRIGGER results_out AFTER DELETE ON results BEGIN
     DELETE FROM path_answers WHERE job = OLD.job AND path IN (SELECT path FROM files WHERE sha256 = OLD.sha256);
   END;
   CREATE TRIGGER images_in AFTER INSERT ON images BEGIN
     UPDATE path_answers SET bytes = NEW.bytes, width = NEW.width, height = NEW.height, format = NEW.format WHERE path IN (SELECT path FROM files WHERE sha256 = NEW.sha256);
   END;
   CREATE TRIGGER images_changed AFTER UPDATE ON images BEGIN
     UPDATE path_answers SET bytes = NULL, width = NULL, height = NULL, format = NULL WHERE path IN (SELECT path FROM files WHERE sha256 = OLD.sha256);
     UPDATE path_answers SET bytes = NEW.bytes, width = NEW.width, height = NEW.height, format = NEW.format WHERE path IN (SELECT path FROM files WHERE sha256 = NEW.sha256);
   END;
   CREATE TRIGGER images_out AFTER DELETE ON images BEGIN
     UPDATE path_answers SET bytes = NULL, width = NULL, height = NULL, format = NULL WHERE path IN (SELECT path FROM files WHERE sha256 = OLD.sha256);
   END;
   INSERT INTO path_answers
     SELECT f.path, r.job, f.size, f.mtime_ms, f.ino, f.sha256, r.status, r.output, r.prompt, r.model,
            r.tokens_in, r.tokens_out, r.latency_ms, r.created_at, i.bytes, i.width, i.height, i.format
       FROM files f JOIN results r ON r.sha256 = f.sha256 LEFT JOIN images i ON i.sha256 = f.sha256;`,
  // An image file's content identity (image/content-identity.ts): an image whose metadata was
  // written back into the file (a new file hash) is known by its content, and keeps its answers.
  `CREATE TABLE contents (
     sha256 TEXT PRIMARY KEY,
     content TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX contents_by_content ON contents (content);`,
  // A person's decision on an answer (cache/reviews.ts), keyed like the answer's image: by content
  // identity, so metadata written back keeps it, and another image (turned, re-encoded) does not.
  `CREATE TABLE reviews (
     content TEXT NOT NULL,
     job TEXT NOT NULL,
     decision TEXT NOT NULL CHECK (decision IN ('accepted', 'edited', 'rejected')),
     output TEXT,
     model_output TEXT NOT NULL,
     reviewer TEXT NOT NULL,
     reviewed_at INTEGER NOT NULL,
     revision INTEGER NOT NULL,
     path TEXT,
     sha256 TEXT,
     PRIMARY KEY (content, job)
   ) WITHOUT ROWID;
   CREATE INDEX reviews_by_path ON reviews (path, job);
   -- A review made while its image had no recorded identity is keyed by the file hash; once it
   -- has one, the review moves to it, so that metadata written back later keeps it.
   CREATE TRIGGER reviews_follow_content AFTER INSERT ON contents BEGIN
     UPDATE OR IGNORE reviews SET content = NEW.content WHERE content = NEW.sha256;
   END;`,
  // Images answered before content identities were recorded (schema 7) get theirs on a later run
  // that finds them unchanged (pipeline/identity-backfill.ts); this flag says there are some.
  `CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;
   INSERT INTO settings (key, value)
     SELECT 'identify_answered', '1'
      WHERE EXISTS (SELECT 1 FROM path_answers pa WHERE NOT EXISTS (SELECT 1 FROM contents c WHERE c.sha256 = pa.sha256));`,
  // Batches handed to a /files + /batches service (batch/). A batch is recorded by its uploaded
  // file before it is created, so one whose creation was cut off is still found (by that file).
  // Its requests are pending until its results are imported: a second submit leaves them out.
  `CREATE TABLE batches (
     file_id TEXT PRIMARY KEY,
     id TEXT UNIQUE,
     endpoint TEXT NOT NULL,
     name TEXT NOT NULL,
     requests INTEGER NOT NULL,
     status TEXT NOT NULL,
     counts TEXT,
     output_file TEXT,
     error_file TEXT,
     submitted_at INTEGER NOT NULL,
     checked_at INTEGER,
     imported_at INTEGER
   ) WITHOUT ROWID;
   CREATE TABLE batch_requests (
     custom_id TEXT NOT NULL,
     file_id TEXT NOT NULL REFERENCES batches(file_id) ON DELETE CASCADE,
     PRIMARY KEY (custom_id, file_id)
   ) WITHOUT ROWID;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

// In config/constants.ts, so that `glm-vision config` need not load SQLite.
export { defaultCachePath } from '../config/constants.js';

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

export function openDatabase(file: string, options: { busyTimeoutMs?: number } = {}): DB {
  if (file !== ':memory:') {
    try {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (error) {
      throw new UsageError(t('cache:open.cannotCreateFolder', { file, why: (error as Error).message }));
    }
  }
  let db: DB;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 15_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (isBusy(error)) throw new TemporaryFailure(t('cache:open.locked', { file }));
    throw new UsageError(t('cache:open.cannotOpen', { file, why: (error as Error).message }));
  }
  return db;
}

function migrate(db: DB, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new UsageError(t('cache:open.newerOrAnother', { file, version, known: SCHEMA_VERSION }));
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
