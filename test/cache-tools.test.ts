// `glm-vision cache stats|export|prune|vacuum|merge` on caches made by real
// catalog runs against the loopback OpenAI-compatible server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import type { MergeReport } from '../src/cache/merge.js';
import type { PruneReport } from '../src/cache/prune.js';
import { SCHEMA_VERSION } from '../src/cache/open.js';
import type { CacheStats } from '../src/cache/stats.js';
import type { VacuumReport } from '../src/cache/vacuum.js';
import { parseJsonl, runCli, runMain, scratchFolders, startCli, type MainOptions } from './helpers/cli.js';

let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

const workspace = scratchFolders('glmv-cache-');

function catalog(cache: string, extra: string[] = [], url = server.url): string[] {
  return ['catalog', '--endpoint', url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', ...extra];
}

async function photos(dir: string, n: number, name = 'photos'): Promise<string> {
  const folder = path.join(dir, name);
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < n; i++) {
    await makeImage(path.join(folder, `img-${String(i).padStart(3, '0')}.jpg`), { width: 64 + i, height: 48, seed: 100 + i });
  }
  return folder;
}

function query<T>(db: string, sql: string): T[] {
  const handle = new Database(db, { readonly: true });
  try {
    return handle.prepare(sql).all() as T[];
  } finally {
    handle.close();
  }
}

const count = (db: string, table: string): number => query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)[0]?.n ?? -1;

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function ok(args: string[], options: MainOptions = {}): Promise<string> {
  const res = await runMain(args, options);
  assert.equal(res.code, 0, `${args.join(' ')}\n${res.stderr}`);
  return res.stdout;
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '--json'])) as T;
}

const statsOf = (db: string): Promise<CacheStats> => json<CacheStats>(['cache', 'stats', '--cache', db]);

