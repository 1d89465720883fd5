// `glm-vision review` of a structured (json template) catalog, read from its CSV: one input per
// schema field, edited fields checked against the job's schema, and the edit in a later catalog.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { newPage } from './helpers/chromium.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { api, startReview, stopReview, type RunningReview } from './helpers/review.js';

const TEMPLATE = `---
name: fields
description: A few fields of every kind the review page edits.
output: json
schema:
  type: object
  properties:
    title: { type: string, description: "a short title" }
    tags: { type: array, items: { type: string } }
    count: { type: [integer, "null"] }
    kind: { type: string, enum: [photo, scan, other] }
    place: { type: object, properties: { city: { type: string } }, required: [city] }
  required: [title, tags, count, kind, place]
  additionalProperties: false
---
Describe {{file_name}} in fields.
`;

const workspace = scratchFolders('glmv-review-fields-');
let server: FakeOpenAI;
let dir: string;
let review: RunningReview;

function catalogArgs(extra: string[]): string[] {
  return ['catalog', 'photos', '--prompt', 'fields.md', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', 'cache.db', '-q', '-j', '1', ...extra];
}

before(async () => {
  server = await startFakeOpenAI();
  dir = await workspace();
  await writeFile(path.join(dir, 'fields.md'), TEMPLATE);
  await makeImage(path.join(dir, 'photos', 'a.jpg'), { width: 320, height: 240, seed: 11 });
  await makeImage(path.join(dir, 'photos', 'b.jpg'), { width: 320, height: 240, seed: 12 });
  const cat = await runMain(catalogArgs(['-o', 'fields.csv']), { cwd: dir });
  assert.equal(cat.code, 0, cat.stderr);
  review = await startReview(['fields.csv', '--cache', 'cache.db', '--reviewer', 'ana'], dir);
});

after(async () => {
  await stopReview(review);
  await server.close();
});

function savedOutput(name: string): Record<string, unknown> {
  const db = new Database(path.join(dir, 'cache.db'), { readonly: true });
  try {
    const text = db.prepare('SELECT output FROM reviews WHERE path = ?').pluck().get(`photos/${name}`) as string;
    return JSON.parse(text) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

describe('review of structured answers', () => {
  let page: Page;
  before(async () => {
    page = await newPage();
    await page.goto(review.url);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('#num', { hasText: /^#1$/ }).waitFor();
  });

  it('shows one input per schema field, in schema order: lists one item per line, a choice as a select, objects as JSON', async () => {
    assert.deepEqual(await page.locator('.field label > span:first-child').allInnerTexts(), ['title', 'tags', 'count', 'kind', 'place']);
    const tags = await page.inputValue('#field-tags');
    assert.match(tags, /^tags of [0-9a-f]{8} 1\ntags of [0-9a-f]{8} 2$/);
    assert.equal(await page.inputValue('#field-count'), '1');
    assert.equal(await page.inputValue('#field-kind'), 'photo');
    assert.deepEqual(await page.locator('#field-kind option').allInnerTexts(), ['photo', 'scan', 'other']);
    assert.match(JSON.parse(await page.inputValue('#field-place')).city as string, /^city of [0-9a-f]{8}$/);
    assert.equal(await page.getAttribute('.field label[for="field-title"]', 'title'), 'a short title');
  });

  it('an edit of the fields is saved as JSON the schema accepts; a bad number is refused on the page', async () => {
    await page.keyboard.press('e');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Harbour <b>at</b> dawn');
    await page.fill('#field-tags', 'boats\n  harbour \n\nmorning');
    await page.fill('#field-count', 'twelve');
    await page.selectOption('#field-kind', 'scan');
    await page.fill('#field-place', '{"city": "Qingdao"}');
    await page.keyboard.press('Control+Enter');
    await page.locator('.notice.bad', { hasText: 'Not saved: field count: not a number' }).waitFor();
    await page.fill('#field-count', '12');
    await page.focus('#field-count');
    await page.keyboard.press('Control+Enter');
    await page.locator('#num', { hasText: /^#2$/ }).waitFor();
    assert.deepEqual(savedOutput('a.jpg'), { title: 'Harbour <b>at</b> dawn', tags: ['boats', 'harbour', 'morning'], count: 12, kind: 'scan', place: { city: 'Qingdao' } });
  });

  it('the server checks edited fields against the job\'s schema', async () => {
    const detail = await api(review, '/api/rows/1');
    const answer = detail.json.answer as Record<string, unknown>;
    const wrong = await api(review, '/api/rows/1/decision', { decision: 'edited', seen: 0, fields: { ...answer, count: 'many', kind: 'drawing' } });
    assert.equal(wrong.status, 422);
    assert.match(String(wrong.json.message), /count must be integer/);
    const notObject = await api(review, '/api/rows/1/decision', { decision: 'edited', seen: 0, fields: ['a'] });
    assert.equal(notObject.status, 422);
    const right = await api(review, '/api/rows/1/decision', { decision: 'edited', seen: 0, fields: { ...answer, count: null } });
    assert.equal(right.status, 200, JSON.stringify(right.json));
    assert.equal(savedOutput('b.jpg').count, null);
  });

  it('a later catalog run shows the edited fields as the answer and the model\'s as model_output', async () => {
    const r = await runMain(catalogArgs([]), { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const [a, b] = parseJsonl(r.stdout);
    assert.deepEqual([a?.review, a?.reviewer], ['edited', 'ana']);
    assert.deepEqual(a?.output, { title: 'Harbour <b>at</b> dawn', tags: ['boats', 'harbour', 'morning'], count: 12, kind: 'scan', place: { city: 'Qingdao' } });
    assert.equal((a?.model_output as Record<string, unknown>).count, 1);
    assert.equal((b?.output as Record<string, unknown>).count, null);
    // The CSV catalog carries the fields as columns, and the model's answer as JSON text.
    const csv = await runMain(catalogArgs(['-o', 'again.csv']), { cwd: dir });
    assert.equal(csv.code, 0, csv.stderr);
    const text = await readFile(path.join(dir, 'again.csv'), 'utf8');
    assert.match(text, /Harbour <b>at<\/b> dawn,boats; harbour; morning,12,scan,"{""city"":""Qingdao""}"/);
  });
});
