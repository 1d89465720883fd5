// `glm-vision review` over a text catalog: the real CLI serves the page (a child process: it runs
// until a signal), headless Chromium drives it by keyboard, and the cache is read back to see what
// was saved. Every wait is on an event: a printed line, a response, or a state of the page.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { newContext, newPage } from './helpers/chromium.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type RecordedRequest, type Reply } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { api, raw, startReview, stopReview, type RunningReview } from './helpers/review.js';

const SCRIPT = '</script><script>alert(1)</script>';
const QUOTE = '"><img src=x onerror=alert(1)>';
const ODD_NAME = '"><img src=x onerror=alert(1)>.jpg';

const workspace = scratchFolders('glmv-review-');
let server: FakeOpenAI;
let dir: string;
let review: RunningReview;
const dialogs: string[] = [];

before(async () => {
  server = await startFakeOpenAI();
  dir = await workspace();
  const photos = path.join(dir, 'photos');
  // In path order: the odd name sorts first ("), then the numbered files.
  await makeImage(path.join(photos, ODD_NAME), { width: 352, height: 264, seed: 1 });
  await makeImage(path.join(photos, '1-plain.jpg'), { width: 640, height: 480, seed: 2 });
  await makeImage(path.join(photos, '2-script.jpg'), { width: 400, height: 300, seed: 3 });
  await makeImage(path.join(photos, '3-quote.png'), { width: 300, height: 400, format: 'png', seed: 4 });
  await makeImage(path.join(photos, '4-cut.jpg'), { width: 336, height: 252, seed: 5 });
  await writeFile(path.join(photos, '5-broken.jpg'), 'not an image at all\n');
  await makeImage(path.join(photos, '6-plain.jpg'), { width: 320, height: 240, seed: 6 });
  await makeImage(path.join(photos, '7-plain.jpg'), { width: 320, height: 240, seed: 7 });
  // Each answer goes with its picture, told by its size: requests need not arrive in path order
  // (pictures are prepared side by side), so answering in arrival order would swap rows on a busy machine.
  const bySize: Record<string, Reply> = {
    '352x264': { type: 'answer', content: 'A harbour at dawn.' },
    '640x480': { type: 'answer', content: 'Fishing boats by a pier.' },
    '400x300': { type: 'answer', content: SCRIPT },
    '300x400': { type: 'answer', content: QUOTE },
    '336x252': { type: 'answer', content: 'A partial answer that was cut', finishReason: 'length' },
  };
  server.setHandler(async (req) => (bySize[await imageSize(req)] ?? defaultReply(req)));
  const cat = await runMain(catalogArgs(['-o', 'text.jsonl']), { cwd: dir });
  assert.equal(cat.code, 1, `the catalog has an error and a truncated row: ${cat.stderr}`);
  const rows = parseJsonl(await readFile(path.join(dir, 'text.jsonl'), 'utf8'));
  assert.deepEqual(rows.map((r) => path.basename(r.SourceFile as string)), [ODD_NAME, '1-plain.jpg', '2-script.jpg', '3-quote.png', '4-cut.jpg', '5-broken.jpg', '6-plain.jpg', '7-plain.jpg']);
  assert.deepEqual(rows.slice(2, 4).map((r) => r.output), [SCRIPT, QUOTE]);
  review = await startReview(['text.jsonl', '--cache', 'cache.db', '--reviewer', 'tester', '--lang', 'en'], dir);
});

after(async () => {
  await stopReview(review);
  await server.close();
});

/** WIDTHxHEIGHT of the picture a chat request carries. */
async function imageSize(req: RecordedRequest): Promise<string> {
  const parts = (req.body?.messages ?? []).flatMap((m: { content?: unknown }) => (Array.isArray(m.content) ? m.content : []));
  const url: unknown = parts.find((p: { type?: string }) => p.type === 'image_url')?.image_url?.url;
  if (typeof url !== 'string') return '';
  const meta = await sharp(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64')).metadata();
  return `${meta.width}x${meta.height}`;
}

function catalogArgs(extra: string[]): string[] {
  return ['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', path.join(dir, 'cache.db'), '-q', '-j', '1', 'photos', ...extra];
}

async function openReview(url = review.url, tab?: Page): Promise<Page> {
  const page = tab ?? await newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url);
  await page.locator('body[data-ready="true"][data-live="true"]').waitFor();
  return page;
}

/** The large picture's width once it is decoded (the page sets its src when it shows a row). */
const imageWidth = (page: Page): Promise<number> =>
  page.evaluate<number>('(async () => { const img = document.getElementById("image"); await img.decode(); return img.naturalWidth; })()');

