// Everyday use (issue 19, points 3 and 4): ask, prompt suggestions, errors before the summary,
// the next step after an unreachable server, and rows that keep an unusable answer.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { makeVectorPdf } from './helpers/pdfs.js';

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());
const workspace = scratchFolders('glmv-everyday-');

const serverFlags = (cache: string): string[] => ['--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache];

/** A loopback port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('glm-vision ask', () => {
  it('prints just the answer with one request, and the same answer from the cache with none', async () => {
    const dir = await workspace();
    const photo = path.join(dir, 'photo.jpg');
    await makeImage(photo, { width: 120, height: 90, seed: 3 });
    const cache = path.join(dir, 'c.db');
    const start = server.chatRequests().length;
    const first = await runMain(['ask', photo, 'What colour is it?', ...serverFlags(cache)]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(server.chatRequests().length - start, 1);
    assert.match(first.stdout, /^Description of image [0-9a-f]{12}\.\n$/, 'stdout is the answer alone');
    assert.equal(first.stderr, '', 'no progress or summary');
    const sent = server.chatRequests().at(-1);
    assert.match(JSON.stringify(sent?.body.messages), /What colour is it\?/, 'the question is in the qa prompt');

    const again = await runMain(['ask', photo, 'What colour is it?', ...serverFlags(cache)]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(server.chatRequests().length - start, 1, 'a cached answer costs no request');
    assert.equal(again.stdout, first.stdout);

    const row = await runMain(['ask', photo, 'What colour is it?', '--json', ...serverFlags(cache)]);
    const [parsed] = parseJsonl(row.stdout);
    assert.equal(parsed?.cached, true);
    assert.equal(parsed?.prompt, 'qa');
    assert.equal(parsed?.output, first.stdout.trim());
    assert.equal(server.chatRequests().length - start, 1);

    // -v: the choices and the one request on stderr; stdout is still the answer alone.
    const loud = await runMain(['ask', photo, 'Is it dark?', '-v', ...serverFlags(cache)]);
    assert.equal(loud.code, 0, loud.stderr);
    assert.match(loud.stdout, /^Description of image [0-9a-f]{12}\.\n$/);
    assert.match(loud.stderr, /backend openai/);
    assert.match(loud.stderr, /request 1 to \S+: answered in \d+ ms/);
    assert.equal(server.chatRequests().length - start, 2);
  });

  it('without a question describes the image; a catalog of the same file finds the answer in the cache', async () => {
    const dir = await workspace();
    const photo = path.join(dir, 'p.jpg');
    await makeImage(photo, { width: 100, height: 80, seed: 4 });
    const cache = path.join(dir, 'c.db');
    const start = server.chatRequests().length;
    const asked = await runMain(['ask', photo, '--json', ...serverFlags(cache)]);
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(parseJsonl(asked.stdout)[0]?.prompt, 'describe');
    const cataloged = await runMain(['catalog', '-q', ...serverFlags(cache), photo]);
    assert.equal(parseJsonl(cataloged.stdout)[0]?.cached, true);
    assert.equal(server.chatRequests().length - start, 1);
  });

  it('a folder is a usage error; a missing file exits 66 as catalog does', async () => {
    const dir = await workspace();
    const folder = await runMain(['ask', dir, ...serverFlags(path.join(dir, 'c.db'))]);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /is a folder: catalog a folder with glm-vision catalog/);
    const missing = await runMain(['ask', path.join(dir, 'nope.jpg'), ...serverFlags(path.join(dir, 'c.db'))]);
    assert.equal(missing.code, 66, missing.stderr);
  });
});

/**
 * The cache's content, as a digest of the database and its WAL: a dry run must leave it as it was.
 * A missing WAL and an empty one hold the same (a read-only reader of a WAL database may create it).
 */
async function cacheState(db: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [db, `${db}-wal`]) hash.update(existsSync(file) ? await readFile(file) : '');
  return hash.digest('hex');
}

