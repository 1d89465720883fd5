// `glm-vision review import` and `review export`: decisions made in a spreadsheet (a catalog CSV
// edited and saved as Excel would) or on another machine come into the cache all or not at all,
// every problem named with its line; an export imported into a copy of the cache gives the same reviews.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage, makeMultiPageTiff } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { allReviews, REVIEWED_AT, saveReviews } from './helpers/reviews.js';
import { RECORD_TEMPLATE } from './helpers/templates.js';


const workspace = scratchFolders('glmv-review-io-');
type Row = Record<string, unknown>;

let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());

/** An archive in DIR/photos (four JPEGs, one named like a formula, a three-page TIFF) and the structured template. */
async function archive(): Promise<string> {
  const dir = await workspace();
  const photos = path.join(dir, 'photos');
  await mkdir(photos, { recursive: true });
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg', '=d.jpg'].entries()) await makeImage(path.join(photos, name), { width: 60 + i, height: 44, seed: 60 + i });
  await makeMultiPageTiff(path.join(photos, 'doc.tif'), ['#303030', '#909090', '#d0d0d0']);
  await writeFile(path.join(dir, 'record.md'), RECORD_TEMPLATE);
  return dir;
}

async function cli(dir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runMain(args, { cwd: dir });
}

async function catalog(dir: string, extra: string[]): Promise<{ stdout: string; requests: number }> {
  const before_ = server.chatRequests().length;
  const res = await cli(dir, ['catalog', 'photos', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', 'cache.db', '-q', ...extra]);
  assert.equal(res.code, 0, res.stderr);
  return { stdout: res.stdout, requests: server.chatRequests().length - before_ };
}

const name = (r: Row): string => `${path.basename(String(r.SourceFile))}${r.page === null || r.page === '' ? '' : `#${String(r.page)}`}`;
const byName = (rows: Row[]): Map<string, Row> => new Map(rows.map((r) => [name(r), r]));

/** A CSV as a spreadsheet saves it: header and rows, CRLF, a byte-order mark. */
function spreadsheet(header: string[], rows: string[][]): string {
  return `\uFEFF${stringify([header, ...rows], { record_delimiter: 'windows' })}`;
}

/** The catalog CSV's cells as a spreadsheet shows them, to be edited and saved back. */
function sheet(csv: string): { header: string[]; rows: string[][]; cell: (row: string[], column: string) => string; set: (row: string[], column: string, v: string) => void } {
  const [header = [], ...rows] = parseCsv(csv, { bom: true }) as string[][];
  const at = (column: string): number => {
    const i = header.indexOf(column);
    assert.ok(i >= 0, `no column ${column}`);
    return i;
  };
  return { header, rows, cell: (row, column) => row[at(column)] ?? '', set: (row, column, v) => { row[at(column)] = v; } };
}

describe('review import: a spreadsheet edit of a catalog', () => {
  it('records accepted, edited and rejected rows of a text job, pages included; the next catalog shows them', async () => {
    const dir = await archive();
    await catalog(dir, ['-o', 'catalog.csv', '--bom']);
    const s = sheet(await readFile(path.join(dir, 'catalog.csv'), 'utf8'));
    const row = (n: string): string[] => s.rows.find((r) => name({ SourceFile: s.cell(r, 'SourceFile'), page: s.cell(r, 'page') }) === n) as string[];
    s.set(row('a.jpg'), 'review', 'accepted');
    s.set(row('b.jpg'), 'review', 'Edited');
    s.set(row('b.jpg'), 'output', 'A quay at dusk,\nchecked by a person.');
    s.set(row('c.jpg'), 'review', 'rejected');
    s.set(row('=d.jpg'), 'review', 'accepted');
    s.set(row('doc.tif#2'), 'review', 'accepted');
    await writeFile(path.join(dir, 'edited.csv'), spreadsheet(s.header, s.rows));

    const res = await cli(dir, ['review', 'import', 'edited.csv', '--cache', 'cache.db', '--reviewer', 'li']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^glm-vision: review import: imported 5 decisions \(3 accepted, 1 edited, 1 rejected\), skipped 2 unreviewed rows\n$/);

    const again = await catalog(dir, ['--format', 'jsonl']);
    assert.equal(again.requests, 0);
    const rows = byName(parseJsonl(again.stdout));
    const decided = Object.fromEntries([...rows].filter(([, r]) => r.review !== null).map(([k, r]) => [k, [r.review, r.reviewer]]));
    assert.deepEqual(decided, {
      'a.jpg': ['accepted', 'li'], 'b.jpg': ['edited', 'li'], 'c.jpg': ['rejected', 'li'], '=d.jpg': ['accepted', 'li'], 'doc.tif#2': ['accepted', 'li'],
    });
    assert.equal(rows.get('b.jpg')?.output, 'A quay at dusk,\nchecked by a person.');
    assert.match(String(rows.get('a.jpg')?.reviewed_at), /^\d{4}-\d{2}-\d{2}T/);

    // The same file again changes nothing; the catalog's own CSV (reviews and times now in it) neither.
    const before_ = allReviews(path.join(dir, 'cache.db'));
    const twice = await cli(dir, ['review', 'import', 'edited.csv', '--cache', 'cache.db', '--reviewer', 'li']);
    assert.match(twice.stderr, /imported 0 decisions .*\n.*5 rows already in the cache as they are/);
    await catalog(dir, ['-o', 'reviewed.csv']);
    const third = await cli(dir, ['review', 'import', 'reviewed.csv', '--cache', 'cache.db']);
    assert.match(third.stderr, /imported 0 decisions \(0 accepted, 0 edited, 0 rejected\), skipped 2 unreviewed rows\n.*5 rows already/);
    // A spreadsheet that rewrote the times as its own dates: the rows are still what the cache holds.
    const mangled = sheet(await readFile(path.join(dir, 'reviewed.csv'), 'utf8'));
    for (const r of mangled.rows) if (mangled.cell(r, 'reviewed_at') !== '') mangled.set(r, 'reviewed_at', '02/12/2026 09:30');
    await writeFile(path.join(dir, 'mangled.csv'), spreadsheet(mangled.header, mangled.rows));
    const fourth = await cli(dir, ['review', 'import', 'mangled.csv', '--cache', 'cache.db']);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.match(fourth.stderr, /5 rows already in the cache/);
    assert.deepEqual(allReviews(path.join(dir, 'cache.db')), before_);
  });

  it("a structured job: edited fields from the schema's columns (lists split at \"; \"), or JSONL objects", async () => {
    const dir = await archive();
    await catalog(dir, ['--prompt', 'record.md', '-o', 'records.csv']);
    const s = sheet(await readFile(path.join(dir, 'records.csv'), 'utf8'));
    const row = (n: string): string[] => s.rows.find((r) => path.basename(s.cell(r, 'SourceFile')) === n) as string[];
    s.set(row('a.jpg'), 'review', 'edited');
    s.set(row('a.jpg'), 'title', 'Harbour');
    s.set(row('a.jpg'), 'tags', 'harbour; places|china|ningbo');
    s.set(row('b.jpg'), 'review', 'accepted');
    await writeFile(path.join(dir, 'edited.csv'), spreadsheet(s.header, s.rows));
    const res = await cli(dir, ['review', 'import', 'edited.csv', '--cache', 'cache.db', '--reviewer', 'wang']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /imported 2 decisions \(1 accepted, 1 edited, 0 rejected\)/);

    const first = byName(parseJsonl((await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl'])).stdout));
    const model = first.get('a.jpg')?.model_output as Row;
    assert.deepEqual(first.get('a.jpg')?.output, { title: 'Harbour', description: model.description, tags: ['harbour', 'places|china|ningbo'] });
    assert.equal(first.get('b.jpg')?.review, 'accepted');

    // A sheet with only some of the schema's columns: the other fields stay the model's.
    const d = first.get('=d.jpg') as Row;
    await writeFile(path.join(dir, 'titles.csv'), spreadsheet(['SourceFile', 'job', 'review', 'title'], [[String(d.SourceFile), String(d.job), 'edited', 'Only the title']]));
    const titles = await cli(dir, ['review', 'import', 'titles.csv', '--cache', 'cache.db', '--reviewer', 'wang']);
    assert.equal(titles.code, 0, titles.stderr);
    const dRow = byName(parseJsonl((await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl'])).stdout)).get('=d.jpg');
    assert.deepEqual(dRow?.output, { ...(d.output as Row), title: 'Only the title' });

    // JSONL: the fields as an object; no reviewer anywhere: the user running the command.
    const job = String(first.get('c.jpg')?.job);
    const edit = { title: 'C', description: 'Edited in JSON.', tags: [] };
    await writeFile(path.join(dir, 'c.jsonl'), `${JSON.stringify({ sha256: first.get('c.jpg')?.sha256, review: 'edited', output: edit })}\r\n`);
    const json = await cli(dir, ['review', 'import', 'c.jsonl', '--cache', 'cache.db', '--job', job.slice(0, 6)]);
    assert.equal(json.code, 0, json.stderr);
    const c = byName(parseJsonl((await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl'])).stdout)).get('c.jpg');
    assert.deepEqual([c?.review, c?.reviewer, c?.output], ['edited', os.userInfo().username, edit]);
  });
});

describe('review import refuses a file with problems, naming every line, and changes nothing', () => {
  it('lists each kind of problem with its line (CSV: the header is line 1), exits 2, and leaves the reviews as they were', async () => {
    const dir = await archive();
    const cache = path.join(dir, 'cache.db');
    const rows = byName(parseJsonl((await catalog(dir, ['--format', 'jsonl'])).stdout));
    const records = byName(parseJsonl((await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl'])).stdout));
    saveReviews(cache, [{ row: rows.get('a.jpg') as Row, decision: 'accepted' }]);
    const before_ = allReviews(cache);
    const job = String(rows.get('a.jpg')?.job);
    const sha = (n: string): string => String(rows.get(n)?.sha256);
    const header = ['SourceFile', 'page', 'sha256', 'job', 'review', 'reviewer', 'reviewed_at', 'output'];
    const file = spreadsheet(header, [
      ['photos/a.jpg', '', '', job, 'edited', '', '', 'A fine edit\nover two lines'], // line 2 (and 3): a good row
      ['photos/b.jpg', '', '', job, 'maybe', '', '', ''], // 4
      ['photos/b.jpg', '', '', job, 'edited', '', '', ''], // 5
      ['photos/nowhere.jpg', '', '', job, 'accepted', '', '', ''], // 6
      ['', '', 'f'.repeat(64), job, 'accepted', '', '', ''], // 7
      ['photos/doc.tif', '', '', job, 'accepted', '', '', ''], // 8
      ['photos/doc.tif', '9', '', job, 'accepted', '', '', ''], // 9
      ['photos/c.jpg', '', '', job, 'accepted', '', '', 'Not what the model said.'], // 10
      ['photos/c.jpg', '', '', job, 'rejected', '', 'yesterday', ''], // 11
      ['photos/c.jpg', '', '', 'abcdef0123', 'rejected', '', '', ''], // 12
      ['photos/c.jpg', '', '', '', 'rejected', '', '', ''], // 13
      ['photos/c.jpg', 'two', '', job, 'rejected', '', '', ''], // 14
      ['', '', sha('c.jpg'), job, '', '', '', ''], // 15: unreviewed, skipped
    ]);
    await writeFile(path.join(dir, 'bad.csv'), file);
    const res = await cli(dir, ['review', 'import', 'bad.csv', '--cache', 'cache.db']);
    assert.equal(res.code, 2, res.stderr);
    const expected = [
      /line 4: unknown review "maybe" \(expected accepted, edited, rejected or empty\)/,
      /line 5: edited, but without the text \(fill output\)/,
      /line 6: no file "photos\/nowhere\.jpg" in the cache's file index/,
      /line 7: no answer in the cache for ffffffffffff under job /,
      /line 8: photos\/doc\.tif is a document .*needs its page/,
      /line 9: no answer in the cache for photos\/doc\.tif page 9 under job /,
      /line 10: accepted, but the text differs from the model's answer/,
      /line 11: reviewed_at "yesterday" is not a time/,
      /line 12: no job "abcdef0123" in the cache/,
      /line 13: no job: give the file a job column, or --job/,
      /line 14: page "two" is not a page number/,
    ];
    assert.match(res.stderr, /review import: bad\.csv: 11 problems; nothing was imported into .*cache\.db:/);
    for (const e of expected) assert.match(res.stderr, e);
    assert.doesNotMatch(res.stderr, /line (2|3|15):/);
    assert.deepEqual(allReviews(cache), before_, 'nothing was saved, not even the good row');

    // JSONL: line numbers are lines; a structured edit is checked against the job's schema.
    const recordJob = String(records.get('a.jpg')?.job);
    const jsonl = [
      JSON.stringify({ SourceFile: 'photos/b.jpg', job: recordJob, review: 'edited', output: { title: 12, description: 'x', tags: 'one' } }),
      '',
      JSON.stringify({ SourceFile: 'photos/b.jpg', job: recordJob, review: 'edited', output: 'not json' }),
      JSON.stringify({ SourceFile: 'photos/c.jpg', job: recordJob, review: 'edited', output: { title: 'T', description: 'D', tags: ['t'] } }),
    ].join('\n');
    await writeFile(path.join(dir, 'bad.jsonl'), jsonl);
    const bad = await cli(dir, ['review', 'import', 'bad.jsonl', '--cache', 'cache.db']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /2 problems/);
    assert.match(bad.stderr, /line 1: the edited fields do not match the job's schema: \/title must be string; \/tags must be array/);
    assert.match(bad.stderr, /line 3: output is not the JSON of the fields title, description, tags/);
    assert.deepEqual(allReviews(cache), before_);

    // Two rows deciding one image differently: a copy under another path.
    await copyFile(path.join(dir, 'photos', 'b.jpg'), path.join(dir, 'photos', 'b copy.jpg'));
    await catalog(dir, ['--format', 'jsonl']);
    await writeFile(path.join(dir, 'twice.csv'), spreadsheet(['SourceFile', 'job', 'review'], [['photos/b.jpg', job, 'accepted'], ['photos/b copy.jpg', job, 'rejected']]));
    const twice = await cli(dir, ['review', 'import', 'twice.csv', '--cache', 'cache.db']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /line 3: decides the same image as line 2 differently/);

    // Many problems: the first 20, then how many more.
    const many = spreadsheet(['SourceFile', 'job', 'review'], Array.from({ length: 25 }, (_, i) => [`photos/x${i}.jpg`, job, 'accepted']));
    await writeFile(path.join(dir, 'many.csv'), many);
    const capped = await cli(dir, ['review', 'import', 'many.csv', '--cache', 'cache.db']);
    assert.equal(capped.code, 2);
    assert.match(capped.stderr, /25 problems/);
    assert.match(capped.stderr, /line 21: no file "photos\/x19\.jpg"/);
    assert.doesNotMatch(capped.stderr, /line 22:/);
    assert.match(capped.stderr, /\n {2}and 5 more\n$/);
    assert.deepEqual(allReviews(cache), before_);
  });

  it('--dry-run checks and counts, and saves nothing; an unknown --job is a usage error', async () => {
    const dir = await archive();
    const rows = byName(parseJsonl((await catalog(dir, ['--format', 'jsonl'])).stdout));
    await writeFile(path.join(dir, 'ok.jsonl'), `${JSON.stringify({ SourceFile: 'photos/a.jpg', review: 'accepted' })}\n`);
    const dry = await cli(dir, ['review', 'import', 'ok.jsonl', '--cache', 'cache.db', '--job', String(rows.get('a.jpg')?.job), '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /dry run: would import 1 decision \(1 accepted, 0 edited, 0 rejected\), skipped 0 unreviewed rows/);
    assert.deepEqual(allReviews(path.join(dir, 'cache.db')), []);
    const unknown = await cli(dir, ['review', 'import', 'ok.jsonl', '--cache', 'cache.db', '--job', 'ffff0000']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No job "ffff0000"/);
    const missing = await cli(dir, ['review', 'import', 'nope.csv', '--cache', 'cache.db']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read nope\.csv: no such file/);
  });
});

describe('review export', () => {
  it('export, then import into a copy of the cache made before the reviews: the same reviews (CSV and JSONL)', async () => {
    const dir = await archive();
    const cache = path.join(dir, 'cache.db');
    const text = byName(parseJsonl((await catalog(dir, ['--format', 'jsonl'])).stdout));
    const records = byName(parseJsonl((await catalog(dir, ['--prompt', 'record.md', '--format', 'jsonl'])).stdout));
    await copyFile(cache, path.join(dir, 'fresh-csv.db'));
    await copyFile(cache, path.join(dir, 'fresh-jsonl.db'));
    saveReviews(cache, [
      { row: text.get('a.jpg') as Row, decision: 'accepted' },
      { row: text.get('b.jpg') as Row, decision: 'edited', output: '=SUM(A1) is not a formula here,\r\nand "quotes" stay.', reviewer: 'wang' },
      { row: text.get('c.jpg') as Row, decision: 'rejected', reviewedAt: REVIEWED_AT + 1 },
      { row: text.get('=d.jpg') as Row, decision: 'accepted', modelOutput: 'An answer from before the job was asked again.' },
      { row: text.get('doc.tif#3') as Row, decision: 'edited', output: 'Page three.' },
      { row: records.get('a.jpg') as Row, decision: 'edited', output: JSON.stringify({ title: 'T', description: 'D; with a semicolon', tags: ['x; y', 'z'] }) },
      { row: records.get('b.jpg') as Row, decision: 'accepted' },
      { row: records.get('doc.tif#1') as Row, decision: 'rejected' },
    ]);
    const original = allReviews(cache);
    assert.equal(original.length, 8);

    const csv = await cli(dir, ['review', 'export', '--cache', 'cache.db', '-o', 'decisions.csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stderr, /exported 8 decisions from .*cache\.db to decisions\.csv/);
    const jsonl = await cli(dir, ['review', 'export', '--cache', 'cache.db', '-q']);
    assert.equal(jsonl.stderr, '');
    const lines = parseJsonl(jsonl.stdout);
    assert.deepEqual(Object.keys(lines[0] ?? {}), ['SourceFile', 'page', 'sha256', 'job', 'review', 'reviewer', 'reviewed_at', 'output', 'model_output']);
    const page3 = lines.find((l) => l.page === 3);
    assert.deepEqual([page3?.SourceFile, page3?.review, page3?.output], ['photos/doc.tif', 'edited', 'Page three.']);
    const structured = lines.find((l) => l.job === records.get('a.jpg')?.job && l.review === 'edited');
    assert.deepEqual(structured?.model_output, records.get('a.jpg')?.output, 'a structured answer as its fields');
    await writeFile(path.join(dir, 'decisions.jsonl'), jsonl.stdout);
    const csvText = await readFile(path.join(dir, 'decisions.csv'), 'utf8');
    // A file: it starts with a byte-order mark (for Excel), which review import reads past.
    assert.match(csvText, /^\uFEFFSourceFile,page,sha256,job,review,reviewer,reviewed_at,output,model_output\r\n/);
    assert.match(csvText, /'=SUM\(A1\)/, 'a formula is guarded for spreadsheets');

    for (const [format, fresh] of [['csv', 'fresh-csv.db'], ['jsonl', 'fresh-jsonl.db']] as const) {
      const res = await cli(dir, ['review', 'import', `decisions.${format}`, '--cache', fresh, '--reviewer', 'nobody']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /imported 8 decisions \(3 accepted, 3 edited, 2 rejected\)/);
      assert.match(res.stderr, /1 decision made on another answer than the cache holds now/);
      assert.deepEqual(allReviews(path.join(dir, fresh)), original, `${format}: the same reviews`);
    }

    const one = await cli(dir, ['review', 'export', '--cache', 'cache.db', '--job', String(records.get('a.jpg')?.job).slice(0, 8), '--format', 'csv']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal((parseCsv(one.stdout, { columns: true }) as Row[]).length, 3);
  });
});
