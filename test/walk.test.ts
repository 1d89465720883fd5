// The walk streams the tree folder by folder; its order must be exactly a sort of
// all the paths (what the catalog's rows have always followed), across nested
// and overlapping inputs, and the cache must find a streamed batch's answers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/cache/open.js';
import { CacheStore } from '../src/cache/store.js';
import { mergeSorted } from '../src/pipeline/sorted-merge.js';
import { planWalk, type FileEntry, type WalkOptions } from '../src/pipeline/walk.js';
import { WALK_BATCH } from '../src/pipeline/walk-folder.js';
import { walkInThread } from '../src/pipeline/walk-thread.js';
import { NoInput } from '../src/support/errors.js';

const OPTIONS: WalkOptions = { include: [], exclude: [], hidden: false, followSymlinks: false };
/** The second pass here, and in its worker thread (which a walk of 10,000 files and more gets). */
const MODES: [string, Partial<WalkOptions>][] = [['here', { threadFrom: Infinity }], ['in its worker thread', { threadFrom: 0 }]];
const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function streamed(inputs: string[], options: Partial<WalkOptions> = {}): Promise<{ batches: FileEntry[][]; count: number }> {
  const walk = await planWalk(inputs, { ...OPTIONS, ...options });
  const { found } = await walk.count();
  const batches: FileEntry[][] = [];
  for await (const batch of walk.files()) batches.push(batch);
  return { batches, count: found };
}

