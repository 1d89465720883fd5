// Opens a cache that must already exist, after checking that it is one of ours:
// the cache tools never create an empty cache at a mistyped path, and never add
// our tables to some other SQLite database (a photo manager's catalog, say).
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { openDatabase, SCHEMA_VERSION } from './open.js';

type DB = Database.Database;

const CACHE_TABLES = ['files', 'images', 'jobs', 'results', 'runs'] as const;

/** What a read-only look at a cache file found. */
export interface CacheProbe {
  version: number;
}

/** Which cache a command opens: its --cache, or one to merge into it. */
export type CacheRole = 'cache' | 'merge';

function mustExist(file: string, role: CacheRole): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UsageError(t(role === 'cache' ? 'cache:open.noCache' : 'cache:open.noCacheToMerge', { file }));
    }
    throw new UsageError(t('cache:open.cannotRead', { file, why: (error as Error).message }));
  }
  if (!isFile) throw new UsageError(t('cache:open.notAFile', { file }));
}

/** Opens `file` read-only and checks its schema version and tables; the caller closes the handle. */
export function openReadOnly(file: string, role: CacheRole): { db: DB; probe: CacheProbe } {
  mustExist(file, role);
  let db: DB;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 15_000 });
  } catch (error) {
    throw new UsageError(t('cache:open.cannotOpen', { file, why: (error as Error).message }));
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name),
    );
    const missing = CACHE_TABLES.filter((t) => !tables.has(t));
    if (version < 1 || missing.length > 0) {
      const values = { file, version, tables: missing.join(', ') };
      throw new UsageError(t(missing.length ? 'cache:open.notOursTables' : 'cache:open.notOurs', values));
    }
    if (version > SCHEMA_VERSION) {
      throw new UsageError(t('cache:open.newer', { file, version, known: SCHEMA_VERSION }));
    }
    return { db, probe: { version } };
  } catch (error) {
    db.close();
    if (error instanceof UsageError) throw error;
    // SQLITE_NOTADB and friends: a file that is not a database at all.
    throw new UsageError(t('cache:open.notADatabase', { file, why: (error as Error).message }));
  }
}

/** Opens an existing cache for reading and writing (migrating an older schema, as a catalog run would). */
export function openExistingCache(file: string): DB {
  openReadOnly(file, 'cache').db.close();
  return openDatabase(file);
}

/** Whether a cache has a table: a cache the read-only tools open may predate it (they never migrate). */
export function hasTable(db: DB, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