const shownRow = async (page: Page, n: number): Promise<void> => page.locator('#num', { hasText: new RegExp(`^#${n}$`) }).waitFor();

function reviewsInCache(): { content: string; decision: string; output: string | null; model_output: string; reviewer: string; revision: number; path: string }[] {
  const db = new Database(path.join(dir, 'cache.db'), { readonly: true });
  try {
    return db.prepare('SELECT content, decision, output, model_output, reviewer, revision, path FROM reviews ORDER BY path').all() as never;
  } finally {
    db.close();
  }
}

describe('review: who may talk to the server', () => {
  it('answers 403 without the token, with a wrong token or cookie, and under another Host; 405 for other methods', async () => {
    const token = { 'x-review-token': review.token };
    assert.equal((await raw(review.port, '/api/meta')).status, 403);
    assert.equal((await raw(review.port, '/')).status, 403);
    assert.equal((await raw(review.port, '/app.js')).status, 403);
    assert.equal((await raw(review.port, '/api/image/1?size=thumb')).status, 403);
    assert.equal((await raw(review.port, '/?token=wrong')).status, 403);
    assert.equal((await raw(review.port, '/api/meta', { headers: { 'x-review-token': `${review.token}x` } })).status, 403);
    assert.equal((await raw(review.port, '/api/meta', { headers: { cookie: `glmv_review_${review.port}=nope` } })).status, 403);
    // Another review's cookie (another port) is not this one's.
    assert.equal((await raw(review.port, '/api/meta', { headers: { cookie: `glmv_review_1=${review.token}` } })).status, 403);
    // DNS rebinding: a page of evil.example whose name now points here sends its own Host.
    assert.equal((await raw(review.port, '/api/meta', { headers: { ...token, host: `evil.example:${review.port}` } })).status, 403);
    assert.equal((await raw(review.port, '/api/meta', { headers: { ...token, host: `localhost:${review.port}` } })).status, 403);
    assert.equal((await raw(review.port, '/api/meta', { headers: token })).status, 200);
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      assert.equal((await raw(review.port, '/api/rows/1', { method, headers: token })).status, 405, method);
    }
  });

  it('refuses a POST without the page\'s CSRF header, or from another origin', async () => {
    const body = JSON.stringify({ decision: 'accepted', seen: 0 });
    const headers = { 'x-review-token': review.token, 'content-type': 'application/json' };
    assert.equal((await raw(review.port, '/api/rows/1/decision', { method: 'POST', headers, body })).status, 403);
    const crossSite = { ...headers, 'x-glmv-review': '1', origin: 'http://evil.example' };
    assert.equal((await raw(review.port, '/api/rows/1/decision', { method: 'POST', headers: crossSite, body })).status, 403);
    const fetchSite = { ...headers, 'x-glmv-review': '1', 'sec-fetch-site': 'cross-site' };
    assert.equal((await raw(review.port, '/api/rows/1/decision', { method: 'POST', headers: fetchSite, body })).status, 403);
    assert.deepEqual(reviewsInCache(), [], 'nothing was saved');
  });

  it('turns the URL token into an HttpOnly SameSite=Strict cookie; JSON with nosniff, a CSP that allows only itself', async () => {
    const first = await raw(review.port, `/?token=${review.token}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    const cookie = String(first.headers['set-cookie']);
    assert.equal(cookie, `glmv_review_${review.port}=${review.token}; HttpOnly; SameSite=Strict; Path=/`);
    const page = await raw(review.port, '/', { headers: { cookie: cookie.split(';')[0] as string } });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    assert.doesNotMatch(page.body, /<script>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script, style or handler');
    const meta = await raw(review.port, '/api/meta', { headers: { cookie: cookie.split(';')[0] as string } });
    assert.equal(meta.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(meta.headers['x-content-type-options'], 'nosniff');
  });
});

describe('review: the page', () => {
  let page: Page;
  before(async () => {
    page = await openReview();
  });

  it('starts at the first row with its picture; a, e … Ctrl+Enter and r decide and move on, each saved in the cache', async () => {
    await shownRow(page, 1);
    assert.ok(await imageWidth(page) > 0);
    assert.equal(await page.textContent('#progress'), '0 of 7 reviewed');
    await page.keyboard.press('j');
    await shownRow(page, 2);
    assert.equal(await page.inputValue('#text'), 'Fishing boats by a pier.');
    await page.keyboard.press('a');
    await shownRow(page, 3);
    await page.keyboard.press('k');
    await shownRow(page, 2);
    await page.locator('#badges .b-accepted').waitFor();
    await page.keyboard.press('j');
    await shownRow(page, 3);
    await page.keyboard.press('e');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Edited by hand.');
    await page.keyboard.press('Control+Enter');
    await shownRow(page, 4);
    await page.keyboard.press('r');
    await shownRow(page, 5);
    await page.locator('#progress', { hasText: /^3 of 7 reviewed$/ }).waitFor();
    const saved = reviewsInCache();
    assert.deepEqual(saved.map((r) => [path.basename(r.path), r.decision, r.output, r.reviewer, r.revision]), [
      ['1-plain.jpg', 'accepted', null, 'tester', 1],
      ['2-script.jpg', 'edited', 'Edited by hand.', 'tester', 1],
      ['3-quote.png', 'rejected', null, 'tester', 1],
    ]);
    assert.deepEqual(saved.map((r) => r.model_output), ['Fishing boats by a pier.', SCRIPT, QUOTE]);
  });

  it('Esc cancels an edit; s skips without a decision; ? shows the keys', async () => {
    await shownRow(page, 5);
    const before = await page.inputValue('#text');
    await page.keyboard.press('e');
    await page.keyboard.type(' and more');
    await page.keyboard.press('Escape');
    await page.locator('body:not(.editing)').waitFor();
    assert.equal(await page.inputValue('#text'), before);
    await page.keyboard.press('s');
    await shownRow(page, 6);
    await page.keyboard.press('?');
    await page.locator('#help').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#help') ?? '', /Ctrl\+Enter\s*save the edit/);
    await page.keyboard.press('Escape');
    await page.locator('#help').waitFor({ state: 'hidden' });
    assert.equal(reviewsInCache().length, 3);
  });

  it('an error row cannot be decided on; the filters count rows and show them', async () => {
    await shownRow(page, 6);
    assert.equal(await page.textContent('#why'), 'An error row has no answer to review.');
    assert.equal(await page.isDisabled('#accept'), true);
    await page.keyboard.press('a');
    const count = async (filter: string): Promise<string> => page.locator(`.filters [data-filter="${filter}"] .n`).innerText();
    await page.locator('#progress', { hasText: /^3 of 7 reviewed$/ }).waitFor();
    assert.deepEqual(
      await Promise.all(['all', 'unreviewed', 'error', 'truncated', 'rejected', 'accepted', 'edited', 'stale'].map(count)),
      ['8', '4', '1', '1', '1', '1', '1', '0'],
    );
    await page.click('.filters [data-filter="rejected"]');
    await page.locator('#shown', { hasText: /^1 of 8 rows$/ }).waitFor();
    await shownRow(page, 4);
    assert.equal(await page.locator('#list .item').count(), 1);
    await page.keyboard.press('2'); // unreviewed: the second filter
    await page.locator('#shown', { hasText: /^4 of 8 rows$/ }).waitFor();
    await shownRow(page, 1);
    assert.deepEqual(await page.locator('#list .item .num').allInnerTexts(), ['#1', '#5', '#7', '#8']);
    await page.keyboard.press('/');
    await page.keyboard.type('plain');
    await page.locator('#shown', { hasText: /^2 of 8 rows$/ }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#shown', { hasText: /^4 of 8 rows$/ }).waitFor();
    await page.keyboard.press('1');
    await page.locator('#shown', { hasText: /^8 rows$/ }).waitFor();
  });

  it('shows markup in answers and file names as text: nothing runs, nothing is parsed', async () => {
    await shownRow(page, 1);
    assert.equal(await page.textContent('#file'), `photos/${ODD_NAME}`);
    assert.equal(await page.locator('#list .item .name').first().textContent(), ODD_NAME);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await shownRow(page, 3);
    assert.equal(await page.locator('details.model pre').textContent(), SCRIPT);
    await page.keyboard.press('j');
    await shownRow(page, 4);
    assert.equal(await page.inputValue('#text'), QUOTE);
    // An edit made of markup is saved and shown as the text it is.
    await page.keyboard.press('e');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(`${SCRIPT} ${QUOTE}`);
    await page.keyboard.press('Control+Enter');
    await shownRow(page, 5);
    await page.keyboard.press('k');
    await shownRow(page, 4);
    assert.equal(await page.inputValue('#text'), `${SCRIPT} ${QUOTE}`);
    assert.equal(await page.locator('img[src="x"], script:not([src])').count(), 0);
    assert.deepEqual(dialogs, [], 'no alert() ran');
  });

  it('a screenshot: the window\'s size, not blank, and the picture drawn in the image area', async () => {
    await page.keyboard.press('k');
    await page.keyboard.press('k');
    await shownRow(page, 2);
    assert.equal(await imageWidth(page), 640);
    const png = await page.screenshot();
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1280, 900]);
    const whole = await sharp(png).stats();
    assert.ok(whole.channels.some((c) => c.stdev > 10), 'the screenshot is blank');
    const box = await page.locator('#image').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 200, `the picture is drawn large: ${JSON.stringify(box)}`);
    const area = await sharp(png).extract({ left: Math.round(box.x), top: Math.round(box.y), width: Math.floor(box.width), height: Math.floor(box.height) }).stats();
    assert.ok(area.channels.slice(0, 3).every((c) => c.stdev > 10), `the image area is empty: ${area.channels.map((c) => c.stdev).join(', ')}`);
  });

  it('two tabs decide on the same row: the last save wins, and both tabs say so', async () => {
    const tabs = await newContext();
    const first = await openReview(review.url, await tabs.newPage());
    const second = await tabs.newPage();
    await second.goto(`${review.origin}/`); // the cookie is the first tab's: no token needed
    await second.locator('body[data-ready="true"][data-live="true"]').waitFor();
    await shownRow(first, 1);
    await shownRow(second, 1);
    // Both start editing #1, which nobody has decided on yet; the first tab saves first.
    await second.keyboard.press('e');
    await second.locator('body.editing').waitFor();
    await first.keyboard.press('e');
    await first.keyboard.press('Control+A');
    await first.keyboard.type('first tab');
    await first.keyboard.press('Control+Enter');
    await shownRow(first, 2);
    // The second tab is told at once, and keeps its edit under way.
    await second.locator('.notice', { hasText: '#1 was just decided in another tab: edited by tester.' }).waitFor();
    await second.keyboard.press('Control+A');
    await second.keyboard.type('second tab');
    await second.keyboard.press('Control+Enter');
    await second.locator('.notice', { hasText: 'Your decision on #1 replaced one saved meanwhile: edited by tester' }).waitFor();
    await first.locator('.notice', { hasText: 'Your decision on #1 was just replaced in another tab: edited by tester.' }).waitFor();
    const row = reviewsInCache().find((r) => r.path === `photos/${ODD_NAME}`);
    assert.deepEqual([row?.output, row?.revision], ['second tab', 2]);
    await tabs.close();
  });

  it('the API pages rows and steps from any row, whether or not it still matches', async () => {
    const all = await api(review, '/api/rows?filter=all&offset=2&limit=3');
    assert.deepEqual((all.json.rows as { n: number }[]).map((r) => r.n), [3, 4, 5]);
    assert.equal(all.json.total, 8);
    const next = await api(review, '/api/rows?filter=unreviewed&after=1');
    assert.deepEqual([(next.json.rows as { n: number }[])[0]?.n, next.json.offset], [5, 0]);
    const none = await api(review, '/api/rows?filter=unreviewed&after=7');
    assert.deepEqual(none.json.rows, []);
    assert.equal((await api(review, '/api/rows?filter=nope')).status, 400);
  });
});

describe('review: afterwards', () => {
  it('a later catalog run over the same files carries each decision', async () => {
    const r = await runMain(catalogArgs([]), { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const rows = parseJsonl(r.stdout);
    const of = (name: string): Record<string, unknown> => rows.find((row) => path.basename(row.SourceFile as string) === name) as Record<string, unknown>;
    const pick = (name: string): unknown[] => ['review', 'reviewer', 'output', 'model_output'].map((k) => of(name)[k]);
    assert.deepEqual(pick(ODD_NAME), ['edited', 'tester', 'second tab', 'A harbour at dawn.']);
    assert.deepEqual(pick('1-plain.jpg'), ['accepted', 'tester', 'Fishing boats by a pier.', 'Fishing boats by a pier.']);
    assert.deepEqual(pick('2-script.jpg'), ['edited', 'tester', 'Edited by hand.', SCRIPT]);
    assert.deepEqual(pick('3-quote.png'), ['edited', 'tester', `${SCRIPT} ${QUOTE}`, QUOTE]);
    assert.deepEqual(pick('4-cut.jpg'), [null, null, 'A partial answer that was cut', null]);
    assert.equal(server.chatRequests().length, 7, 'the re-run asked nothing');
  });

  it('Ctrl-C stops the server: exit 0, every decision kept', async () => {
    const result = await stopReview(review);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /glm-vision: review stopped \(SIGINT\); every decision is saved in .*cache\.db\n$/);
    assert.equal(reviewsInCache().length, 4);
  });
});
