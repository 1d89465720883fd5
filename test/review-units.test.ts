// `glm-vision review`'s pieces on their own: the README's options table against the option table,
// the state rules, stepping through matches, the LRU, field kinds from a schema, the rows of a
// cache job read straight from the tables (several renders of a page, content keys), and pictures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/cache/open.js';
import { ReviewStore, type Review } from '../src/cache/reviews.js';
import { optionsTableMarkdown } from '../src/config/options-table.js';
import { latestJob, rowsOfJob } from '../src/review/cache-rows.js';
import { fieldSpecs } from '../src/review/fields.js';
import { ImageServer } from '../src/review/images.js';
import { ByteLru } from '../src/review/lru.js';
import { RowQuery } from '../src/review/row-query.js';
import { RowStates, stateOf } from '../src/review/row-states.js';
import type { ReviewRow } from '../src/review/rows.js';
import { scratchFolders } from './helpers/cli.js';
import { makeImage } from './helpers/images.js';
import { GENERATED, readmeOptionsTable } from './tools/readme-options.js';
import { README } from './tools/readme-settings.js';

const workspace = scratchFolders('glmv-review-units-');

const review = (over: Partial<Review>): Review => ({
  key: 'k', job: 'j', decision: 'accepted', output: null, modelOutput: 'answer', reviewer: 'r', reviewedAt: 1, revision: 1, path: 'a.jpg', sha256: 's', ...over,
});