describe('cache merge: the shards of several machines become one cache', () => {
  it('two --shard runs merged leave a full run nothing to ask, and merging again adds nothing', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 8);
    const a = path.join(dir, 'machine-1.db');
    const b = path.join(dir, 'machine-2.db');
    const merged = path.join(dir, 'merged.db');
    const start = server.chatRequests().length;
    const rows1 = parseJsonl(await ok([...catalog(a, ['--shard', '1/2']), folder]));
    const rows2 = parseJsonl(await ok([...catalog(b, ['--shard', '2/2']), folder]));
    assert.ok(rows1.length > 0 && rows2.length > 0, `both shards got files (${rows1.length}, ${rows2.length})`);
    assert.equal(rows1.length + rows2.length, 8);
    assert.equal(server.chatRequests().length - start, 8);
    const aBytes = await sha256Of(a);

    const report = await json<MergeReport>(['cache', 'merge', '--cache', merged, a, b]);
    assert.equal(report.results.added, 8);
    assert.equal(report.results.replaced, 0);
    assert.equal(report.jobs.added, 1, 'both machines ran the same job');
    assert.equal(report.files.added, 8);
    assert.equal(report.runs.added, 2);
    assert.equal(await sha256Of(a), aBytes, 'the merged-in cache file was modified');

    const mid = server.chatRequests().length;
    const rows3 = parseJsonl(await ok([...catalog(merged), folder]));
    assert.equal(rows3.length, 8);
    assert.ok(rows3.every((r) => r.cached === true && r.status === 'ok'), JSON.stringify(rows3.map((r) => r.cached)));
    assert.equal(server.chatRequests().length - mid, 0, 'the run on the merged cache asked the server');
    const before = new Map([...rows1, ...rows2].map((r) => [r.SourceFile, r.output]));
    for (const r of rows3) assert.equal(r.output, before.get(r.SourceFile));

    const again = await json<MergeReport>(['cache', 'merge', '--cache', merged, a, b]);
    assert.deepEqual(again.results, { added: 0, replaced: 0, kept: 8 });
    assert.equal(again.runs.added, 0);
    const pairs = query<{ n: number; distinct_pairs: number }>(
      merged, 'SELECT count(*) AS n, (SELECT count(*) FROM (SELECT DISTINCT sha256, job FROM results)) AS distinct_pairs FROM results',
    )[0];
    assert.deepEqual(pairs, { n: 8, distinct_pairs: 8 });
    assert.equal(count(merged, 'runs'), 3, 'two copied runs and the run on the merged cache');

    const stats = await statsOf(merged);
    assert.equal(stats.results, 8);
    assert.equal(stats.files, 8);
    assert.equal(stats.images, 8);
    assert.equal(stats.jobs, 1);
    assert.equal(stats.runs_total, 3);
    const groups = stats.groups;
    assert.equal(groups.length, 1);
    assert.equal(groups[0]?.prompt, 'describe');
    assert.equal(groups[0]?.model, 'test-model');
    assert.equal(groups[0]?.status, 'ok');
    assert.equal(groups[0]?.count, 8);
  });

  it('keeps a complete answer over a truncated one, whichever side it is on', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 1);
    const cut = await startFakeOpenAI({
      handler: () => ({ type: 'answer', content: 'A partial desc', finishReason: 'length', model: 'test-model' }),
    });
    const truncated = path.join(dir, 'truncated.db');
    const complete = path.join(dir, 'complete.db');
    try {
      const res = await runMain([...catalog(truncated, [], cut.url), folder]);
      assert.equal(res.code, 1, 'a truncated answer exits 1');
      const [row] = parseJsonl(res.stdout);
      assert.equal(row?.status, 'truncated');
    } finally {
      await cut.close();
    }
    await ok([...catalog(complete), folder]);

    const intoComplete = await json<MergeReport>(['cache', 'merge', '--cache', complete, truncated]);
    assert.deepEqual(intoComplete.results, { added: 0, replaced: 0, kept: 1 });
    const intoTruncated = await json<MergeReport>(['cache', 'merge', '--cache', truncated, complete]);
    assert.deepEqual(intoTruncated.results, { added: 0, replaced: 1, kept: 0 });
    for (const db of [complete, truncated]) {
      assert.deepEqual(query(db, 'SELECT status FROM results'), [{ status: 'ok' }], db);
    }
  });

  it('refuses to merge a cache into itself, or a file that is not a cache, and then changes nothing', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2);
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), folder]);
    const self = await runMain(['cache', 'merge', '--cache', cache, cache]);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /into itself/);
    const link = path.join(dir, 'link.db');
    await symlink(cache, link);
    const viaLink = await runMain(['cache', 'merge', '--cache', cache, link]);
    assert.equal(viaLink.code, 2);
    assert.match(viaLink.stderr, /into itself/);

    const foreign = path.join(dir, 'photos.lrcat');
    const other = new Database(foreign);
    other.exec('CREATE TABLE Adobe_images (id INTEGER PRIMARY KEY)');
    other.close();
    const foreignBytes = await sha256Of(foreign);
    const text = path.join(dir, 'notes.txt');
    await writeFile(text, 'not a database at all, just some words to fill a page of the file header.\n'.repeat(20));
    const target = path.join(dir, 'new.db');
    for (const bad of [foreign, text, path.join(dir, 'absent.db')]) {
      const res = await runMain(['cache', 'merge', '--cache', target, cache, bad]);
      assert.equal(res.code, 2, res.stderr);
      assert.ok(res.stderr.includes(bad), `the error names ${bad}: ${res.stderr}`);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(existsSync(target), false, 'a failed merge created the target');
    }
    assert.equal(await sha256Of(foreign), foreignBytes, 'the foreign database was changed');
  });
});

