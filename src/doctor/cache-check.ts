// The cache database: its folder can be written (or created), the database
// opens and its schema is one this version reads, and whether a catalog run
// holds it. Never creates the database or its folder; the write probe is
// removed at once.
import { lockPath, STALE_MS } from '../cache/run-lock.js';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statfsSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isBusy, SCHEMA_VERSION } from '../cache/open.js';
import { mb } from '../models/download-progress.js';
import { t } from '../i18n/index.js';
import type { CheckResult, CheckStatus } from './check.js';

const NAME = 'cache';
/** Less free space than this on the cache's disk is worth a warning. */
const LOW_SPACE_BYTES = 100e6;

interface Finding {
  status: CheckStatus;
  text: string;
  fix?: string;
}

export function checkCache(file: string): CheckResult {
  if (file === ':memory:') return { check: NAME, status: 'ok', detail: t('doctor:cache.memory'), fix: null };
  const db = path.resolve(file);
  const findings: Finding[] = [];
  const folder = checkFolder(path.dirname(db), findings);
  if (folder.writable) {
    const st = statOrUndefined(db);
    if (st === undefined) findings.push({ status: 'ok', text: t('doctor:cache.no_database') });
    else checkDatabase(db, st, findings);
    checkLock(db, findings);
    checkSpace(folder.existing, findings);
  }
  const status: CheckStatus = findings.some((f) => f.status === 'fail') ? 'fail' : findings.some((f) => f.status === 'warn') ? 'warn' : 'ok';
  const fixes = findings.filter((f) => f.status !== 'ok' && f.fix !== undefined).map((f) => f.fix as string);
  return { check: NAME, status, detail: [db, ...findings.map((f) => f.text)].join(t('doctor:list.separator')), fix: fixes.length ? fixes.join(t('doctor:list.separator')) : null };
}

/** The folder, or its nearest existing ancestor when it is still to be created, must take new files. */
function checkFolder(folder: string, findings: Finding[]): { writable: boolean; existing: string } {
  let existing = folder;
  let st: Stats | undefined;
  for (;;) {
    try {
      st = statSync(existing);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(existing);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) {
        findings.push({ status: 'fail', text: t('doctor:cache.unreadable', { path: existing, why: reason(error) }), fix: t('doctor:cache.unreadable.fix', { path: existing }) });
        return { writable: false, existing };
      }
      existing = parent;
    }
  }
  if (!st.isDirectory()) {
    findings.push({
      status: 'fail',
      text: t('doctor:cache.is_file', { path: existing }),
      fix: t('doctor:cache.is_file.fix'),
    });
    return { writable: false, existing };
  }
  const probe = path.join(existing, `.glm-vision-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (error) {
    findings.push({
      status: 'fail',
      text: t('doctor:cache.not_writable', { path: existing, why: reason(error) }),
      fix: t('doctor:cache.not_writable.fix', { path: existing }),
    });
    return { writable: false, existing };
  }
  findings.push({ status: 'ok', text: existing === folder ? t('doctor:cache.folder_writable') : t('doctor:cache.folder_created', { path: existing }) });
  return { writable: true, existing };
}

function checkDatabase(db: string, st: Stats, findings: Finding[]): void {
  if (!st.isFile()) {
    findings.push({ status: 'fail', text: t('doctor:cache.is_folder'), fix: t('doctor:cache.is_folder.fix', { file: path.join(db, 'cache.db') }) });
    return;
  }
  try {
    accessSync(db, constants.R_OK | constants.W_OK);
  } catch (error) {
    findings.push({ status: 'fail', text: t('doctor:cache.db_not_writable', { why: reason(error) }), fix: t('doctor:cache.db_not_writable.fix', { path: db }) });
    return;
  }
  const size = st.size + (statOrUndefined(`${db}-wal`)?.size ?? 0);
  let handle: Database.Database | undefined;
  try {
    // Read and write, as a run opens it: closing then removes the -wal and -shm files a read-only handle would leave.
    handle = new Database(db, { fileMustExist: true, timeout: 2000 });
    const version = handle.pragma('user_version', { simple: true }) as number;
    const journal = String(handle.pragma('journal_mode', { simple: true }));
    const hasResults = handle.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'results'").get() !== undefined;
    const results = hasResults ? (handle.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n : 0;
    const facts = t('doctor:cache.facts', { size: mb(size), version, journal, count: results });
    if (version > SCHEMA_VERSION) {
      findings.push({
        status: 'fail',
        text: t('doctor:cache.newer', { facts, schema: SCHEMA_VERSION }),
        fix: t('doctor:cache.newer.fix'),
      });
    } else {
      const later = version < SCHEMA_VERSION;
      const wal = journal.toLowerCase() !== 'wal';
      const key = later ? (wal ? 'doctor:cache.ok.upgrade_wal' : 'doctor:cache.ok.upgrade') : wal ? 'doctor:cache.ok.wal' : 'doctor:cache.ok';
      findings.push({ status: 'ok', text: t(key, { facts, schema: SCHEMA_VERSION }) });
    }
  } catch (error) {
    if (isBusy(error)) {
      findings.push({ status: 'warn', text: t('doctor:cache.busy', { size: mb(size) }), fix: t('doctor:cache.busy.fix') });
    } else {
      findings.push({ status: 'fail', text: t('doctor:cache.damaged', { why: reason(error) }), fix: t('doctor:cache.damaged.fix') });
    }
  } finally {
    handle?.close();
  }
}

function checkLock(db: string, findings: Finding[]): void {
  const lock = statOrUndefined(lockPath(db));
  if (lock === undefined) return;
  const age = Date.now() - lock.mtimeMs;
  if (age > STALE_MS) {
    findings.push({ status: 'ok', text: t('doctor:cache.stale_lock', { lock: lockPath(db) }) });
    return;
  }
  findings.push({
    status: 'warn',
    text: t('doctor:cache.locked', { lock: lockPath(db) }),
    fix: t('doctor:cache.locked.fix'),
  });
}

function checkSpace(folder: string, findings: Finding[]): void {
  let free: number;
  try {
    const fs = statfsSync(folder);
    free = fs.bavail * fs.bsize;
  } catch {
    return;
  }
  if (free < LOW_SPACE_BYTES) {
    findings.push({ status: 'warn', text: t('doctor:cache.low_space', { free: mb(free) }), fix: t('doctor:cache.low_space.fix', { path: folder }) });
  } else {
    findings.push({ status: 'ok', text: t('doctor:cache.space', { free: (free / 1e9).toFixed(1) }) });
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code && !e.message.startsWith(e.code) ? `${e.code} (${e.message.split('\n')[0]})` : (e.message.split('\n')[0] ?? String(error));
}