describe('catalog --dry-run', () => {
  it('counts files, cached answers, pages, requests and tokens, and sends, writes and caches nothing', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'in');
    await mkdir(folder);
    await makeImage(path.join(folder, 'a.jpg'), { width: 560, height: 280, seed: 21 });
    const cache = path.join(dir, 'c.db');
    const first = await runMain(['catalog', '-q', ...serverFlags(cache), folder]);
    assert.equal(first.code, 0, first.stderr);
    await makeImage(path.join(folder, 'b.jpg'), { width: 280, height: 280, seed: 22 });
    await makeImage(path.join(folder, 'c.jpg'), { width: 280, height: 280, seed: 23 });
    await writeFile(path.join(folder, 'd.pdf'), await makeVectorPdf(3));
    const before = await cacheState(cache);
    const start = server.requests.length;
    const out = path.join(dir, 'catalog.csv');

    const human = await runMain(['catalog', '--dry-run', ...serverFlags(cache), '-o', out, folder]);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /files found: 4\n/);
    assert.match(human.stderr, /pages of documents: 3\n/);
    assert.match(human.stderr, /answered by the cache: 1\n/);
    assert.match(human.stderr, /requests to send: 5\n/);
    assert.match(human.stderr, /time: about \d+ (s|min) \([\d.]+ s a request, from 1 past runs of this job\)/, 'a time from the first run');

    const json = await runMain(['catalog', '-n', '--json', ...serverFlags(cache), folder]);
    const plan = JSON.parse(json.stdout) as Record<string, number>;
    assert.equal(plan.files, 4);
    assert.equal(plan.cached, 1);
    assert.equal(plan.pages, 3);
    assert.equal(plan.requests, 5);
    assert.equal(plan.pastRuns, 1);
    // b.jpg and c.jpg: 10×10 blocks of 28 px each; the pages at the --max-pixels budget (1003520 / 784).
    assert.ok(plan.promptTokens! > 2 * 100 + 3 * 1280, String(plan.promptTokens));
    assert.ok(plan.promptTokens! < 2 * 100 + 3 * 1280 + 5 * 400, String(plan.promptTokens));

    assert.equal(server.requests.length - start, 0, 'no request of any kind');
    assert.equal(await cacheState(cache), before, 'the cache is unchanged');
    assert.equal(existsSync(out), false, 'no catalog written');
  });

  it('speaks Chinese under a Chinese locale; --json keeps its keys', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'a.jpg'), { width: 64, height: 64, seed: 25 });
    const cache = path.join(dir, 'c.db');
    const zh = await runMain(['catalog', '-n', ...serverFlags(cache), dir], { env: { LANG: 'zh_CN.UTF-8' } });
    assert.match(zh.stderr, /试运行/);
    assert.match(zh.stderr, /待发送请求：1 次/);
    const [en, zhJson] = await Promise.all([
      runMain(['catalog', '-n', '--json', ...serverFlags(cache), dir], { env: { LANG: 'en_US.UTF-8' } }),
      runMain(['catalog', '-n', '--json', ...serverFlags(cache), dir], { env: { LANG: 'zh_CN.UTF-8' } }),
    ]);
    // The same keys and counts; only the tokens differ, as the locale also picks the prompt's language.
    const [a, b] = [en, zhJson].map((r) => JSON.parse(r.stdout) as Record<string, number>);
    assert.deepEqual(Object.keys(b!), Object.keys(a!));
    assert.deepEqual({ ...b, promptTokens: 0 }, { ...a, promptTokens: 0 });
    const prompt = await runMain(['ask', path.join(dir, 'a.jpg'), '-p', 'descibe', ...serverFlags(cache)], { env: { LANG: 'zh_CN.UTF-8' } });
    assert.match(prompt.stderr, /未知的提示词“descibe”。是不是想用“describe”？/);
  });

  it('a cache that does not exist is not created, and says there are no past runs', async () => {
    const dir = await workspace();
    await makeImage(path.join(dir, 'a.jpg'), { width: 64, height: 64, seed: 24 });
    const cache = path.join(dir, 'new', 'c.db');
    const res = await runMain(['catalog', '--dry-run', ...serverFlags(cache), dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /requests to send: 1\n/);
    assert.match(res.stderr, /no past runs/);
    assert.equal(existsSync(path.dirname(cache)), false);
  });
});

