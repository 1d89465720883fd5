// Known failures are remembered: a document that failed for a reason of its own
// (encrypted, corrupt, no pages, over --max-pages or --max-input-pixels) is not
// opened again while its content and the settings that decided it are the same.
// "Not opened" is observed through --metrics-file (documents_opened), through the
// real CLI against the loopback OpenAI-compatible server.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeMultiPageTiff } from './helpers/images.js';
import { metric, readMetrics } from './helpers/metrics.js';
import { makeBomb, makeEmptyPdf, makeEncryptedPdf, makePdf, truncate } from './helpers/pdfs.js';
import { parseJsonl, runMain, scratchFolders, type CliResult } from './helpers/cli.js';

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

const workspace = scratchFolders('glmv-known-failures-');

interface Run extends CliResult {
  rows: Record<string, unknown>[];
  opened: number | undefined;
  requests: number | undefined;
}

async function catalog(dir: string, cache: string, endpoint: string, ...extra: string[]): Promise<Run> {
  const metricsFile = path.join(dir, 'metrics.prom');
  const res = await runMain([
    'catalog', '--endpoint', endpoint, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', '--metrics-file', metricsFile, ...extra,
  ]);
  const samples = await readMetrics(metricsFile);
  return {
    ...res, rows: parseJsonl(res.stdout),
    opened: metric(samples, 'last_run_documents_opened'), requests: metric(samples, 'last_run_requests'),
  };
}

/** The remembered failures, by the name of a file that holds them (null when no indexed file does). */
function failures(cache: string): { file: string | null; page: number; error: string }[] {
  const db = new Database(cache, { readonly: true });
  try {
    return db.prepare(
      `SELECT (SELECT path FROM files WHERE files.sha256 = f.sha256) AS file, f.page, f.error
         FROM failures f ORDER BY file, f.page`,
    ).all().map((r) => {
      const row = r as { file: string | null; page: number; error: string };
      return { ...row, file: row.file === null ? null : path.basename(row.file) };
    });
  } finally {
    db.close();
  }
}

/** What a row says apart from how it was come by (cached, latency). */
function facts(rows: Record<string, unknown>[]): unknown[] {
  return rows.map((r) => [path.basename(String(r.SourceFile)), r.page, r.pages, r.sha256, r.status, r.error, r.format, r.width, r.height, r.output]);
}

const LIMITS = ['--max-pages', '30', '--max-input-pixels', '100000000'];

