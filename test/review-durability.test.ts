// `glm-vision review` and the cache: a saved decision survives kill -9 of the server; a review of a
// cache job (no catalog) lists images and the pages of documents; a decision that no longer applies
// (the image or the model's answer changed) is "needs review again"; and the command's refusals.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI, type Handler, defaultReply } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { makePdf } from './helpers/pdfs.js';
import { api, raw, startReview, stopReview, type RunningReview } from './helpers/review.js';

const workspace = scratchFolders('glmv-review-cache-');
let server: FakeOpenAI;
let dir: string;

/** Answers name a version, so a --refresh run gets other answers for the same images. */
const answers = (version: string): Handler => (req) => {
  const reply = defaultReply(req);
  return reply.type === 'answer' ? { ...reply, content: `${version}: ${String(reply.content)}` } : reply;
};

function catalog(extra: string[] = []): ReturnType<typeof runMain> {
  return runMain(['catalog', 'docs', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', 'cache.db', '-q', '-j', '1', ...extra], { cwd: dir });
}

interface RowSummary { n: number; source: string; page: number | null; state: string; id: number }

async function rowsOf(r: RunningReview, filter = 'all'): Promise<RowSummary[]> {
  return (await api(r, `/api/rows?filter=${filter}&limit=500`)).json.rows as RowSummary[];
}

before(async () => {
  server = await startFakeOpenAI({ handler: answers('v1') });
  dir = await workspace();
  await makeImage(path.join(dir, 'docs', 'a.jpg'), { width: 320, height: 240, seed: 21 });
  await makeImage(path.join(dir, 'docs', 'b.jpg'), { width: 320, height: 240, seed: 22 });
  await makeImage(path.join(dir, 'docs', 'c.png'), { width: 200, height: 300, format: 'png', seed: 23 });
  await writeFile(path.join(dir, 'docs', 'd.pdf'), await makePdf([{ kind: 'scan', seed: 24 }, { kind: 'text', text: 'Page two' }]));
  const r = await catalog();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(parseJsonl(r.stdout).length, 5);
});

after(async () => {
  await server.close();
});

describe('review of a cache job', () => {
  let review: RunningReview;
  after(async () => {
    if (review) await stopReview(review);
  });

  it('without a catalog: the latest run\'s job, images and the pages of documents, each page\'s picture rendered when asked', async () => {
    review = await startReview(['--cache', 'cache.db', '--reviewer', 'kim'], dir);
    const rows = await rowsOf(review);
    assert.deepEqual(rows.map((r) => [r.source, r.page, r.state]), [
      ['docs/a.jpg', null, 'unreviewed'], ['docs/b.jpg', null, 'unreviewed'], ['docs/c.png', null, 'unreviewed'],
      ['docs/d.pdf', 1, 'unreviewed'], ['docs/d.pdf', 2, 'unreviewed'],
    ]);
    const picture = await fetch(`${review.origin}/api/image/4?size=large`, { headers: { 'x-review-token': review.token } });
    assert.equal(picture.headers.get('content-type'), 'image/webp');
    const meta = await sharp(Buffer.from(await picture.arrayBuffer())).metadata();
    assert.equal(meta.format, 'webp');
    assert.ok((meta.height ?? 0) > (meta.width ?? 0), 'an A4 page, upright');
    const thumb = await sharp(Buffer.from(await (await fetch(`${review.origin}/api/image/0?size=thumb`, { headers: { 'x-review-token': review.token } })).arrayBuffer())).metadata();
    assert.deepEqual([thumb.width, thumb.height], [160, 120]);
  });

  it('a saved decision survives kill -9 of the server: it was committed before the page was told', async () => {
    const detail = await api(review, '/api/rows/4');
    assert.match(detail.json.answer as string, /^v1: Description of image /);
    const saved = await api(review, '/api/rows/4/decision', { decision: 'edited', text: 'Page two, checked by hand', seen: 0 });
    assert.equal(saved.status, 200, JSON.stringify(saved.json));
    assert.equal(await api(review, '/api/rows/0/decision', { decision: 'accepted', seen: 0 }).then((r) => r.status), 200);
    assert.equal(await api(review, '/api/rows/1/decision', { decision: 'accepted', seen: 0 }).then((r) => r.status), 200);
    review.child.kill('SIGKILL');
    const end = await review.done;
    assert.equal(end.signal, 'SIGKILL');
    const db = new Database(path.join(dir, 'cache.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT path, decision, output, reviewer, revision FROM reviews ORDER BY path').all();
      assert.deepEqual(rows, [
        { path: 'docs/a.jpg', decision: 'accepted', output: null, reviewer: 'kim', revision: 1 },
        { path: 'docs/b.jpg', decision: 'accepted', output: null, reviewer: 'kim', revision: 1 },
        { path: 'docs/d.pdf', decision: 'edited', output: 'Page two, checked by hand', reviewer: 'kim', revision: 1 },
      ]);
    } finally {
      db.close();
    }
    const again = await catalog();
    const pageTwo = parseJsonl(again.stdout).find((r) => r.page === 2);
    assert.deepEqual([pageTwo?.review, pageTwo?.reviewer, pageTwo?.output], ['edited', 'kim', 'Page two, checked by hand']);
  });

  it('a decision on another picture or another answer of the model is "needs review again", and counts as unreviewed', async () => {
    // a.jpg becomes another picture; b.jpg is asked again and the model answers otherwise.
    await makeImage(path.join(dir, 'docs', 'a.jpg'), { width: 320, height: 240, seed: 99 });
    server.setHandler(answers('v2'));
    assert.equal((await catalog(['--include', 'a.jpg'])).code, 0);
    assert.equal((await catalog(['--include', 'b.jpg', '--refresh'])).code, 0);
    server.setHandler(answers('v1'));
    review = await startReview(['--cache', 'cache.db'], dir);
    const rows = await rowsOf(review);
    assert.deepEqual(rows.map((r) => r.state), ['stale', 'stale', 'unreviewed', 'unreviewed', 'edited']);
    const counts = (await api(review, '/api/meta')).json.counts as Record<string, number>;
    assert.deepEqual([counts.stale, counts.unreviewed, counts.edited, counts.reviewable], [2, 4, 1, 5]);
    assert.deepEqual((await rowsOf(review, 'stale')).map((r) => r.source), ['docs/a.jpg', 'docs/b.jpg']);
    const [a, b] = [(await api(review, '/api/rows/0')).json, (await api(review, '/api/rows/1')).json];
    assert.deepEqual([(a.stale as { reason: string }).reason, (b.stale as { reason: string }).reason], ['image', 'answer']);
    // Deciding again settles it.
    assert.equal((await api(review, '/api/rows/1/decision', { decision: 'rejected', seen: b.revision })).status, 200);
    assert.equal((await rowsOf(review))[1]?.state, 'rejected');
    await stopReview(review);
  });

  it('a page in Chinese for --lang zh or a Chinese locale', async () => {
    review = await startReview(['--cache', 'cache.db'], dir, { LANG: 'zh_CN.UTF-8' });
    const page = await raw(review.port, '/', { headers: { 'x-review-token': review.token } });
    assert.match(page.body, /<html lang="zh-CN">/);
    assert.match(page.body, /glm-vision 人工审核/);
    assert.match(page.body, />未审核<span class="n">/);
    assert.equal(((await api(review, '/api/meta')).json.strings as Record<string, string>).accept, '通过');
    await stopReview(review);
  });
});

describe('review: refusals', () => {
  it('names what is wrong: no cache, an unknown job, a port in use, an empty choice of rows (exit 2)', async () => {
    const none = await runMain(['review', '--cache', 'missing.db'], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /No cache at .*missing\.db/);
    const job = await runMain(['review', '--cache', 'cache.db', '--job', 'ffff'], { cwd: dir });
    assert.equal(job.code, 2);
    assert.match(job.stderr, /No job "ffff" in the cache/);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const busy = await runMain(['review', '--cache', 'cache.db', '--port', String(port)], { cwd: dir });
    taken.close();
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, new RegExp(`--port ${port}: the port is in use`));
    const port0 = await runMain(['review', '--cache', 'cache.db', '--port', '70000'], { cwd: dir });
    assert.equal(port0.code, 2);
    assert.match(port0.stderr, /--port/);
    await writeFile(path.join(dir, 'empty.jsonl'), '\n');
    const empty = await runMain(['review', 'empty.jsonl', '--cache', 'cache.db'], { cwd: dir });
    assert.equal(empty.code, 2);
  });
});