describe('messages', () => {
  it('a misspelt prompt name gets a suggestion', async () => {
    const dir = await workspace();
    const res = await runMain(['catalog', '-p', 'descibe', ...serverFlags(path.join(dir, 'c.db')), dir]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Unknown prompt "descibe"\. Did you mean "describe"\?/);
    const ask = await runMain(['ask', path.join(dir, 'x.jpg'), '-p', 'ocr-chek', ...serverFlags(path.join(dir, 'c.db'))]);
    assert.match(ask.stderr, /Did you mean "ocr-check"\?/);
  });

  it('an unreachable server: the error comes before the summary and ends with the next step', async () => {
    const dir = await workspace();
    const photo = path.join(dir, 'a.jpg');
    await makeImage(photo, { width: 64, height: 64, seed: 8 });
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const res = await runMain(['catalog', '--endpoint', url, '--model', 'm', '--retries', '0', '--cache', path.join(dir, 'c.db'), photo]);
    assert.equal(res.code, 75, res.stderr);
    const lines = res.stderr.split('\n');
    const error = lines.findIndex((l) => /every endpoint is unreachable/.test(l));
    const summary = lines.findIndex((l) => /\d+\/\d+ files/.test(l));
    assert.ok(error >= 0 && summary > error, `the error must come before the summary:\n${res.stderr}`);
    assert.ok(lines[error]?.endsWith(`Is the server running at ${url}? Try: glm-vision doctor --endpoint ${url}`), lines[error]);
    assert.equal(lines.filter((l) => /unreachable/.test(l)).length, 1, 'told once');
  });

  it('a missing output folder is the only message: no summary before (or after) it', async () => {
    const dir = await workspace();
    const photo = path.join(dir, 'a.jpg');
    await makeImage(photo, { width: 64, height: 64, seed: 9 });
    const start = server.chatRequests().length;
    const res = await runMain(['catalog', ...serverFlags(path.join(dir, 'c.db')), '-o', path.join(dir, 'missing', 'out.csv'), photo]);
    assert.equal(res.code, 74);
    assert.equal(res.stderr, `glm-vision: Cannot write ${path.join(dir, 'missing', 'out.csv')}: the folder ${path.join(dir, 'missing')} does not exist\n`);
    assert.equal(server.chatRequests().length - start, 0);
  });
});

const STRICT = `---
name: strict
description: test
max_tokens: 64
temperature: 0
top_p: 1
output: json
schema:
  type: object
  properties:
    title: { type: string }
    date: { type: string, pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }
  required: [title, date]
---
Catalog this image.
`;

describe('a schema failure keeps what the model said', () => {
  it('raw_output, width, height, model and tokens in JSONL and CSV; the error names the field', async () => {
    const dir = await workspace();
    const photo = path.join(dir, 'scan.jpg');
    await makeImage(photo, { width: 200, height: 150, seed: 10 });
    const template = path.join(dir, 'strict.md');
    await writeFile(template, STRICT);
    const answer = '{"title": "Harbour", "date": "spring 1962"}';
    server.setHandler(() => ({ type: 'answer', content: answer, model: 'served-model', usage: { prompt_tokens: 321, completion_tokens: 12 } }));
    try {
      const start = server.chatRequests().length;
      const res = await runMain(['catalog', '-q', ...serverFlags(path.join(dir, 'a.db')), '-p', template, photo]);
      assert.equal(res.code, 1, res.stderr);
      assert.equal(server.chatRequests().length - start, 2, 'one more try, as before');
      const [row] = parseJsonl(res.stdout);
      assert.equal(row?.status, 'error');
      assert.equal(row?.output, null);
      assert.equal(row?.raw_output, answer);
      assert.equal(row?.width, 200);
      assert.equal(row?.height, 150);
      assert.equal(row?.model, 'served-model');
      assert.equal(row?.tokens_in, 321);
      assert.equal(row?.tokens_out, 12);
      assert.match(row?.error as string, /field 'date': must match pattern "\^\[0-9\]\{4\}/);

      const csvFile = path.join(dir, 'out.csv');
      const csv = await runMain(['catalog', '-q', ...serverFlags(path.join(dir, 'b.db')), '-p', template, '-o', csvFile, photo]);
      assert.equal(csv.code, 1, csv.stderr);
      const [record] = parseCsv(await readFile(csvFile, 'utf8'), { columns: true }) as Record<string, string>[];
      assert.equal(record?.raw_output, answer);
      assert.equal(record?.width, '200');
      assert.equal(record?.height, '150');
      assert.equal(record?.model, 'served-model');
      assert.equal(record?.tokens_in, '321');
      assert.equal(record?.tokens_out, '12');
    } finally {
      server.setHandler(defaultReply);
    }
  });

  it('a missing field is named', async () => {
    const dir = await workspace();
    const photo = path.join(dir, 'scan.jpg');
    await makeImage(photo, { width: 64, height: 64, seed: 11 });
    const template = path.join(dir, 'strict.md');
    await writeFile(template, STRICT);
    server.setHandler(() => ({ type: 'answer', content: '{"date": "1962-04-01"}' }));
    try {
      const res = await runMain(['ask', photo, '-q', ...serverFlags(path.join(dir, 'a.db')), '-p', template]);
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /field 'title': missing/);
    } finally {
      server.setHandler(defaultReply);
    }
  });
});
