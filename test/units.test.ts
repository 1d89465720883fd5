// The pure pieces: budget fitting, answer cleaning, CSV cells, file lists, progress, fingerprints.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { compileValidator, cleanAnswer, parseJsonAnswer } from '../src/pipeline/parse.js';
import { describeDecodeError, fitToBudget } from '../src/image/preprocess.js';
import { csvRecord } from '../src/emit/writers.js';
import { neutralizeCell, neutralizePath } from '../src/emit/neutralize.js';
import { splitFileList } from '../src/pipeline/walk.js';
import { createProgress } from '../src/pipeline/progress.js';
import { fingerprint, stableJson } from '../src/pipeline/fingerprint.js';
import { parseTemplate } from '../src/prompt/template.js';
import { renderPrompt } from '../src/prompt/render.js';
import type { CatalogRow } from '../src/emit/columns.js';
import { inShard, parseShard } from '../src/pipeline/shard.js';

describe('fitToBudget', () => {
  it('keeps small images and shrinks large ones to multiples of 28 within the budget', () => {
    assert.deepEqual(fitToBudget(640, 480, 1_003_520), { width: 640, height: 480 });
    const { width, height } = fitToBudget(4000, 3000, 1_003_520);
    assert.deepEqual([width % 28, height % 28], [0, 0]);
    assert.ok(width * height <= 1_003_520);
    assert.deepEqual({ width, height }, { width: 1148, height: 840 });
    assert.deepEqual(fitToBudget(200_000, 100, 1_003_520).height, 28, 'never below one patch');
  });
});

describe('decode errors', () => {
  it('names the real cause behind libvips read-retry noise (HEIC without an HEVC decoder)', () => {
    const heic = new Error('source: bad seek to 1024\nsource: bad seek to 512\nheif: Error while loading plugin: Support for this compression format has not been built in: HEVC (a suitable decoder plugin is libde265) (11.6003)');
    assert.match(describeDecodeError(heic), /^HEIC \(HEVC\) images cannot be decoded by the prebuilt sharp/);
    assert.equal(describeDecodeError(new Error('Input buffer contains unsupported image format')), 'not an image, or a format sharp cannot decode');
  });
});

describe('answers', () => {
  it('strips thinking and box markers', () => {
    assert.equal(cleanAnswer('<think>reasoning</think>\n<|begin_of_box|>A red door.<|end_of_box|>'), 'A red door.');
    assert.equal(cleanAnswer('half a thought</think>The answer'), 'The answer');
    assert.equal(cleanAnswer('  plain  '), 'plain');
  });
  it('parses JSON in fences or prose and validates it', () => {
    const v = compileValidator({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
    assert.deepEqual(parseJsonAnswer('Sure!\n```json\n{"a": "x"}\n```', v), { a: 'x' });
    assert.throws(() => parseJsonAnswer('{"a": 1}', v), /does not match the schema/);
    assert.throws(() => parseJsonAnswer('no json here', v), /not JSON/);
  });

  it("holds answers to the schema's formats (ajv-formats), naming the field", () => {
    const v = compileValidator({ type: 'object', properties: { date: { type: 'string', format: 'date' }, mail: { type: 'string', format: 'email' } } });
    assert.deepEqual(parseJsonAnswer('{"date": "1987-06-05", "mail": "a@b.cn"}', v), { date: '1987-06-05', mail: 'a@b.cn' });
    assert.throws(() => parseJsonAnswer('{"date": "1987-02-30"}', v), /field 'date': must match format "date"/);
    assert.throws(() => parseJsonAnswer('{"mail": "archive office"}', v), /field 'mail': must match format "email"/);
  });
});

describe('CSV cells', () => {
  it('neutralises formulas in answers and keeps paths usable', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) assert.equal(neutralizeCell(s)[0], "'");
    assert.equal(neutralizeCell('fine'), 'fine');
    assert.equal(neutralizePath('=evil.jpg'), './=evil.jpg');
    assert.equal(neutralizePath('/abs/=x.jpg'), '/abs/=x.jpg');
  });
  it('joins arrays with "; " and places schema fields between reviewer and model_output', () => {
    const row: CatalogRow = {
      SourceFile: 'a.jpg', page: null, pages: null, sha256: 'ab', bytes: 1, width: 2, height: 3, format: 'jpeg', status: 'ok', cached: true,
      error: null, prompt: 'tags', model: 'm', job: 'j1', review: 'edited', reviewer: 'li', reviewed_at: '2026-12-02T10:00:00.000Z', output: { tags: ['x', 'y'], n: 2 },
      model_output: { tags: ['x'], n: 1 }, tokens_in: 5, tokens_out: 6, latency_ms: 7, raw_output: null,
    };
    assert.deepEqual(csvRecord(row, ['tags', 'n']), [
      'a.jpg', '', '', 'ab', '1', '2', '3', 'jpeg', 'ok', 'true', '', 'tags', 'm', 'j1', 'edited', 'li', '2026-12-02T10:00:00.000Z', 'x; y', '2', '{"tags":["x"],"n":1}', '5', '6', '7', '',
    ]);
  });
});

