// Reviews flow into every output: a catalog re-run writes each decision into its row (CSV and
// JSONL, read back with csv-parse), and the metadata written from it (xmp sidecars, the exiftool
// CSV, read back with the real exiftool) carries the reviewed text and says who checked it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import sharp from 'sharp';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { REVIEWED_AT, saveReviews } from './helpers/reviews.js';

const TEMPLATE = `---
name: record
description: test record
max_tokens: 256
temperature: 0
top_p: 1
output: json
schema:
  type: object
  properties:
    title: { type: string }
    description: { type: string }
    tags: { type: array, items: { type: string } }
  required: [title, description, tags]
  additionalProperties: false
---
Catalog this image.
`;

const workspace = scratchFolders('glmv-review-out-');
const WHEN = new Date(REVIEWED_AT).toISOString();
type Row = Record<string, unknown>;

let server: FakeOpenAI;
before(async () => {
  assert.doesNotThrow(() => execFileSync('exiftool', ['-ver']), 'exiftool is missing: apt-get install libimage-exiftool-perl (README, Install)');
  server = await startFakeOpenAI();
});
after(() => server.close());

/** Photos a–e (JPEG, and e a PNG) in DIR/photos, and the structured template. */
async function archive(): Promise<string> {
  const dir = await workspace();
  const photos = path.join(dir, 'photos');
  await mkdir(photos, { recursive: true });
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'].entries()) await makeImage(path.join(photos, name), { width: 60 + i, height: 40, seed: 20 + i });
  await makeImage(path.join(photos, 'e.png'), { width: 50, height: 50, seed: 30, format: 'png' });
  await writeFile(path.join(dir, 'record.md'), TEMPLATE);
  return dir;
}