describe('cache stats and export', () => {
  it('stats counts what the runs produced, per job; export writes one parseable line per result', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 3);
    const cache = path.join(dir, 'cache.db');
    const described = parseJsonl(await ok([...catalog(cache), folder]));
    const tagged = parseJsonl(await ok([...catalog(cache, ['--prompt', 'tags']), folder]));
    await copyFile(path.join(folder, 'img-000.jpg'), path.join(folder, 'same-as-000.jpg'));
    await ok([...catalog(cache), folder]);

    const stats = await statsOf(cache);
    assert.equal(stats.path, cache);
    assert.equal(stats.schema_version, SCHEMA_VERSION);
    assert.equal(stats.files, 4);
    assert.equal(stats.images, 3);
    assert.equal(stats.jobs, 2);
    assert.equal(stats.results, 6);
    assert.deepEqual(stats.results_by_status, { ok: 6 });
    const size = stats.size;
    const specs = stats.job_specs;
    assert.equal(size.db, statSync(cache).size);
    assert.equal(size.total, size.db + size.wal + size.shm);
    assert.deepEqual(specs.map((j) => [j.prompt, j.structured]).sort(), [['describe', false], ['tags', true]]);
    assert.ok(specs.every((j) => j.backend === 'openai' && j.model === 'test-model' && j.results === 3));
    const runs = stats.runs;
    assert.equal(stats.runs_total, 3);
    assert.deepEqual(runs.map((r) => [r.total, r.cached, r.exit_code]), [[4, 4, 0], [3, 0, 0], [3, 0, 0]], 'newest run first');
    assert.ok(Date.parse(stats.oldest_result as string) <= Date.parse(stats.newest_result as string));

    const table = await ok(['cache', 'stats', '--cache', cache]);
    assert.match(table, new RegExp(`Cache +${cache.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(table, /Results +6 \(ok 6\)/);
    assert.match(table, /describe +openai +test-model +ok +3/);
    assert.match(table, /tags +openai +test-model +ok +3/);

    const lines = parseJsonl(await ok(['cache', 'export', '--cache', cache, '-q']));
    assert.equal(lines.length, 6);
    const tagsJob = specs.find((j) => j.prompt === 'tags')?.fingerprint as string;
    const byFile = new Map(described.map((r) => [r.sha256, r]));
    for (const line of lines) {
      assert.match(line.created_at as string, /^\d{4}-\d{2}-\d{2}T/);
      assert.equal(line.model, 'test-model');
      assert.equal(line.status, 'ok');
      assert.equal(line.tokens_in, 100);
      const paths = line.paths as string[];
      assert.ok(paths.length >= 1 && paths.every((p) => p.startsWith(folder)), JSON.stringify(paths));
      if (line.job === tagsJob) {
        assert.equal(line.prompt, 'tags');
        assert.ok(Array.isArray((line.output as { tags: unknown }).tags), 'a structured answer comes out as an object');
      } else {
        assert.equal(line.output, byFile.get(line.sha256)?.output);
      }
    }
    const first = lines.find((l) => l.sha256 === byFile.get(described[0]?.sha256)?.sha256);
    assert.deepEqual(first?.paths, [path.join(folder, 'img-000.jpg'), path.join(folder, 'same-as-000.jpg')]);

    const out = path.join(dir, 'tags.jsonl');
    const res = await runMain(['cache', 'export', '--cache', cache, '--job', tagsJob.slice(0, 8), '-o', out]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '');
    const onlyTags = parseJsonl(await readFile(out, 'utf8'));
    assert.equal(onlyTags.length, 3);
    const taggedBySha = new Map(tagged.map((r) => [r.sha256, r.output]));
    for (const l of onlyTags) assert.deepEqual(l.output, taggedBySha.get(l.sha256), 'export shows what the catalog showed');
    assert.equal((await ok(['cache', 'export', '--cache', cache, '--model', 'another-model', '-q'])), '');
    const unknownJob = await runMain(['cache', 'export', '--cache', cache, '--job', 'ffffffff']);
    assert.equal(unknownJob.code, 2);
    assert.match(unknownJob.stderr, /ffffffff/);
  });

  it('a cache that does not exist is an error naming it, and is not created', async () => {
    const dir = await workspace();
    const absent = path.join(dir, 'nowhere', 'cache.db');
    for (const args of [
      ['cache', 'stats', '--cache', absent],
      ['cache', 'export', '--cache', absent],
      ['cache', 'prune', '--cache', absent, '--older-than', '90d'],
      ['cache', 'vacuum', '--cache', absent],
    ]) {
      const res = await runMain(args);
      assert.equal(res.code, 2, `${args[1]}: ${res.stderr}`);
      assert.ok(res.stderr.includes(absent), res.stderr);
      assert.equal(existsSync(path.dirname(absent)), false, `${args[1]} created the cache folder`);
    }
    // The default cache comes from $GLM_VISION_CACHE.
    const res = await runMain(['cache', 'stats'], { env: { GLM_VISION_CACHE: absent } });
    assert.equal(res.code, 2);
    assert.ok(res.stderr.includes(absent));
    assert.equal(existsSync(absent), false);
  });

  it('a cache from a newer glm-vision is refused, not changed', async () => {
    const dir = await workspace();
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), await photos(dir, 1)]);
    const db = new Database(cache);
    db.pragma('user_version = 99');
    db.close();
    for (const sub of ['stats', 'vacuum']) {
      const res = await runMain(['cache', sub, '--cache', cache]);
      assert.equal(res.code, 2);
      assert.match(res.stderr, /newer glm-vision/);
    }
    assert.equal(query<{ user_version: number }>(cache, 'PRAGMA user_version')[0]?.user_version, 99);
  });
});

describe('cache prune and vacuum', () => {
  it('--missing forgets a file that is gone; when it comes back only it is asked again', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 4);
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), folder]);
    const gone = path.join(folder, 'img-002.jpg');
    const away = path.join(dir, 'img-002.jpg.bak');
    await rename(gone, away);

    const dry = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--missing', '--dry-run']);
    assert.equal(dry.dry_run, true);
    assert.equal(dry.results.missing, 1);
    assert.equal(count(cache, 'results'), 4, 'a dry run removed results');

    const text = await ok(['cache', 'prune', '--cache', cache, '--missing']);
    assert.match(text, /results removed: 1 /);
    assert.match(text, /4 paths checked, 1 gone/);
    assert.equal(count(cache, 'results'), 3);
    assert.equal(count(cache, 'files'), 3);
    assert.equal(count(cache, 'images'), 3);

    await rename(away, gone);
    const start = server.chatRequests().length;
    const rows = parseJsonl(await ok([...catalog(cache), folder]));
    assert.equal(server.chatRequests().length - start, 1);
    assert.deepEqual(rows.filter((r) => !r.cached).map((r) => r.SourceFile), [gone]);
  });

  it('--missing leaves relative paths alone unless told where they are relative to, and refuses when everything is gone', async () => {
    const dir = await workspace();
    await photos(dir, 3);
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), 'photos'], { cwd: dir });
    await rename(path.join(dir, 'photos', 'img-001.jpg'), path.join(dir, 'moved.jpg'));

    const skipped = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--missing']);
    assert.equal(skipped.files?.relative_skipped, 3);
    assert.equal(skipped.results.total, 0);
    const told = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--missing', '--relative-to', dir]);
    assert.equal(told.files?.missing, 1);
    assert.equal(told.results.missing, 1);

    await rename(path.join(dir, 'photos'), path.join(dir, 'unmounted'));
    const refused = await runMain(['cache', 'prune', '--cache', cache, '--missing', '--relative-to', dir]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /is the archive mounted/);
    assert.equal(count(cache, 'results'), 2);
    await ok(['cache', 'prune', '--cache', cache, '--missing', '--relative-to', dir, '--force']);
    assert.equal(count(cache, 'results'), 0);
    assert.equal(count(cache, 'files'), 0);
  });

  it('--older-than: a dry run removes nothing; a real one removes only older answers', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 3);
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), folder]);
    const db = new Database(cache);
    db.prepare('UPDATE results SET created_at = ? WHERE sha256 = (SELECT min(sha256) FROM results)').run(Date.now() - 100 * 86_400_000);
    db.close();

    const dry = await ok(['cache', 'prune', '--cache', cache, '--older-than', '90d', '--dry-run']);
    assert.match(dry, /dry run: nothing was removed/);
    assert.match(dry, /results that would be removed: 1 /);
    assert.equal(count(cache, 'results'), 3);
    assert.equal(count(cache, 'images'), 3);

    const real = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--older-than', '90d']);
    assert.equal(real.results.older_than, 1);
    assert.equal(real.images, 1);
    assert.equal(count(cache, 'results'), 2);
    assert.equal(count(cache, 'files'), 3, 'the file index is kept: the hashes are still right');
    const none = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--older-than', '2w']);
    assert.equal(none.results.total, 0);
  });

  it('--unused-for drops the answers of a job no run has used lately; --job alone drops one job', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2);
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache, ['--prompt', 'caption']), folder]);
    await ok([...catalog(cache), folder]);
    const old = (await statsOf(cache)).job_specs.find((j) => j.prompt === 'caption')?.fingerprint as string;
    const db = new Database(cache);
    const longAgo = Date.now() - 200 * 86_400_000;
    db.prepare('UPDATE runs SET started_at = ? WHERE job = ?').run(longAgo, old);
    db.prepare('UPDATE jobs SET created_at = ? WHERE fingerprint = ?').run(longAgo, old);
    db.close();

    const report = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--unused-for', '180d']);
    assert.equal(report.results.unused, 2);
    assert.deepEqual(query(cache, 'SELECT DISTINCT prompt FROM results'), [{ prompt: 'describe' }]);
    assert.equal(count(cache, 'images'), 2, 'images still used by the other job stay');

    const describeJob = query<{ job: string }>(cache, 'SELECT DISTINCT job FROM results')[0]?.job as string;
    const dropped = await json<PruneReport>(['cache', 'prune', '--cache', cache, '--job', describeJob.slice(0, 10)]);
    assert.equal(dropped.results.job, 2);
    assert.equal(count(cache, 'results'), 0);
    assert.equal(count(cache, 'images'), 0);
  });

  it('rejects a bad age naming the value, and a prune with no criterion', async () => {
    const dir = await workspace();
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), await photos(dir, 1)]);
    const ambiguous = await runMain(['cache', 'prune', '--cache', cache, '--older-than', '6m']);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /--older-than but received "6m".*ambiguous/);
    const nonsense = await runMain(['cache', 'prune', '--cache', cache, '--unused-for', 'soon']);
    assert.equal(nonsense.code, 2);
    assert.match(nonsense.stderr, /--unused-for but received "soon"/);
    const nothing = await runMain(['cache', 'prune', '--cache', cache]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /Nothing to prune/);
    assert.equal(count(cache, 'results'), 1);
  });

  it('--lock skip exits 75 while a catalog run holds the cache; --lock wait goes ahead once it is released', async () => {
    const dir = await workspace();
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), await photos(dir, 1)]);
    const other = path.join(dir, 'other.db');
    await ok([...catalog(other, ['--prompt', 'caption']), path.join(dir, 'photos')]);
    // A live run's lock: a fresh lock folder beside the cache.
    await mkdir(`${cache}.lock`);
    for (const args of [['prune', '--older-than', '0s'], ['vacuum'], ['merge', other]]) {
      // A separate process: the lock is another process's.
      const res = await runCli(['cache', args[0] as string, '--cache', cache, '--lock', 'skip', ...args.slice(1)]);
      assert.equal(res.code, 75, `${args[0]}: ${res.stderr}`);
      assert.match(res.stderr, /another glm-vision run is using the cache/);
    }
    assert.equal(count(cache, 'results'), 1);

    const waiting = startCli(['cache', 'prune', '--cache', cache, '--older-than', '0s']);
    await new Promise<void>((resolve) => {
      const check = (chunk: Buffer | string): void => {
        if (String(chunk).includes('waiting for the glm-vision run')) resolve();
      };
      waiting.child.stderr?.on('data', check);
      // Exited without waiting: the assertions below say why.
      void waiting.done.then(() => resolve());
    });
    assert.equal(count(cache, 'results'), 1, 'pruned while the lock was held');
    await rm(`${cache}.lock`, { recursive: true });
    const res = await waiting.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(count(cache, 'results'), 0);
  });

  it('vacuum keeps every answer and empties the WAL', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 6);
    const cache = path.join(dir, 'cache.db');
    await ok([...catalog(cache), folder]);
    await ok([...catalog(cache, ['--prompt', 'caption']), folder]);
    await ok(['cache', 'prune', '--cache', cache, '--job', (await statsOf(cache)).job_specs[0]?.fingerprint as string]);
    const exported = await ok(['cache', 'export', '--cache', cache, '-q']);
    const statsBefore = await statsOf(cache);

    const report = await json<VacuumReport>(['cache', 'vacuum', '--cache', cache]);
    assert.ok(report.before.total > 0);
    assert.equal(report.after.wal, 0);
    assert.equal(await ok(['cache', 'export', '--cache', cache, '-q']), exported);
    const statsAfter = await statsOf(cache);
    for (const key of ['files', 'images', 'jobs', 'results', 'runs_total', 'groups'] as const) {
      assert.deepEqual(statsAfter[key], statsBefore[key], key);
    }
    const text = await ok(['cache', 'vacuum', '--cache', cache]);
    assert.match(text, /before, .* after/);
    const rows = parseJsonl(await ok([...catalog(cache), folder]));
    assert.equal(rows.length, 6);
  });
});
