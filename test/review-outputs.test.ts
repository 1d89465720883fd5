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
import { RECORD_TEMPLATE } from './helpers/templates.js';


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
  await writeFile(path.join(dir, 'record.md'), RECORD_TEMPLATE);
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

type Tags = Record<string, unknown>;
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** exiftool's own reading of files (images or sidecars), keyed by their path as given. */
function readBack(files: string[], cwd: string): Map<string, Tags> {
  const json = JSON.parse(execFileSync('exiftool', ['-j', '-struct', '-XMP-dc:all', '-XMP-lr:all', '-XMP-photoshop:all', '-XMP-xmp:Rating', ...files],
    { cwd, encoding: 'utf8' })) as Tags[];
  return new Map(json.map((t) => [t.SourceFile as string, t]));
}

const reviewedNote = (who: string, decision: string): RegExp =>
  new RegExp(`^Reviewed by ${who} on 2026-12-02 \\(${decision}\\): title, description and keywords checked by a person; first written by glm-vision \\S+ with the model m\\.$`);

async function xmp(dir: string, args: string[]): Promise<string> {
  const res = await runMain(['xmp', ...args], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  return res.stderr;
}

describe('metadata written from a reviewed catalog', () => {
  it('sidecars: reviewed text with a note saying who checked it; a rejected answer takes our earlier text out, and only ours', async () => {
    const dir = await archive();
    const first = await catalog(dir, ['--prompt', 'record.md', '-o', 'catalog.jsonl']);
    assert.equal(first.requests, 5);
    // Sidecars from the unreviewed catalog first, as a nightly job would have written them.
    assert.match(await xmp(dir, ['catalog.jsonl', '--sidecars']), /5 sidecars created/);
    // Someone adds a keyword and a rating of their own to c's sidecar.
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Subject+=family', '-XMP-xmp:Rating=3', 'photos/c.jpg.xmp'], { cwd: dir });
    const model = byFile(parseJsonl(await readFile(path.join(dir, 'catalog.jsonl'), 'utf8')));
    const modelC = model.get('c.jpg')?.output as { title: string; tags: string[] };
    const edit = { title: 'Harbour', description: 'Boats at the quay.', tags: ['harbour', 'places|china|ningbo'] };
    saveReviews(path.join(dir, 'cache.db'), [
      { row: model.get('a.jpg') as Row, decision: 'accepted' },
      { row: model.get('b.jpg') as Row, decision: 'edited', output: JSON.stringify(edit), reviewer: 'wang' },
      { row: model.get('c.jpg') as Row, decision: 'rejected' },
    ]);
    const again = await catalog(dir, ['--prompt', 'record.md', '-o', 'reviewed.jsonl']);
    assert.equal(again.requests, 0);

    const stderr = await xmp(dir, ['reviewed.jsonl', '--sidecars']);
    assert.match(stderr, /0 sidecars created, 2 merged, 2 unchanged/);
    assert.match(stderr, /skipped rows with no answer to write: 1 rejected/);
    assert.match(stderr, /removed our earlier text from 1 sidecar of rejected answers/);
    const back = readBack(['photos/a.jpg.xmp', 'photos/b.jpg.xmp', 'photos/c.jpg.xmp', 'photos/d.jpg.xmp'], dir);
    const a = back.get('photos/a.jpg.xmp');
    assert.equal(a?.Title, (model.get('a.jpg')?.output as { title: string }).title);
    assert.match(String(a?.Instructions), reviewedNote('li', 'accepted'), 'an accepted answer: the AI note is replaced');
    const b = back.get('photos/b.jpg.xmp');
    assert.deepEqual([b?.Title, b?.Description], [edit.title, edit.description]);
    assert.deepEqual(asList(b?.Subject).sort(), ['china', 'harbour', 'ningbo', 'places'], "the model's keywords we wrote earlier are gone");
    assert.deepEqual(asList(b?.HierarchicalSubject), ['places|china|ningbo']);
    assert.match(String(b?.Instructions), reviewedNote('wang', 'edited'));
    const c = back.get('photos/c.jpg.xmp');
    assert.deepEqual([c?.Title, c?.Description, c?.Instructions, c?.HierarchicalSubject], [undefined, undefined, undefined, undefined]);
    assert.deepEqual(asList(c?.Subject), ['family'], 'their keyword stays, ours go');
    assert.equal(c?.Rating, 3);
    assert.ok(modelC.tags.length > 0 && !asList(c?.Subject).includes(modelC.tags[0] as string));
    assert.doesNotMatch(await readFile(path.join(dir, 'photos/c.jpg.xmp'), 'utf8'), /glm-vision:xmp|titleSha/);
    assert.match(String(back.get('photos/d.jpg.xmp')?.Instructions), /^AI-generated, not reviewed: /);

    // The next night: nothing changed, nothing is written.
    const sidecars = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => readFile(path.join(dir, `photos/${n}.jpg.xmp`.replace('e.jpg', 'e.png')), 'utf8')));
    assert.match(await xmp(dir, ['reviewed.jsonl', '--sidecars']), /0 sidecars created, 0 merged, 4 unchanged/);
    const after_ = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => readFile(path.join(dir, `photos/${n}.jpg.xmp`.replace('e.jpg', 'e.png')), 'utf8')));
    assert.deepEqual(after_, sidecars);
  });

  it('the exiftool CSV (catalog --format exiftool and xmp --csv) writes reviewed text and notes, and no row for a rejected answer', async () => {
    const dir = await archive();
    const first = await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl']);
    const model = byFile(parseJsonl(first.stdout));
    const edit = { title: 'Harbour', description: 'Boats at the quay.', tags: ['harbour'] };
    saveReviews(path.join(dir, 'cache.db'), [
      { row: model.get('a.jpg') as Row, decision: 'edited', output: JSON.stringify(edit) },
      { row: model.get('b.jpg') as Row, decision: 'rejected' },
    ]);
    const direct = await catalog(dir, ['--prompt', 'record.md', '--format', 'exiftool', '-o', 'meta.csv']);
    assert.equal(direct.requests, 0);
    await catalog(dir, ['--prompt', 'record.md', '-o', 'reviewed.csv']);
    const fromCatalog = await runMain(['xmp', 'reviewed.csv', '--csv', '-o', 'meta2.csv'], { cwd: dir });
    assert.equal(fromCatalog.code, 0, fromCatalog.stderr);
    assert.match(fromCatalog.stderr, /4 rows for exiftool \(1 with nothing to write, 1 of them rejected by a reviewer\)/);
    const meta = await readFile(path.join(dir, 'meta.csv'), 'utf8');
    assert.equal(await readFile(path.join(dir, 'meta2.csv'), 'utf8'), meta);
    const records = csvRows(meta);
    assert.deepEqual(records.map((r) => path.basename(String(r.SourceFile))), ['a.jpg', 'c.jpg', 'd.jpg', 'e.png']);

    execFileSync('exiftool', ['-q', '-csv=meta.csv', '-sep', '; ', '-overwrite_original', '-r', 'photos'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const back = readBack(['photos/a.jpg', 'photos/b.jpg', 'photos/c.jpg'], dir);
    const a = back.get('photos/a.jpg');
    assert.deepEqual([a?.Title, a?.Description, asList(a?.Subject)], [edit.title, edit.description, edit.tags]);
    assert.match(String(a?.Instructions), reviewedNote('li', 'edited'));
    assert.deepEqual([back.get('photos/b.jpg')?.Title, back.get('photos/b.jpg')?.Instructions], [undefined, undefined]);
    assert.match(String(back.get('photos/c.jpg')?.Instructions), /^AI-generated, not reviewed: /);
    // exiftool wrote into the files; the next run knows them by content and keeps the reviews.
    const rerun = await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl']);
    assert.equal(rerun.requests, 0);
    const rows = byFile(parseJsonl(rerun.stdout));
    assert.deepEqual([rows.get('a.jpg')?.review, rows.get('b.jpg')?.review], ['edited', 'rejected']);
  });

  it("a document's pages are one description: reviewed when every page was decided, dated by the last", async () => {
    const dir = await workspace();
    await mkdir(path.join(dir, 'photos'));
    const { makeMultiPageTiff } = await import('./helpers/images.js');
    await makeMultiPageTiff(path.join(dir, 'photos', 'doc.tif'), ['#202020', '#808080', '#e0e0e0']);
    const first = await catalog(dir, ['--format', 'jsonl']);
    assert.equal(first.requests, 3);
    const pages = parseJsonl(first.stdout);
    assert.deepEqual(pages.map((p) => p.page), [1, 2, 3]);
    const [p1, p2, p3] = pages as [Row, Row, Row];
    saveReviews(path.join(dir, 'cache.db'), [
      { row: p1, decision: 'accepted' },
      { row: p2, decision: 'edited', output: 'Page two, as a person wrote it.', reviewer: 'wang', reviewedAt: REVIEWED_AT + 3_600_000 },
    ]);
    const partly = await catalog(dir, ['--format', 'exiftool']);
    assert.match(String(csvRows(partly.stdout)[0]?.['XMP-photoshop:Instructions']), /^AI-generated, not reviewed/, 'page 3 still needs review');

    saveReviews(path.join(dir, 'cache.db'), [{ row: p3, decision: 'rejected' }]);
    const grouped = await catalog(dir, ['--format', 'exiftool']);
    const record = csvRows(grouped.stdout)[0];
    assert.equal(record?.['XMP-dc:Description'], `${String(p1.output)}\n\nPage two, as a person wrote it.`, "the rejected page's text is left out");
    assert.match(String(record?.['XMP-photoshop:Instructions']), reviewedNote('li, wang', 'edited'));
    const catalogRows = await catalog(dir, ['--format', 'jsonl', '--group-pages']);
    const row = parseJsonl(catalogRows.stdout)[0];
    assert.deepEqual([row?.review, row?.reviewer, row?.reviewed_at], ['edited', 'li, wang', new Date(REVIEWED_AT + 3_600_000).toISOString()]);

    // From a catalog of page rows, xmp groups them the same way.
    await catalog(dir, ['-o', 'pages.csv']);
    await xmp(dir, ['pages.csv', '--sidecars']);
    const sidecar = readBack(['photos/doc.tif.xmp'], dir).get('photos/doc.tif.xmp');
    assert.equal(sidecar?.Description, record?.['XMP-dc:Description']);
    assert.match(String(sidecar?.Instructions), reviewedNote('li, wang', 'edited'));
  });
});