for (const [mode, thread] of MODES) describe(`the streaming walk, second pass ${mode}`, () => {
  let root: string;
  /** Every image path below root, as `find` would list them, sorted as strings. */
  const expected: string[] = [];

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'glmv-walk-'));
    // Names whose order differs between "sort each folder by name" and "sort the whole paths":
    // '-' and '.' sort before '/', so a-b/ and a.jpg come before a/ … but after a folder named "a" by name.
    const files = [
      'a/x.jpg', 'a/y/z.jpg', 'a-b/x.jpg', 'a.jpg', 'a0.jpg', 'b.jpg', 'b/c.jpg', 'b.d/e.jpg', 'B.jpg', '中文/图.jpg',
      'deep/1/2/3/4.png', 'deep/1.png', 'deep/1/2.png', 'x😀/y.jpg', 'x\uE000/y.jpg', 'x/y.jpg',
      ...Array.from({ length: WALK_BATCH + 30 }, (_, i) => `big/f${String(i).padStart(4, '0')}.jpg`),
      'big/sub/inside.jpg', 'big/f0100.jpg.d/q.jpg',
    ];
    for (const f of files) {
      await mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await writeFile(path.join(root, f), 'x');
      expected.push(path.join(root, f));
    }
    await writeFile(path.join(root, 'a', 'notes.txt'), 'not an image');
    expected.sort(byPath);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives every file once, in the order of a sort of all the paths, in batches of at most WALK_BATCH', async () => {
    const { batches, count } = await streamed([root], thread);
    assert.deepEqual(batches.flat().map((f) => f.path), expected);
    assert.equal(count, expected.length);
    assert.ok(batches.every((b) => b.length > 0 && b.length <= WALK_BATCH), `batch sizes ${batches.map((b) => b.length).join(',')}`);
  });

  it('merges overlapping inputs into one sorted stream; the first input that finds a path keeps it', async () => {
    const inner = path.join(root, 'a');
    const named = path.join(root, 'b.jpg');
    const { batches } = await streamed([inner, root, named, path.join(root, 'deep')], thread);
    const flat = batches.flat();
    assert.deepEqual(flat.map((f) => f.path), expected);
    // a/x.jpg was found first under the input "a": its relative path is below that input.
    assert.equal(flat.find((f) => f.path === path.join(root, 'a/x.jpg'))?.relativePath, 'x.jpg');
    assert.equal(flat.find((f) => f.path === named)?.relativePath, 'b.jpg');
    assert.equal(flat.find((f) => f.path === path.join(root, 'deep/1.png'))?.relativePath, 'deep/1.png');
  });

  it('checks every input before the first file: a missing one is NoInput (exit 66) before anything is walked', async () => {
    await assert.rejects(planWalk([root, path.join(root, 'missing')], OPTIONS), (e: Error & { code?: string }) => {
      assert.match(e.message, /No such file or folder: .*missing/);
      return true;
    });
  });

  it('follows symlinked folders in their place and skips a loop once, in the counting pass', async () => {
    const linked = await mkdtemp(path.join(tmpdir(), 'glmv-walk-link-'));
    try {
      await mkdir(path.join(linked, 'real'));
      await writeFile(path.join(linked, 'real', 'p.jpg'), 'x');
      await symlink(path.join(linked, 'real'), path.join(linked, 'link'));
      await symlink(linked, path.join(linked, 'real', 'loop'));
      const skipped: string[] = [];
      const { batches, count } = await streamed([linked], { ...thread, followSymlinks: true, onSkip: (p, why) => void skipped.push(`${p}: ${why}`) });
      assert.deepEqual(batches.flat().map((f) => path.relative(linked, f.path)), ['link/p.jpg', 'real/p.jpg']);
      assert.equal(count, 2);
      assert.deepEqual(skipped.sort(), [`${path.join(linked, 'link', 'loop')}: symlink loop`, `${path.join(linked, 'real', 'loop')}: symlink loop`]);
    } finally {
      await rm(linked, { recursive: true, force: true });
    }
  });

  it('says in the second pass what it finds is not a file, and reads a name that is not UTF-8 by its bytes', async () => {
    const odd = await mkdtemp(path.join(tmpdir(), 'glmv-walk-odd-'));
    try {
      execFileSync('mkfifo', [path.join(odd, 'pipe.jpg')]);
      const raw = Buffer.concat([Buffer.from(`${odd}/`), Buffer.from([0x66, 0xff, 0x2e, 0x6a, 0x70, 0x67])]);
      await writeFile(raw, 'x');
      await writeFile(path.join(odd, 'z.jpg'), 'x');
      const skipped: string[] = [];
      const { batches } = await streamed([odd], { ...thread, onSkip: (p, why) => void skipped.push(`${path.basename(p)}: ${why}`) });
      const files = batches.flat();
      assert.deepEqual(files.map((f) => path.basename(f.path)), ['f\\xff.jpg', 'z.jpg']);
      assert.deepEqual(files[0]?.fsPath, raw);
      assert.ok(Buffer.isBuffer(files[0]?.fsPath));
      assert.deepEqual(skipped, ['pipe.jpg: a FIFO']);
    } finally {
      await rm(odd, { recursive: true, force: true });
    }
  });

  it('an input folder gone by the second pass ends it with NoInput (exit 66)', async () => {
    const gone = await mkdtemp(path.join(tmpdir(), 'glmv-walk-gone-'));
    await writeFile(path.join(gone, 'a.jpg'), 'x');
    const walk = await planWalk([gone], { ...OPTIONS, ...thread });
    assert.equal((await walk.count()).found, 1);
    await rm(gone, { recursive: true });
    // The thread starts its pass while the first one counts: there the folder is gone before either.
    const files = thread.threadFrom === 0 ? walkInThread([{ order: 0, folder: gone, root: '0:0', floor: `${gone}/` }], OPTIONS) : walk.files();
    await assert.rejects(
      (async () => { for await (const _ of files) { /* read to the end */ } })(),
      (e: Error) => e instanceof NoInput && /Cannot open the folder .*ENOENT/.test(e.message),
    );
  });
});