describe('review: pieces', () => {
  it("README's options tables are the ones the option table makes", () => {
    const readme = readFileSync(README, 'utf8');
    for (const command of GENERATED) {
      assert.equal(readmeOptionsTable(readme, command), optionsTableMarkdown(command),
        `README.md's glm-vision ${command} options differ from the option table; run: node --import tsx test/tools/readme-options.ts`);
    }
  });

  it('a decision applies as in the catalog: an edit always, an acceptance or rejection only to its answer', () => {
    assert.equal(stateOf(undefined, 'answer', undefined), 'unreviewed');
    assert.equal(stateOf(review({}), 'answer', undefined), 'accepted');
    assert.equal(stateOf(review({ decision: 'rejected' }), 'answer', undefined), 'rejected');
    assert.equal(stateOf(review({}), 'another answer', undefined), 'stale');
    assert.equal(stateOf(review({ decision: 'edited', output: 'x' }), 'another answer', undefined), 'edited');
    assert.equal(stateOf(undefined, 'answer', review({ key: 'an older picture' })), 'stale');
  });

  it('steps to the next or previous match from any row, matching or not', () => {
    const ids = [2, 5, 9];
    assert.deepEqual([0, 2, 3, 5, 8, 9].map((id) => RowQuery.step(ids, id, 1)), [0, 1, 1, 2, 2, -1]);
    assert.deepEqual([0, 2, 3, 5, 9, 10].map((id) => RowQuery.step(ids, id, -1)), [-1, -1, 0, 0, 1, 2]);
    assert.equal(RowQuery.step([], 1, 1), -1);
  });

  it('the image LRU keeps the latest used within its bytes', () => {
    const lru = new ByteLru<Buffer>(10);
    lru.set('a', Buffer.alloc(4));
    lru.set('b', Buffer.alloc(4));
    assert.ok(lru.get('a'));
    lru.set('c', Buffer.alloc(4));
    assert.deepEqual(['a', 'b', 'c'].map((k) => lru.get(k) !== undefined), [true, false, true]);
    lru.set('big', Buffer.alloc(11));
    assert.equal(lru.get('big'), undefined);
    assert.equal(lru.size, 8);
  });

  it('field kinds from the schema, then from the values of fields it does not name', () => {
    const specs = fieldSpecs({
      type: 'object',
      properties: {
        title: { type: 'string' }, total: { type: ['number', 'null'] }, paid: { type: 'boolean' }, method: { type: 'string', enum: ['cash', 'card'] },
        tags: { type: 'array', items: { type: 'string' } }, sizes: { type: 'array', items: { type: 'integer' } }, items: { type: 'array', items: { type: 'object' } },
      },
    }, { title: 't', extra: ['x'], n: 3 });
    assert.deepEqual(specs.map((s) => [s.name, s.kind, s.nullable, s.items ?? s.options ?? null]), [
      ['title', 'text', false, null], ['total', 'number', true, null], ['paid', 'boolean', false, null], ['method', 'choice', false, ['cash', 'card']],
      ['tags', 'list', false, 'string'], ['sizes', 'list', false, 'number'], ['items', 'json', false, null],
      ['extra', 'list', true, 'string'], ['n', 'number', true, null],
    ]);
  });

  it("a cache job's rows: files by path with their content keys, each page once with its latest answer", () => {
    const db = openDatabase(':memory:');
    const ins = (sql: string, ...values: unknown[]): void => void db.prepare(sql).run(...values);
    ins("INSERT INTO jobs VALUES ('old', '{}', 1), ('job', '{}', 2)");
    ins("INSERT INTO runs (started_at, args, job) VALUES (1, '[]', 'old'), (2, '[]', 'job'), (3, '[]', NULL)");
    ins("INSERT INTO files VALUES ('b.jpg', 1, 1, 1, 'sb', 1), ('a.jpg', 1, 1, 2, 'sa', 1), ('d.pdf', 1, 1, 3, 'sd', 1)");
    ins("INSERT INTO contents VALUES ('sa', 'content-a')");
    ins("INSERT INTO documents VALUES ('sd', 2)");
    ins("INSERT INTO pages VALUES ('sd', 'pdf, 150 dpi', 1, 'p1', 't1', 10, 20), ('sd', 'pdf, 300 dpi', 1, 'p1b', 't1b', 20, 40), ('sd', 'pdf, 150 dpi', 2, 'p2', 't2', 10, 20)");
    const result = "INSERT INTO results VALUES (?, ?, 'ok', ?, 'describe', 'm', NULL, NULL, NULL, ?)";
    ins(result, 'sa', 'job', 'answer a', 1);
    ins(result, 'sb', 'job', 'answer b', 1);
    ins(result, 'sb', 'old', 'old answer b', 1);
    ins(result, 'p1', 'job', 'page one', 1);
    ins(result, 'p1b', 'job', 'page one, sharper', 2);
    ins(result, 't2', 'job', 'page two with text', 1);
    assert.equal(latestJob(db, ':memory:'), 'job');
    const rows = rowsOfJob(db, 'job');
    assert.deepEqual(rows.map((r) => [r.id, r.source, r.page, r.pages, r.raw, r.keys?.review, r.format]), [
      [0, 'a.jpg', null, null, 'answer a', 'content-a', null],
      [1, 'b.jpg', null, null, 'answer b', 'sb', null],
      [2, 'd.pdf', 1, 2, 'page one, sharper', 'p1b', 'pdf'],
      [3, 'd.pdf', 2, 2, 'page two with text', 't2', 'pdf'],
    ]);
    // A review of b.jpg's answer, and one of a.jpg's older picture under its path.
    const store = new ReviewStore(db);
    store.save(review({ key: 'sb', job: 'job', modelOutput: 'answer b', path: 'b.jpg' }), 0);
    store.save(review({ key: 'content-old', job: 'job', path: 'a.jpg' }), 0);
    const states = new RowStates(rows, store, new Set(['job']));
    assert.deepEqual(rows.map((r) => states.state(r.id)), ['stale', 'accepted', 'unreviewed', 'unreviewed']);
    assert.equal(states.counts().unreviewed, 3);
    db.close();
  });

  it('pictures are made when asked: turned as the model saw them, scaled down, kept; a missing or broken file is said so', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'turned.jpg'), { width: 400, height: 200, seed: 31 });
    const turned = await sharp(path.join(dir, 'turned.jpg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    await writeFile(path.join(dir, 'turned.jpg'), turned);
    await writeFile(path.join(dir, 'broken.jpg'), 'not a picture');
    const images = new ImageServer({ base: dir, maxInputPixels: 1e8, concurrency: 1, cacheBytes: 1 << 20 });
    const row = (id: number, source: string): ReviewRow => ({
      id, source, page: null, pages: null, sha256: 's', job: 'j', status: 'ok', error: null, prompt: 'p', model: 'm', width: null, height: null, format: null, answer: 'a',
    });
    try {
      const large = await images.get(row(0, 'turned.jpg'), 'large');
      const thumb = await images.get(row(0, 'turned.jpg'), 'thumb');
      assert.ok(large.kind === 'image' && thumb.kind === 'image');
      const [l, t] = await Promise.all([sharp(large.data).metadata(), sharp(thumb.data).metadata()]);
      assert.deepEqual([l.format, l.width, l.height, t.width, t.height], ['webp', 200, 400, 80, 160]);
      assert.equal((await images.get(row(0, 'turned.jpg'), 'large') as { data: Buffer }).data, large.data, 'made once, then kept');
      assert.deepEqual(await images.get(row(1, 'gone.jpg'), 'large'), { kind: 'missing' });
      assert.equal((await images.get(row(2, 'broken.jpg'), 'thumb')).kind, 'unreadable');
    } finally {
      await images.close();
    }
  });
});