describe('documents that failed for a reason of their own', () => {
  it('are not opened again; --retry-failed, --refresh and a changed limit try them; prune, merge and stats keep them', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'bad');
    await mkdir(folder);
    const good = await makePdf([{ kind: 'text', text: 'Invoice 42' }]);
    await writeFile(path.join(folder, '1-encrypted.pdf'), await makeEncryptedPdf());
    await writeFile(path.join(folder, '2-truncated.pdf'), truncate(good, 0.6));
    await writeFile(path.join(folder, '3-no-pages.pdf'), makeEmptyPdf());
    await writeFile(path.join(folder, '4-many-pages.pdf'), await makeBomb(40, 200));
    await writeFile(path.join(folder, '5-huge-page.pdf'), await makeBomb(1, 14_400));
    await writeFile(path.join(folder, '6-good.pdf'), good);
    const cache = path.join(dir, 'cache.db');

    const first = await catalog(dir, cache, server.url, folder, ...LIMITS);
    assert.equal(first.code, 1, first.stderr);
    assert.equal(first.opened, 6, 'every document is opened the first time');
    assert.deepEqual(first.rows.map((r) => [path.basename(String(r.SourceFile)), r.status, r.cached]), [
      ['1-encrypted.pdf', 'error', false], ['2-truncated.pdf', 'error', false], ['3-no-pages.pdf', 'error', false],
      ['4-many-pages.pdf', 'error', false], ['5-huge-page.pdf', 'error', false], ['6-good.pdf', 'ok', false],
    ]);
    // Open failures are the document's (page 0), a page that cannot be rendered its page's; selections come from the page count.
    assert.deepEqual(failures(cache).map((f) => [f.file, f.page]), [['1-encrypted.pdf', 0], ['2-truncated.pdf', 0], ['5-huge-page.pdf', 1]]);
    assert.match(failures(cache)[0]!.error, /encrypted and needs a password/);

    // Nothing changed: nothing is opened or asked, and every row is the same, from the cache.
    const again = await catalog(dir, cache, server.url, folder, ...LIMITS);
    assert.equal(again.code, 1, 'remembered failures are still error rows');
    assert.equal(again.opened, 0, 'no document opened');
    assert.equal(again.requests, 0);
    assert.deepEqual(facts(again.rows), facts(first.rows));
    assert.ok(again.rows.every((r) => r.cached === true), JSON.stringify(again.rows));

    // --retry-failed opens every failed document again, not the good one; the rows are the first run's.
    const retried = await catalog(dir, cache, server.url, folder, ...LIMITS, '--retry-failed');
    assert.equal(retried.code, 1, retried.stderr);
    assert.equal(retried.opened, 5);
    assert.deepEqual(facts(retried.rows), facts(first.rows));
    assert.deepEqual(retried.rows.map((r) => r.cached), [false, false, false, false, false, true]);
    // The same from the config setting's environment variable.
    const byEnv = await runMain(['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q',
      '--metrics-file', path.join(dir, 'env.prom'), folder, ...LIMITS], { env: { GLM_VISION_RETRY_FAILED: 'true' } });
    assert.equal(byEnv.code, 1, byEnv.stderr);
    assert.equal(metric(await readMetrics(path.join(dir, 'env.prom')), 'last_run_documents_opened'), 5);

    // --refresh retries them too (and everything else).
    const refreshed = await catalog(dir, cache, server.url, folder, ...LIMITS, '--refresh');
    assert.equal(refreshed.code, 1, refreshed.stderr);
    assert.equal(refreshed.opened, 6);
    assert.deepEqual(facts(refreshed.rows), facts(first.rows));

    // A setting that decided a failure changes: only that document is tried.
    const morePages = await catalog(dir, cache, server.url, folder, '--max-pages', '50', '--max-input-pixels', '100000000');
    assert.equal(morePages.opened, 1);
    const manyPages = morePages.rows.filter((r) => String(r.SourceFile).endsWith('4-many-pages.pdf'));
    assert.deepEqual([manyPages.length, manyPages.every((r) => r.status === 'ok')], [40, true]);
    const otherDpi = await catalog(dir, cache, server.url, folder, ...LIMITS, '--dpi', '100');
    assert.equal(otherDpi.opened, 4, 'the render key changed: the open failures, the too-large page and the good one are tried');
    assert.match(String(otherDpi.rows.find((r) => String(r.SourceFile).endsWith('5-huge-page.pdf'))?.error), /20000×20000 pixels at 100 dpi/);

    // cache stats counts them; merge copies them; prune --missing forgets those of files gone.
    const stats = await runMain(['cache', 'stats', '--json', '--cache', cache]);
    assert.equal(stats.code, 0, stats.stderr);
    const remembered = failures(cache).length;
    assert.equal((JSON.parse(stats.stdout) as { failures: number }).failures, remembered);
    const merged = path.join(dir, 'merged.db');
    const merge = await runMain(['cache', 'merge', cache, '--cache', merged, '--json']);
    assert.equal(merge.code, 0, merge.stderr);
    assert.equal((JSON.parse(merge.stdout) as { failures: { added: number } }).failures.added, remembered);
    const fromMerged = await catalog(dir, merged, server.url, folder, ...LIMITS);
    assert.equal(fromMerged.opened, 0, 'the merged cache knows the failures');
    assert.deepEqual(facts(fromMerged.rows), facts(first.rows));

    await rm(path.join(folder, '1-encrypted.pdf'));
    const prune = await runMain(['cache', 'prune', '--missing', '--json', '--cache', cache]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.equal((JSON.parse(prune.stdout) as { failures: number }).failures, 2, 'the encrypted file at both render keys');
    assert.ok(failures(cache).every((f) => f.file !== null && f.file !== '1-encrypted.pdf'));
  });

  it('a failure remembered under another renderer (pdf.js, before PDFium) is tried once more, then remembered anew', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'in');
    await mkdir(folder);
    await writeFile(path.join(folder, 'encrypted.pdf'), await makeEncryptedPdf());
    const cache = path.join(dir, 'cache.db');
    const first = await catalog(dir, cache, server.url, folder);
    assert.deepEqual([first.code, first.opened], [1, 1], first.stderr);
    // What an older glm-vision wrote: the same settings, with no renderer named.
    const db = new Database(cache);
    const changed = db.prepare("UPDATE failures SET key = replace(key, ', renderer pdfium', '')").run().changes;
    db.close();
    assert.equal(changed, 1);
    const retried = await catalog(dir, cache, server.url, folder);
    assert.deepEqual([retried.code, retried.opened, retried.rows[0]?.cached], [1, 1, false]);
    const again = await catalog(dir, cache, server.url, folder);
    assert.deepEqual([again.code, again.opened, again.rows[0]?.cached], [1, 0, true]);
  });

  it('the pages of a multi-page TIFF over --max-input-pixels are remembered page by page', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'scans.tif');
    await makeMultiPageTiff(file, ['#c00000', '#00a000', '#0000d0']);
    const cache = path.join(dir, 'cache.db');
    const first = await catalog(dir, cache, server.url, file, '--max-input-pixels', '1000');
    assert.equal(first.code, 1, first.stderr);
    assert.deepEqual(first.rows.map((r) => [r.page, r.error]), [1, 2, 3].map((p) => [p, `page ${p} is too large: 60×40 pixels exceeds --max-input-pixels 1000`]));
    assert.equal(first.opened, 1);
    const again = await catalog(dir, cache, server.url, file, '--max-input-pixels', '1000');
    assert.deepEqual([again.code, again.opened], [1, 0]);
    assert.deepEqual(facts(again.rows), facts(first.rows));
    // Raised: the pages are rendered and answered, and their old failures forgotten.
    const raised = await catalog(dir, cache, server.url, file, '--max-input-pixels', '10000');
    assert.deepEqual([raised.code, raised.opened, raised.rows.map((r) => r.status)], [0, 1, ['ok', 'ok', 'ok']]);
  });
});

describe('failures that are not the file\'s own', () => {
  it('a page the model failed on is not remembered: the next run opens the document and asks again', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'letter.pdf');
    await writeFile(file, await makePdf([{ kind: 'text', text: 'Dear reader' }]));
    const cache = path.join(dir, 'cache.db');
    const filtering = await startFakeOpenAI({ handler: () => ({ type: 'answer', content: '', finishReason: 'content_filter' }) });
    let first: Run;
    try {
      first = await catalog(dir, cache, filtering.url, file);
    } finally {
      await filtering.close();
    }
    assert.equal(first.code, 1, first.stderr);
    assert.match(String(first.rows[0]?.error), /content filter/);
    assert.deepEqual(failures(cache), []);
    const again = await catalog(dir, cache, server.url, file);
    assert.deepEqual([again.code, again.opened, again.requests, again.rows[0]?.status], [0, 1, 1, 'ok']);
  });
});