it('the second pass gives the same files, stamps and batches in its worker thread as here', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'glmv-walk-same-'));
  try {
    for (const f of ['a.jpg', 'b/c.png', 'b/d/e.pdf', ...Array.from({ length: WALK_BATCH + 5 }, (_, i) => `big/${i}.jpg`)]) {
      await mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await writeFile(path.join(root, f), f);
    }
    const [here, thread] = await Promise.all(MODES.map(([, options]) => streamed([root, path.join(root, 'a.jpg')], options)));
    assert.deepEqual(thread, here);
    assert.equal(here?.batches.flat().length, WALK_BATCH + 8);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

describe('mergeSorted', () => {
  const source = (order: number, floor: string, items: string[][]) => ({
    order, floor, opened: false,
    open() {
      this.opened = true;
      return (async function* () { yield* items; })();
    },
  });

  it('opens a source only when the merge reaches its floor', async () => {
    const first = source(0, 'a/', [['a/1', 'a/2']]);
    const second = source(1, 'b/', [['b/1']]);
    const it = mergeSorted([second, first], (s) => s, 1);
    assert.deepEqual((await it.next()).value, ['a/1']);
    assert.equal(second.opened, false, 'b/ is not needed before a/ is done');
    const rest: string[] = [];
    for await (const b of it) rest.push(...b);
    assert.deepEqual(rest, ['a/2', 'b/1']);
  });

  it('keeps one of equal keys, from the source with the lower order', async () => {
    const items: [string, number][] = [];
    const a = { order: 1, floor: 'x/', open: () => (async function* () { yield [['x/1', 1], ['x/2', 1]] as [string, number][]; })() };
    const b = { order: 0, floor: 'x/', open: () => (async function* () { yield [['x/2', 0]] as [string, number][]; yield [['x/3', 0]] as [string, number][]; })() };
    for await (const batch of mergeSorted([a, b], (t) => t[0], 2)) items.push(...batch);
    assert.deepEqual(items, [['x/1', 1], ['x/2', 0], ['x/3', 0]]);
  });
});

describe('looking up a streamed batch in the cache', () => {
  it('finds each unchanged file, misses changed and unknown ones, whatever else the files table holds in the range', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'glmv-lookup-'));
    try {
      const db = openDatabase(path.join(dir, 'cache.db'));
      const store = new CacheStore(db);
      store.registerJob('job', {});
      const stamp = (p: string, size = 1) => ({ path: p, size, mtimeMs: 1000, ino: 7 });
      const known = ['d/a.jpg', 'd/b😀.jpg', 'd/c.jpg', 'd/e\uE000.jpg', 'd/f.jpg', 'd/x😀.jpg', 'd/x\uE000.jpg'];
      for (const [i, p] of known.entries()) {
        store.rememberHash(stamp(p), `sha${i}`);
        store.saveResult(`sha${i}`, 'job', { status: 'ok', output: `answer ${i}`, prompt: 'p', model: 'm', tokensIn: null, tokensOut: null, latencyMs: null });
      }
      // In the batch's range but not in the batch: a deleted file, an excluded folder's file.
      store.rememberHash(stamp('d/b.jpg'), 'gone');
      store.rememberHash(stamp('d/c/x.jpg'), 'sha2');
      const batch = [stamp('d/a.jpg'), stamp('d/b😀.jpg'), stamp('d/c.jpg', 2), stamp('d/d.jpg'), stamp('d/e\uE000.jpg'), stamp('d/f.jpg')];
      const hits = store.lookupMany(batch, 'job');
      assert.deepEqual(hits.map((h) => h?.result.output), ['answer 0', 'answer 1', undefined, undefined, 'answer 3', 'answer 4']);
      // JavaScript sorts U+1F600 (a surrogate pair) before U+E000, SQLite after: a range from one to the other would be empty.
      const astral = [stamp('d/x😀.jpg'), stamp('d/x\uE000.jpg')];
      assert.ok((astral[0]?.path as string) < (astral[1]?.path as string));
      assert.deepEqual(store.lookupMany(astral, 'job').map((h) => h?.sha256), ['sha5', 'sha6']);
      // Without astral characters the range scan answers; the same answers either way.
      const plain = [stamp('d/a.jpg'), stamp('d/c.jpg'), stamp('d/f.jpg')];
      assert.deepEqual(store.lookupMany(plain, 'job').map((h) => h?.sha256), ['sha0', 'sha2', 'sha4']);
      // Out of order (not as the walk gives it): still right.
      assert.deepEqual(store.lookupMany([...plain].reverse(), 'job').map((h) => h?.sha256), ['sha4', 'sha2', 'sha0']);
      assert.equal(new Database(path.join(dir, 'cache.db'), { readonly: true }).prepare('SELECT count(*) FROM files').pluck().get(), 9);
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