/** A catalog run in `dir`, and how many requests it sent. */
async function catalog(dir: string, extra: string[]): Promise<{ stdout: string; requests: number }> {
  const before_ = server.chatRequests().length;
  const res = await runMain(['catalog', 'photos', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', 'cache.db', '-q', ...extra], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  return { stdout: res.stdout, requests: server.chatRequests().length - before_ };
}

const byFile = (rows: Row[]): Map<string, Row> => new Map(rows.map((r) => [path.basename(String(r.SourceFile)), r]));
const csvRows = (text: string): Row[] => parseCsv(text, { columns: true, bom: true }) as Row[];

describe('a catalog re-run writes the reviews into its rows', () => {
  it('a text job: accepted, edited and rejected rows in JSONL and CSV; a decision on another answer is not applied', async () => {
    const dir = await archive();
    const first = await catalog(dir, ['--format', 'jsonl']);
    assert.equal(first.requests, 5);
    const rows = byFile(parseJsonl(first.stdout));
    const model = (name: string): string => rows.get(name)?.output as string;
    saveReviews(path.join(dir, 'cache.db'), [
      { row: rows.get('a.jpg') as Row, decision: 'accepted' },
      { row: rows.get('b.jpg') as Row, decision: 'edited', output: 'A harbour at dusk, checked by a person.', reviewer: 'wang' },
      { row: rows.get('c.jpg') as Row, decision: 'rejected' },
      // Made on an answer the cache no longer holds (the job was asked again since): not applied.
      { row: rows.get('d.jpg') as Row, decision: 'accepted', modelOutput: 'An older answer.' },
    ]);

    const jsonl = await catalog(dir, ['--format', 'jsonl']);
    const csv = await catalog(dir, ['--format', 'csv']);
    assert.equal(jsonl.requests + csv.requests, 0, 'the re-runs ask nothing');
    const j = byFile(parseJsonl(jsonl.stdout));
    const c = byFile(csvRows(csv.stdout));
    const expected: Record<string, [string | null, string | null, string | null, string | null, string | null]> = {
      // review, reviewer, reviewed_at, output, model_output
      'a.jpg': ['accepted', 'li', WHEN, model('a.jpg'), model('a.jpg')],
      'b.jpg': ['edited', 'wang', WHEN, 'A harbour at dusk, checked by a person.', model('b.jpg')],
      'c.jpg': ['rejected', 'li', WHEN, null, model('c.jpg')],
      'd.jpg': [null, null, null, model('d.jpg'), null],
      'e.png': [null, null, null, model('e.png'), null],
    };
    for (const [name, [review, reviewer, at, output, modelOutput]] of Object.entries(expected)) {
      const row = j.get(name);
      assert.deepEqual([row?.review, row?.reviewer, row?.reviewed_at, row?.output, row?.model_output], [review, reviewer, at, output, modelOutput], `${name} (JSONL)`);
      const cells = c.get(name);
      assert.deepEqual([cells?.review, cells?.reviewer, cells?.reviewed_at, cells?.output, cells?.model_output],
        [review ?? '', reviewer ?? '', at ?? '', output ?? '', modelOutput ?? ''], `${name} (CSV)`);
      assert.equal(row?.job, rows.get(name)?.job);
    }
    const header = Object.keys(csvRows(csv.stdout)[0] ?? {});
    assert.deepEqual(header.slice(header.indexOf('job'), header.indexOf('output') + 2), ['job', 'review', 'reviewer', 'reviewed_at', 'output', 'model_output']);
  });

  it('a structured job: an edit is the fields (JSONL: an object; CSV: one column each), the model answer beside it', async () => {
    const dir = await archive();
    const first = await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl']);
    const rows = byFile(parseJsonl(first.stdout));
    const edit = { title: 'Harbour', description: 'Boats at the quay; 码头.', tags: ['harbour', 'places|china|ningbo'] };
    saveReviews(path.join(dir, 'cache.db'), [
      { row: rows.get('a.jpg') as Row, decision: 'accepted' },
      { row: rows.get('b.jpg') as Row, decision: 'edited', output: JSON.stringify(edit) },
      { row: rows.get('c.jpg') as Row, decision: 'rejected' },
    ]);
    const jsonl = await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl']);
    const csv = await catalog(dir, ['--prompt', 'record.md', '--format', 'csv']);
    assert.equal(jsonl.requests + csv.requests, 0);
    const j = byFile(parseJsonl(jsonl.stdout));
    const c = byFile(csvRows(csv.stdout));
    const modelB = rows.get('b.jpg')?.output as Record<string, unknown>;
    assert.deepEqual(j.get('b.jpg')?.output, edit);
    assert.deepEqual(j.get('b.jpg')?.model_output, modelB);
    assert.deepEqual(j.get('a.jpg')?.output, rows.get('a.jpg')?.output);
    assert.deepEqual(j.get('a.jpg')?.model_output, rows.get('a.jpg')?.output);
    assert.equal(j.get('c.jpg')?.output, null);
    assert.deepEqual(j.get('c.jpg')?.model_output, rows.get('c.jpg')?.output);

    const b = c.get('b.jpg');
    assert.deepEqual([b?.review, b?.title, b?.description, b?.tags], ['edited', 'Harbour', 'Boats at the quay; 码头.', 'harbour; places|china|ningbo']);
    assert.deepEqual(JSON.parse(String(b?.model_output)), modelB);
    const rejected = c.get('c.jpg');
    assert.deepEqual([rejected?.review, rejected?.title, rejected?.description, rejected?.tags], ['rejected', '', '', '']);
    assert.deepEqual(JSON.parse(String(rejected?.model_output)), rows.get('c.jpg')?.output);
    assert.equal(c.get('d.jpg')?.model_output, '');
  });

  it('metadata written into a file by exiftool keeps its review; a re-encoded image loses it', async () => {
    const dir = await archive();
    const first = await catalog(dir, ['--format', 'jsonl']);
    const rows = byFile(parseJsonl(first.stdout));
    saveReviews(path.join(dir, 'cache.db'), [
      { row: rows.get('a.jpg') as Row, decision: 'edited', output: 'Edited a.' },
      { row: rows.get('b.jpg') as Row, decision: 'accepted' },
      { row: rows.get('e.png') as Row, decision: 'edited', output: 'Edited e.' },
    ]);
    const photos = path.join(dir, 'photos');
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Description=Edited a.', '-IPTC:Keywords=harbour', path.join(photos, 'a.jpg')]);
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Description=written back', path.join(photos, 'e.png')]);
    // b is re-encoded: another image, asked again, and nobody has reviewed that one.
    const reencoded = await sharp(path.join(photos, 'b.jpg')).jpeg({ quality: 60 }).toBuffer();
    await writeFile(path.join(photos, 'b.jpg'), reencoded);

    const again = await catalog(dir, ['--format', 'jsonl']);
    assert.equal(again.requests, 1, 'only the re-encoded image is asked again');
    const now = byFile(parseJsonl(again.stdout));
    assert.notEqual(now.get('a.jpg')?.sha256, rows.get('a.jpg')?.sha256, 'exiftool changed the file');
    assert.deepEqual([now.get('a.jpg')?.review, now.get('a.jpg')?.output], ['edited', 'Edited a.']);
    assert.deepEqual([now.get('e.png')?.review, now.get('e.png')?.output], ['edited', 'Edited e.']);
    assert.deepEqual([now.get('b.jpg')?.review, now.get('b.jpg')?.reviewer, now.get('b.jpg')?.model_output], [null, null, null]);
    assert.equal((await readFile(path.join(photos, 'b.jpg'))).length, reencoded.length);
  });
});
