// Reviews and content identities in the cache tools: merge carries them (the later of two decisions
// wins), prune never removes a review whose image an indexed file still has, export and stats show them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage, makeMultiPageTiff } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { allReviews, REVIEWED_AT, saveReviews } from './helpers/reviews.js';
import type { MergeReport } from '../src/cache/merge.js';
import type { PruneReport } from '../src/cache/prune.js';
import type { CacheStats } from '../src/cache/stats.js';

const workspace = scratchFolders('glmv-review-cache-');
type Row = Record<string, unknown>;

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

async function ok(args: string[], cwd?: string): Promise<string> {
  const res = await runMain(args, cwd === undefined ? {} : { cwd });
  assert.equal(res.code, 0, `${args.join(' ')}\n${res.stderr}`);
  return res.stdout;
}

/** A catalog run over `folder`: its rows by file name (and page), and how many requests it sent. */
async function catalog(cache: string, folder: string): Promise<{ rows: Map<string, Row>; requests: number }> {
  const before_ = server.chatRequests().length;
  const out = await ok(['catalog', folder, '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '-q', '--format', 'jsonl']);
  const rows = parseJsonl(out);
  return {
    rows: new Map(rows.map((r) => [`${path.basename(String(r.SourceFile))}${r.page === null ? '' : `#${String(r.page)}`}`, r])),
    requests: server.chatRequests().length - before_,
  };
}

async function archive(dir: string): Promise<string> {
  const folder = path.join(dir, 'photos');
  await mkdir(folder, { recursive: true });
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'].entries()) await makeImage(path.join(folder, name), { width: 70 + i, height: 50, seed: 40 + i });
  await makeMultiPageTiff(path.join(folder, 'doc.tif'), ['#102030', '#a0b0c0']);
  return folder;
}

const count = (db: string, table: string): number => {
  const handle = new Database(db, { readonly: true });
  try {
    return (handle.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    handle.close();
  }
};

const reviewed = (rows: Map<string, Row>): Record<string, unknown> =>
  Object.fromEntries([...rows].filter(([, r]) => r.review !== null).map(([k, r]) => [k, [r.review, r.reviewer]]));

describe('cache merge carries reviews and content identities', () => {
  it('a merged cache applies the reviews, knows images by content, and keeps the later of two decisions', async () => {
    const dir = await workspace();
    const folder = await archive(dir);
    const one = path.join(dir, 'one.db');
    const two = path.join(dir, 'two.db');
    const merged = path.join(dir, 'merged.db');
    const { rows } = await catalog(one, folder);
    saveReviews(one, [
      { row: rows.get('a.jpg') as Row, decision: 'accepted' },
      { row: rows.get('b.jpg') as Row, decision: 'edited', output: 'B, edited on machine one.' },
      { row: rows.get('doc.tif#2') as Row, decision: 'rejected' },
    ]);
    // Machine two reviewed b later, and a earlier.
    await catalog(two, folder);
    saveReviews(two, [
      { row: rows.get('b.jpg') as Row, decision: 'edited', output: 'B, edited later on machine two.', reviewer: 'wang', reviewedAt: REVIEWED_AT + 60_000 },
      { row: rows.get('a.jpg') as Row, decision: 'rejected', reviewer: 'wang', reviewedAt: REVIEWED_AT - 60_000 },
    ]);

    const report = JSON.parse(await ok(['cache', 'merge', one, two, '--cache', merged, '--json'])) as MergeReport;
    assert.deepEqual(report.reviews, { added: 3, replaced: 1, kept: 1 });
    assert.equal(report.contents.added, count(one, 'contents'));
    assert.ok(report.contents.added >= 4, 'the images have content identities');
    assert.equal(count(merged, 'contents'), count(one, 'contents'));

    // Metadata written into a file after the merge: known by its content through the merged identities.
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Description=written back', path.join(folder, 'b.jpg')]);
    const after_ = await catalog(merged, folder);
    assert.equal(after_.requests, 0, 'nothing asked: answers and identities came with the merge');
    assert.deepEqual(reviewed(after_.rows), {
      'a.jpg': ['accepted', 'li'], 'b.jpg': ['edited', 'wang'], 'doc.tif#2': ['rejected', 'li'],
    });
    assert.equal(after_.rows.get('b.jpg')?.output, 'B, edited later on machine two.');

    const before_ = allReviews(merged);
    const again = JSON.parse(await ok(['cache', 'merge', one, two, '--cache', merged, '--json'])) as MergeReport;
    assert.deepEqual(again.reviews, { added: 0, replaced: 0, kept: 5 });
    assert.deepEqual(allReviews(merged), before_, 'merging again changes nothing');
    assert.match(await ok(['cache', 'merge', one, '--cache', merged]), /content identities 0 added; reviews 0 added, 0 replaced, 3 kept/);
  });
});

describe('cache prune never removes a review whose image is still there', () => {
  it('--older-than and --job keep every review; --missing removes only those of images no indexed file has', async () => {
    const dir = await workspace();
    const folder = await archive(dir);
    const cache = path.join(dir, 'cache.db');
    const { rows } = await catalog(cache, folder);
    const job = String(rows.get('a.jpg')?.job);
    saveReviews(cache, ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'doc.tif#1'].map((k) => ({ row: rows.get(k) as Row, decision: 'accepted' as const })));
    const all = allReviews(cache);
    assert.equal(all.length, 5);

    const prune = async (...args: string[]): Promise<PruneReport> =>
      JSON.parse(await ok(['cache', 'prune', '--cache', cache, '--json', ...args])) as PruneReport;
    const old = await prune('--older-than', '2999-01-01');
    assert.equal(old.results.total, 6, 'every answer is gone (4 images, 2 pages)');
    assert.equal(old.reviews, 0);
    assert.deepEqual(allReviews(cache), all);
    await catalog(cache, folder);
    assert.equal((await prune('--job', job.slice(0, 8))).results.job, 6);
    assert.deepEqual(allReviews(cache), all, '--job alone keeps the reviews');
    await catalog(cache, folder);

    // b: metadata written back (another file hash, the same image); c: a copy stays while the
    // original goes; d: gone; the document stays.
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Description=written back', path.join(folder, 'b.jpg')]);
    await copyFile(path.join(folder, 'c.jpg'), path.join(folder, 'copy of c.jpg'));
    await catalog(cache, folder);
    await rm(path.join(folder, 'c.jpg'));
    await rm(path.join(folder, 'd.jpg'));
    const dry = await prune('--missing', '--dry-run');
    assert.equal(dry.reviews, 1);
    assert.deepEqual(allReviews(cache), all, 'a dry run removes nothing');
    const missing = await prune('--missing');
    assert.deepEqual([missing.files?.missing, missing.reviews], [2, 1]);
    assert.deepEqual(allReviews(cache).map((r) => r.path), all.map((r) => r.path).filter((p) => !p?.endsWith('d.jpg')));
    assert.match(await ok(['cache', 'prune', '--cache', cache, '--missing', '--dry-run']), /file index: \d+ paths checked, 0 gone/);

    const again = await catalog(cache, folder);
    assert.deepEqual(reviewed(again.rows), { 'a.jpg': ['accepted', 'li'], 'b.jpg': ['accepted', 'li'], 'copy of c.jpg': ['accepted', 'li'], 'doc.tif#1': ['accepted', 'li'] });
  });
});

describe('cache export and stats show the reviews', () => {
  it('export: each answer with its content identity and the decision on it; stats: how many of each', async () => {
    const dir = await workspace();
    const folder = await archive(dir);
    const cache = path.join(dir, 'cache.db');
    const { rows } = await catalog(cache, folder);
    saveReviews(cache, [
      { row: rows.get('a.jpg') as Row, decision: 'edited', output: 'Edited.' },
      { row: rows.get('b.jpg') as Row, decision: 'accepted' },
      { row: rows.get('c.jpg') as Row, decision: 'rejected', modelOutput: 'an older answer' },
    ]);
    const lines = new Map(parseJsonl(await ok(['cache', 'export', '--cache', cache, '-q'])).map((l) => [l.sha256, l]));
    const line = (k: string): Row => lines.get(rows.get(k)?.sha256) as Row;
    assert.deepEqual(line('a.jpg').review, {
      decision: 'edited', reviewer: 'li', reviewed_at: new Date(REVIEWED_AT).toISOString(), output: 'Edited.', model_output: rows.get('a.jpg')?.output, applies: true,
    });
    assert.equal((line('b.jpg').review as Row).applies, true);
    assert.deepEqual([(line('c.jpg').review as Row).applies, (line('c.jpg').review as Row).model_output], [false, 'an older answer']);
    assert.equal(line('d.jpg').review, null);
    assert.match(String(line('d.jpg').content), /^jpeg:/);

    const stats = JSON.parse(await ok(['cache', 'stats', '--cache', cache, '--json'])) as CacheStats;
    assert.deepEqual(stats.reviews, { total: 3, accepted: 1, edited: 1, rejected: 1 });
    assert.match(await ok(['cache', 'stats', '--cache', cache]), /Reviews +3 \(accepted 1, edited 1, rejected 1\)/);
  });
});
