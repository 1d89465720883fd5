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
import type { CheckResult, CheckStatus } from './check.js';

const NAME = 'cache';
/** Less free space than this on the cache's disk is worth a warning. */
const LOW_SPACE_BYTES = 100e6;
const ELSEWHERE = 'or choose another cache: --cache FILE or GLM_VISION_CACHE=FILE';

interface Finding {
  status: CheckStatus;
  text: string;
  fix?: string;
}

export function checkCache(file: string): CheckResult {
  if (file === ':memory:') return { check: NAME, status: 'ok', detail: ':memory: (nothing is kept between runs)', fix: null };
  const db = path.resolve(file);
  const findings: Finding[] = [];
  const folder = checkFolder(path.dirname(db), findings);
  if (folder.writable) {
    const st = statOrUndefined(db);
    if (st === undefined) findings.push({ status: 'ok', text: 'no database yet (the first catalog run creates it)' });
    else checkDatabase(db, st, findings);
    checkLock(db, findings);
    checkSpace(folder.existing, findings);
  }
  const status: CheckStatus = findings.some((f) => f.status === 'fail') ? 'fail' : findings.some((f) => f.status === 'warn') ? 'warn' : 'ok';
  const fixes = findings.filter((f) => f.status !== 'ok' && f.fix !== undefined).map((f) => f.fix as string);
  return { check: NAME, status, detail: [db, ...findings.map((f) => f.text)].join('; '), fix: fixes.length ? fixes.join('; ') : null };
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
        findings.push({ status: 'fail', text: `cannot read ${existing}: ${reason(error)}`, fix: `check the permissions of ${existing}, ${ELSEWHERE}` });
        return { writable: false, existing };
      }
      existing = parent;
    }
  }
  if (!st.isDirectory()) {
    findings.push({
      status: 'fail',
      text: `${existing} is a file, not a folder, so the cache cannot be kept under it`,
      fix: `move that file away, ${ELSEWHERE}`,
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
      text: `cannot create files in ${existing}: ${reason(error)}`,
      fix: `make ${existing} writable for the user running glm-vision (chown/chmod), ${ELSEWHERE}`,
    });
    return { writable: false, existing };
  }
  findings.push({ status: 'ok', text: existing === folder ? 'folder writable' : `folder will be created (in ${existing}, which is writable)` });
  return { writable: true, existing };
}

function checkDatabase(db: string, st: Stats, findings: Finding[]): void {
  if (!st.isFile()) {
    findings.push({ status: 'fail', text: 'the cache path is a folder, not a database file', fix: `give --cache a file name inside it (--cache ${path.join(db, 'cache.db')}), ${ELSEWHERE}` });
    return;
  }
  try {
    accessSync(db, constants.R_OK | constants.W_OK);
  } catch (error) {
    findings.push({ status: 'fail', text: `the database cannot be written: ${reason(error)}`, fix: `make ${db} writable for the user running glm-vision, ${ELSEWHERE}` });
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
    const facts = `${mb(size)}, schema ${version}, journal ${journal}, ${results} cached results`;
    if (version > SCHEMA_VERSION) {
      findings.push({
        status: 'fail',
        text: `${facts}: written by a newer glm-vision (this one knows schema ${SCHEMA_VERSION})`,
        fix: `upgrade glm-vision, ${ELSEWHERE}`,
      });
    } else {
      const later = version < SCHEMA_VERSION ? ` (upgraded to schema ${SCHEMA_VERSION} by the next run)` : '';
      const wal = journal.toLowerCase() === 'wal' ? '' : ' (switched to WAL by the next run)';
      findings.push({ status: 'ok', text: `${facts}${later}${wal}` });
    }
  } catch (error) {
    if (isBusy(error)) {
      findings.push({ status: 'warn', text: `${mb(size)}; locked by another process right now`, fix: 'wait for the process writing it to finish' });
    } else {
      findings.push({ status: 'fail', text: `cannot open the database: ${reason(error)}`, fix: `move the damaged file away (a new cache starts empty), ${ELSEWHERE}` });
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
    findings.push({ status: 'ok', text: `stale run lock ${lockPath(db)} (its run died; the next run takes it over)` });
    return;
  }
  findings.push({
    status: 'warn',
    text: `a catalog run is using it now (lock ${lockPath(db)}): another run waits for it (--lock wait) or exits 75 (--lock skip)`,
    fix: 'let that run finish before starting another on the same cache, or give the other job its own --cache',
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
    findings.push({ status: 'warn', text: `only ${mb(free)} free on its disk`, fix: `free space on the disk holding ${folder}, ${ELSEWHERE}` });
  } else {
    findings.push({ status: 'ok', text: `${(free / 1e9).toFixed(1)} GB free` });
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
