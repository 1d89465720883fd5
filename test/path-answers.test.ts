// path_answers is the join of files, results and images that a cached re-run
// reads in one range, kept by triggers. Whatever writes the cache (a run, a
// --refresh, a changed file, merge, prune), it must hold exactly that join, and a
// cache from before it existed must get it filled when first opened.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { mergeCaches, openSources } from '../src/cache/merge.js';
import { openDatabase, SCHEMA_VERSION } from '../src/cache/open.js';
import { pruneCache } from '../src/cache/prune.js';
import { CacheStore, type CachedResult, type FileStamp } from '../src/cache/store.js';

const JOIN = `SELECT f.path, r.job, f.size, f.mtime_ms, f.ino, f.sha256, r.status, r.output, r.prompt, r.model,
                     r.tokens_in, r.tokens_out, r.latency_ms, r.created_at, i.bytes, i.width, i.height, i.format
                FROM files f JOIN results r ON r.sha256 = f.sha256 LEFT JOIN images i ON i.sha256 = f.sha256`;
const KEPT = `SELECT path, job, size, mtime_ms, ino, sha256, status, output, prompt, model,
                     tokens_in, tokens_out, latency_ms, created_at, bytes, width, height, format FROM path_answers`;

/** path_answers and the join it stands for, each sorted the same way. */
function both(db: Database.Database): { kept: unknown[]; join: unknown[] } {
  const order = ' ORDER BY 1, 2';
  return { kept: db.prepare(`${KEPT}${order}`).raw(true).all(), join: db.prepare(`${JOIN}${order}`).raw(true).all() };
}

function assertKept(db: Database.Database, rows: number, when: string): void {
  const { kept, join } = both(db);
  assert.deepEqual(kept, join, `path_answers is the join ${when}`);
  assert.equal(kept.length, rows, `rows ${when}`);
}

const answer = (output: string, status: CachedResult['status'] = 'ok'): CachedResult => ({
  status, output, prompt: 'describe', model: 'm', tokensIn: 1, tokensOut: 2, latencyMs: 3,
});
const stamp = (p: string, ino: number, size = 10): FileStamp => ({ path: p, size, mtimeMs: 1000.5, ino });

describe('path_answers, the cached re-run\'s table', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glmv-path-answers-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is the join of files, results and images after every kind of write a run makes', () => {
    const store = new CacheStore(openDatabase(path.join(dir, 'runs.db')));
    const db = store.db;
    try {
      for (const job of ['j1', 'j2']) store.registerJob(job, {});
      store.rememberHash(stamp('/a.jpg', 1), 'sha-a');
      assertKept(db, 0, 'for a file without an answer');
      store.saveResult('sha-a', 'j1', answer('first'));
      assertKept(db, 1, 'once it has an answer');
      store.rememberImage('sha-a', { bytes: 10, width: 4, height: 3, format: 'jpeg' });
      assertKept(db, 1, 'with the image\'s facts');
      store.rememberImage('sha-a', { bytes: 10, width: 8, height: 6, format: 'png' });
      assertKept(db, 1, 'when the facts change');
      store.saveResult('sha-a', 'j2', answer('other job'));
      store.rememberHash(stamp('/copy-of-a.jpg', 2), 'sha-a');
      assertKept(db, 4, 'for two jobs and two paths of one image');
      store.saveResult('sha-a', 'j1', answer('refreshed', 'truncated'));
      assertKept(db, 4, 'after an answer is replaced (--refresh)');
      store.rememberHash(stamp('/a.jpg', 1, 11), 'sha-b');
      assertKept(db, 2, 'after a file changes to an image without answers');
      store.saveResult('sha-b', 'j1', answer('new content'));
      assertKept(db, 3, 'once the changed file is answered');
      db.prepare('DELETE FROM images').run();
      assertKept(db, 3, 'when the images are gone');

      // What lookupMany reads is what the join says, stamp checks included.
      const [a, copy, unknown] = store.lookupMany([stamp('/a.jpg', 1, 11), stamp('/copy-of-a.jpg', 2), stamp('/zz.jpg', 3)], 'j1');
      assert.equal(a?.result.output, 'new content');
      assert.equal(copy?.result.status, 'truncated');
      assert.equal(unknown, undefined);
      assert.equal(store.lookupMany([stamp('/copy-of-a.jpg', 9)], 'j1')[0], undefined, 'another inode is another file');
    } finally {
      store.close();
    }
  });

  it('stays the join through cache prune and cache merge', async () => {
    const made = async (name: string, paths: [string, string][]): Promise<string> => {
      const file = path.join(dir, name);
      const store = new CacheStore(openDatabase(file));
      store.registerJob('j1', {});
      for (const [i, [p, sha]] of paths.entries()) {
        store.rememberHash(stamp(p, i + 1), sha);
        store.saveResult(sha, 'j1', answer(`${name} ${sha}`));
        store.rememberImage(sha, { bytes: 10, width: 1, height: 1, format: 'jpeg' });
      }
      store.close();
      return file;
    };
    const kept = path.join(dir, 'kept.jpg');
    await writeFile(kept, 'x');
    const target = await made('target.db', [[kept, 's1'], [path.join(dir, 'gone.jpg'), 's2']]);
    const source = await made('source.db', [[path.join(dir, 'elsewhere.jpg'), 's3'], [kept, 's4']]);

    const db = openDatabase(target);
    try {
      const sources = openSources(target, [source]);
      try {
        await mergeCaches(db, target, sources, { signal: new AbortController().signal });
      } finally {
        for (const s of sources) s.db.close();
      }
      assertKept(db, 3, 'after a merge');
      await pruneCache(db, target, { jobs: [], missing: { force: false } }, { dryRun: false, signal: new AbortController().signal });
      assertKept(db, 1, 'after prune --missing');
      await pruneCache(db, target, { jobs: ['j1'] }, { dryRun: false, signal: new AbortController().signal });
      assertKept(db, 0, 'after prune --job');
    } finally {
      db.close();
    }
  });

  it('is filled when a cache from before it is first opened', () => {
    const file = path.join(dir, 'old.db');
    const store = new CacheStore(openDatabase(file));
    store.registerJob('j1', {});
    store.rememberHash(stamp('/old.jpg', 1), 'sha-old');
    store.saveResult('sha-old', 'j1', answer('from an older glm-vision'));
    store.close();
    // Back to the schema before path_answers: the table and its triggers gone.
    const raw = new Database(file);
    for (const { name } of raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) {
      raw.exec(`DROP TRIGGER ${name}`);
    }
    // Schema 5, the last before path_answers (6); what came after it goes too.
    raw.exec('DROP TABLE path_answers; DROP TABLE contents; DROP TABLE reviews; DROP TABLE settings; DROP TABLE batch_requests; DROP TABLE batches');
    raw.pragma('user_version = 5');
    raw.close();

    const reopened = new CacheStore(openDatabase(file));
    try {
      assert.equal(reopened.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assertKept(reopened.db, 1, 'after the upgrade');
      assert.equal(reopened.lookupMany([stamp('/old.jpg', 1)], 'j1')[0]?.result.output, 'from an older glm-vision');
      // Its image has no content identity: the next run that finds it unchanged records one.
      assert.equal(reopened.identitiesPending(), true);
      assert.equal(reopened.settleIdentities(), false);
    } finally {
      reopened.close();
    }
  });
});