describe('file lists', () => {
  it('splits NUL- or newline-separated lists', () => {
    assert.deepEqual(splitFileList('a\nb c\r\n\n'), ['a', 'b c']);
    assert.deepEqual(splitFileList('a\nb\0c\0'), ['a\nb', 'c']);
  });
});

describe('progress without a TTY', () => {
  it('prints at most one line every 10 s, then a summary', () => {
    let text = '';
    const err = Object.assign(new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), { isTTY: false });
    let t = 0;
    const p = createProgress(err, false, () => t);
    p.start(10);
    for (let i = 1; i <= 10; i++) {
      t += 3000;
      p.update({ done: i, total: 10, cached: 0, failed: 0, truncated: 0, pages: 0 });
    }
    p.stop({ done: 10, total: 10, cached: 2, failed: 1, truncated: 3, pages: 0 }, t);
    const lines = text.trim().split('\n');
    // Updates at 3, 6, … 30 s: lines at 12 s and 24 s, then the summary.
    assert.equal(lines.length, 2 + 1, text);
    assert.match(lines.at(-1) ?? '', /10\/10 files, 6 ok, 3 truncated \(2 cached\), 1 failed/);
    const quiet = createProgress(err, true);
    text = '';
    quiet.stop({ done: 1, total: 1, cached: 0, failed: 0, truncated: 0, pages: 0 }, 1);
    assert.equal(text, '');
  });
});

describe('job fingerprint', () => {
  it('is stable under key order and changes with what changes answers', () => {
    assert.equal(stableJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    const spec = (maxTokens: number) => ({
      version: 1 as const, backend: { backend: 'openai', model: 'm' }, template: { name: 't', sha256: 'x' },
      schema: null, variables: {}, generation: { maxTokens }, preprocess: { maxPixels: 1, jpegQuality: 90 },
    });
    assert.equal(fingerprint(spec(10)), fingerprint(spec(10)));
    assert.notEqual(fingerprint(spec(10)), fingerprint(spec(11)));
  });
});

describe('templates', () => {
  it('renders variables and lists schema fields in the prompt', () => {
    const t = parseTemplate('---\nname: t\noutput: json\nschema:\n  type: object\n  properties:\n    kind: {type: string, enum: [a, b], description: Which}\nvariables:\n  who: nobody\n---\nFile {{file_name}} in {{ folder }} by {{who}}', 't.md');
    const text = renderPrompt(t, { relativePath: 'x/y/z.jpg' }, 'en', { who: 'Ann' });
    assert.match(text, /^File z\.jpg in x\/y by Ann/);
    assert.match(text, /- kind \(one of "a", "b"\): Which/);
  });
});

describe('--shard', () => {
  it('parses i/n and names a bad value', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '-1/3', '1/2/3']) {
      assert.throws(() => parseShard(bad), new RegExp(`Expected i/n .* for --shard but received "${bad.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    }
  });

  it('every path lands in exactly one shard, about evenly, whatever else is in the walk', () => {
    const paths = Array.from({ length: 3000 }, (_, i) => `box ${i % 17}/scan-${i}.tif`);
    const sizes = [1, 2, 3].map((index) => paths.filter((p) => inShard(p, { index, count: 3 })).length);
    assert.equal(sizes.reduce((a, b) => a + b), 3000);
    for (const n of sizes) assert.ok(n > 900 && n < 1100, `uneven shards: ${sizes.join(', ')}`);
    for (const p of paths.slice(0, 50)) {
      assert.equal([1, 2, 3].filter((index) => inShard(p, { index, count: 3 })).length, 1, p);
    }
  });
});

