// examples/: the sample-scan generator, the receipt template, the jq/sqlite-utils/exiftool recipes,
// the cron wrapper, the vLLM script, the Kubernetes Job and the SLURM array, each run for real
// against the loopback fake server.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { chmod, copyFile, cp, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parse as parseCsv } from 'csv-parse/sync';
import sharp from 'sharp';
import { parseAllDocuments } from 'yaml';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type RecordedRequest, type Reply } from './helpers/fake-openai.js';
import { BIN, parseJsonl, ROOT, runCli, scratchFolders } from './helpers/cli.js';

const EXAMPLES = path.join(ROOT, 'examples');
const SCANS = path.join(EXAMPLES, 'scans');
const RECEIPT_TEMPLATE = path.join(EXAMPLES, 'templates', 'receipt.md');
const SAMPLES: Record<string, 'jpeg' | 'png'> = {
  'chart-bilingual.png': 'png',
  'form-bilingual.jpg': 'jpeg',
  'invoice-en.jpg': 'jpeg',
  'letter-en.jpg': 'jpeg',
  'receipt-zh.jpg': 'jpeg',
  'street-zh.jpg': 'jpeg',
};
const ENGLISH = ['invoice-en.jpg', 'letter-en.jpg'];
const SCRIPTS = [
  'cron/nightly-catalog.sh',
  'recipes/jq.sh',
  'recipes/sqlite-utils.sh',
  'recipes/exiftool.sh',
  'vllm/serve-and-catalog.sh',
  'slurm/catalog-array.sh',
];

// What the "model" reads on each sample: OCR text for text prompts, receipt fields for the template.
const OCR: Record<string, string> = {
  'chart-bilingual.png': '2023 年各季度销售额\nQuarterly Sales, 2023 (10,000 CNY)',
  'form-bilingual.jpg': '市立图书馆读者登记表\nCITY LIBRARY READER REGISTRATION FORM\n姓名 陈晓雯',
  'invoice-en.jpg': 'Northwind Print & Frame Ltd.\nINVOICE INV-2024-0193\nTotal due (USD) $300.94',
  'letter-en.jpg': 'HARBOUR VIEW HISTORICAL SOCIETY\n12 March 1987\nDear Mrs. Okafor,\nThank you for your generous donation',
  'receipt-zh.jpg': '青禾便利店\n日期：2024-03-15 14:32:08\n实付金额：\t¥33.80\n支付方式：微信支付',
  'street-zh.jpg': '老街茶馆\n陈记杂货铺\n文庙路 WENMIAO RD',
};
const NOT_A_RECEIPT = { shop: '', date: '', total: null, currency: '', payment_method: 'unknown', items: [] };
const RECEIPTS: Record<string, object> = {
  'receipt-zh.jpg': {
    shop: '青禾便利店', date: '2024-03-15', total: 33.8, currency: 'CNY', payment_method: 'wechat_pay',
    items: [
      { name: '农夫山泉 550ml', quantity: 2, amount: 4 },
      { name: '康师傅红烧牛肉面', quantity: 1, amount: 4.5 },
      { name: '光明纯牛奶 250ml', quantity: 3, amount: 11.4 },
      { name: '奥利奥夹心饼干', quantity: 1, amount: 9.9 },
      { name: '晨光中性笔 0.5mm', quantity: 2, amount: 6 },
    ],
  },
  'invoice-en.jpg': {
    shop: 'Northwind Print & Frame Ltd.', date: '2024-02-09', total: 300.94, currency: 'USD', payment_method: 'unknown',
    items: [{ name: 'Archival scanning, 35 mm negatives (per frame)', quantity: 240, amount: 108 }],
  },
};

/** The sample a request is about: the prompts used here name the file ({{file_name}}). */
function sampleOf(req: RecordedRequest): string | undefined {
  const text = JSON.stringify(req.body?.messages ?? '');
  return Object.keys(SAMPLES).find((name) => text.includes(name));
}

function answer(req: RecordedRequest): Reply {
  const name = sampleOf(req);
  const schema = req.body?.response_format?.json_schema?.schema;
  if (name === undefined || (schema !== undefined && !schema.properties?.shop)) return defaultReply(req);
  const content = schema !== undefined ? JSON.stringify(RECEIPTS[name] ?? NOT_A_RECEIPT) : (OCR[name] ?? '');
  return { type: 'answer', content, usage: { prompt_tokens: 1000, completion_tokens: 50 } };
}

let server: FakeOpenAI;
// Lets a test hold requests (and so a run, and its cache lock) until it says so.
let gate: Promise<void> = Promise.resolve();
// Told of each request as it arrives, before the gate holds it: a test waits on this, not on a clock.
let arrived: () => void = () => undefined;

before(async () => {
  server = await startFakeOpenAI({
    handler: async (req) => {
      arrived();
      await gate;
      return answer(req);
    },
  });
});
after(() => server.close());

const workspace = scratchFolders('glmv-examples-');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never rejects on a non-zero exit. */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return finished(spawn(cmd, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, HOME: process.env.HOME, LANG: 'C.UTF-8', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
}

/** A child's output and exit code, once it has closed. */
function finished(child: ChildProcessByStdio<null, Readable, Readable>): Promise<Result> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const has = (tool: string, args = ['--version']): boolean => !spawnSync(tool, args, { stdio: 'ignore' }).error;

function requireTool(tool: string, args: string[], install: string): void {
  if (!has(tool, args)) assert.fail(`${tool} is needed for this test: ${install}`);
}

const sha = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/** An archive: the committed sample scans plus one truncated JPEG. */
async function archive(dir: string): Promise<string> {
  const folder = path.join(dir, 'archive');
  await cp(SCANS, folder, { recursive: true });
  const letter = await readFile(path.join(SCANS, 'letter-en.jpg'));
  await writeFile(path.join(folder, 'torn.jpg'), letter.subarray(0, 4000));
  return folder;
}

/** A text template that names the file, so the fake server knows which sample it is reading. */
async function ocrTemplate(dir: string): Promise<string> {
  const file = path.join(dir, 'ocr-named.md');
  await writeFile(file, '---\nname: ocr-named\nmax_tokens: 512\n---\nTranscribe all visible text in {{file_name}}.\n');
  return file;
}

function catalogArgs(cache: string, ...rest: string[]): string[] {
  return ['catalog', '--endpoint', server.url, '--model', 'm', '--cache', cache, '-q', ...rest];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('examples/make-samples.mjs', () => {
  it('renders the sample scans, the same bytes twice, as decodable images of page size', { timeout: 180_000 }, async () => {
    const dir = await workspace();
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    const script = path.join(EXAMPLES, 'make-samples.mjs');
    const [ra, rb] = await Promise.all([run(process.execPath, [script, a]), run(process.execPath, [script, b])]);
    // With Chinese fonts every sample is drawn; without, only the English ones, with exit 1 and the fix.
    const fonts = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
    const cjk = fonts.error ? ra.code === 0 : fonts.stdout.trim() !== '';
    const expected = cjk ? Object.keys(SAMPLES) : ENGLISH;
    assert.equal(ra.code, cjk ? 0 : 1, ra.stderr);
    assert.equal(rb.code, ra.code, rb.stderr);
    if (!cjk) assert.match(ra.stderr, /apt-get install fonts-noto-cjk/);
    assert.deepEqual((await readdir(a)).sort(), expected);
    assert.equal(ra.stdout.trim().split('\n').length, expected.length, 'one line per file written');
    for (const name of expected) {
      const [x, y] = await Promise.all([readFile(path.join(a, name)), readFile(path.join(b, name))]);
      assert.equal(sha(x), sha(y), `${name} differs between two runs`);
      const meta = await sharp(x).metadata();
      assert.equal(meta.format, SAMPLES[name], name);
      assert.ok(meta.width >= 600 && meta.width <= 2000 && meta.height >= 600 && meta.height <= 2000, `${name}: ${meta.width}x${meta.height}`);
      const { channels } = await sharp(x).stats();
      assert.ok(channels[0]!.stdev > 10, `${name} is nearly blank`);
    }
  });

  it('without a Chinese font, skips the Chinese samples instead of drawing boxes, and says how to fix it', { timeout: 120_000 }, async () => {
    const dir = await workspace();
    const fonts = path.join(dir, 'no-fonts');
    await mkdir(fonts);
    await writeFile(path.join(dir, 'fonts.conf'), `<?xml version="1.0"?>\n<fontconfig><dir>${fonts}</dir><cachedir>${dir}/fc-cache</cachedir></fontconfig>\n`);
    const out = path.join(dir, 'out');
    await mkdir(out);
    await writeFile(path.join(out, 'receipt-zh.jpg'), 'the good one');
    const res = await run(process.execPath, [path.join(EXAMPLES, 'make-samples.mjs'), out], { env: { FONTCONFIG_FILE: path.join(dir, 'fonts.conf') } });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /no font with Chinese characters/);
    assert.match(res.stderr, /apt-get install fonts-noto-cjk/);
    assert.deepEqual((await readdir(out)).sort(), [...ENGLISH, 'receipt-zh.jpg'].sort());
    assert.equal(await readFile(path.join(out, 'receipt-zh.jpg'), 'utf8'), 'the good one', 'an existing sample was overwritten');
  });

  it('bad arguments exit 2 with the usage', async () => {
    const res = await run(process.execPath, [path.join(EXAMPLES, 'make-samples.mjs'), 'a', 'b']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /usage: node examples\/make-samples\.mjs \[OUTDIR\]/);
  });

  it('the committed scans are all there, decode, and stay small', async () => {
    assert.deepEqual((await readdir(SCANS)).sort(), Object.keys(SAMPLES));
    let total = 0;
    for (const [name, format] of Object.entries(SAMPLES)) {
      const data = await readFile(path.join(SCANS, name));
      total += data.length;
      assert.equal((await sharp(data).metadata()).format, format, name);
    }
    assert.ok(total < 1.5 * 1024 * 1024, `examples/scans holds ${total} bytes`);
  });
});

describe('examples/templates/receipt.md', () => {
  it('loads with prompts show', async () => {
    const res = await runCli(['prompts', 'show', RECEIPT_TEMPLATE]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, readFileSync(RECEIPT_TEMPLATE, 'utf8'));
  });

  it('its schema fields become the CSV columns, filled from the answers', async () => {
    const dir = await workspace();
    const out = path.join(dir, 'receipts.csv');
    const res = await runCli([...catalogArgs(path.join(dir, 'c.db'), '--prompt', RECEIPT_TEMPLATE, '-o', out), SCANS]);
    assert.equal(res.code, 0, res.stderr);
    const records = parseCsv(await readFile(out, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    const header = Object.keys(records[0] ?? {});
    const fields = ['shop', 'date', 'total', 'currency', 'payment_method', 'items'];
    assert.deepEqual(header.slice(header.indexOf('reviewed_at') + 1, header.indexOf('model_output')), fields);
    assert.equal(records.length, 6);
    const receipt = records.find((r) => r.SourceFile?.endsWith('receipt-zh.jpg'));
    assert.equal(receipt?.shop, '青禾便利店');
    assert.equal(receipt?.total, '33.8');
    assert.equal(receipt?.payment_method, 'wechat_pay');
    assert.equal(receipt?.items?.split('; ').length, 5);
    assert.equal(records.find((r) => r.SourceFile?.endsWith('street-zh.jpg'))?.total, '');
    // The template reached the server as a JSON schema, with the file's name in the prompt.
    const sent = server.chatRequests().find((r) => sampleOf(r) === 'receipt-zh.jpg' && r.body?.response_format);
    assert.deepEqual(Object.keys(sent?.body.response_format.json_schema.schema.properties ?? {}), fields);
  });
});

describe('examples/recipes', () => {
  const jq = (args: string[]): Promise<Result> => run('bash', [path.join(EXAMPLES, 'recipes', 'jq.sh'), ...args]);
  let dir: string;
  let folder: string;
  let ocr: string;
  let receipts: string;

  before(async () => {
    dir = await workspace();
    folder = await archive(dir);
    ocr = path.join(dir, 'ocr.jsonl');
    receipts = path.join(dir, 'receipts.jsonl');
    const cache = path.join(dir, 'c.db');
    const a = await runCli([...catalogArgs(cache, '--prompt', await ocrTemplate(dir), '-o', ocr), folder]);
    assert.equal(a.code, 1, a.stderr); // the torn file
    const b = await runCli([...catalogArgs(cache, '--prompt', RECEIPT_TEMPLATE, '-o', receipts), folder]);
    assert.equal(b.code, 1, b.stderr);
  });

  it('jq.sh: failed files, counts, answers as TSV, word search, retry list, tokens', async () => {
    requireTool('jq', ['--version'], 'apt-get install jq');
    const failed = await jq(['failed', ocr]);
    assert.equal(failed.code, 0, failed.stderr);
    const lines = failed.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, failed.stdout);
    assert.match(lines[0]!, new RegExp(`^${folder}/torn\\.jpg\\t.*(corrupt|truncated)`));

    assert.equal((await jq(['counts', ocr])).stdout, 'error\t1\nok\t6\n');

    const tsv = (await jq(['descriptions', ocr])).stdout.trimEnd().split('\n');
    assert.equal(tsv.length, 6, 'answers with newlines and tabs must stay one line each');
    assert.ok(tsv.every((l) => l.split('\t').length === 2));
    assert.ok(tsv.includes(`${folder}/receipt-zh.jpg\t青禾便利店\\n日期：2024-03-15 14:32:08\\n实付金额：\\t¥33.80\\n支付方式：微信支付`));

    assert.equal((await jq(['grep', ocr, 'okafor'])).stdout, `${folder}/letter-en.jpg\n`);
    assert.equal((await jq(['grep', ocr, '茶馆'])).stdout, `${folder}/street-zh.jpg\n`);
    assert.equal((await jq(['grep', ocr, 'nothing like this'])).stdout, '');

    assert.equal((await jq(['retry-list', ocr])).stdout, `${folder}/torn.jpg\0`);
    assert.deepEqual(JSON.parse((await jq(['tokens', ocr])).stdout), { rows: 7, requests: 6, tokens_in: 6000, tokens_out: 300 });

    const usage = await jq(['no-such-recipe', ocr]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: jq\.sh RECIPE/);
  });

  it('jq.sh dublin-core: reviewed text, structured fields and pages under Dublin Core names; rejected and failed rows left out', async () => {
    requireTool('jq', ['--version'], 'apt-get install jq');
    const catalog = path.join(dir, 'reviewed.jsonl');
    const rows = [
      { SourceFile: 'a.jpg', page: null, status: 'ok', format: 'jpeg', review: 'edited', reviewer: '李', output: '港口, 1932', model_output: 'a harbour' },
      { SourceFile: 'b.png', page: null, status: 'ok', format: 'png', review: null, reviewer: null, output: { title: 'T', description: 'D "q"', tags: ['x', 'y'] } },
      { SourceFile: 'c.jpg', page: null, status: 'ok', format: 'jpeg', review: 'rejected', reviewer: 'li', output: null, model_output: 'wrong' },
      { SourceFile: 'd.pdf', page: 2, status: 'ok', format: 'pdf', review: 'accepted', reviewer: 'li', output: 'page two' },
      { SourceFile: 'e.jpg', page: null, status: 'error', format: null, output: null },
    ];
    await writeFile(catalog, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const all = await jq(['dublin-core', catalog]);
    assert.equal(all.code, 0, all.stderr);
    const records = parseCsv(all.stdout, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(records[0] ?? {}), ['dc:identifier', 'dc:title', 'dc:description', 'dc:subject', 'dc:format', 'review', 'reviewer']);
    assert.deepEqual(records.map((r) => Object.values(r)), [
      ['a.jpg', '', '港口, 1932', '', 'image/jpeg', 'edited', '李'],
      ['b.png', 'T', 'D "q"', 'x; y', 'image/png', '', ''],
      ['d.pdf#page=2', '', 'page two', '', 'application/pdf', 'accepted', 'li'],
    ]);
    const reviewed = parseCsv((await jq(['dublin-core', catalog, 'reviewed'])).stdout, { columns: true }) as Record<string, string>[];
    assert.deepEqual(reviewed.map((r) => r['dc:identifier']), ['a.jpg', 'd.pdf#page=2']);
  });

  it('jq.sh: the retry list feeds catalog --files-from, and changed finds what is new since a catalog', async () => {
    requireTool('jq', ['--version'], 'apt-get install jq');
    const retry = await jq(['retry-list', ocr]);
    const again = await runCli([...catalogArgs(path.join(dir, 'c.db'), '--prompt', path.join(dir, 'ocr-named.md'), '--files-from', '-')], { input: retry.stdout });
    assert.equal(again.code, 1);
    assert.deepEqual(parseJsonl(again.stdout).map((r) => r.SourceFile), [`${folder}/torn.jpg`]);

    await copyFile(path.join(SCANS, 'chart-bilingual.png'), path.join(folder, 'chart-copy.png'));
    const newer = path.join(dir, 'newer.jsonl');
    await runCli([...catalogArgs(path.join(dir, 'c.db'), '--prompt', path.join(dir, 'ocr-named.md'), '-o', newer), folder]);
    assert.equal((await jq(['changed', newer, ocr])).stdout, `${folder}/chart-copy.png\n`);
  });

  it('jq.sh: receipt totals per currency and line items', async () => {
    requireTool('jq', ['--version'], 'apt-get install jq');
    assert.equal((await jq(['receipts', receipts])).stdout, 'CNY\t1\t33.8\nUSD\t1\t300.94\n');
    const items = (await jq(['receipt-items', receipts])).stdout.trimEnd().split('\n');
    assert.equal(items.length, 6);
    assert.ok(items.includes(`${folder}/receipt-zh.jpg\t2024-03-15\t光明纯牛奶 250ml\t3\t11.4`));
    const shops = (await jq(['field', receipts, 'shop'])).stdout;
    assert.match(shops, new RegExp(`^${folder}/receipt-zh\\.jpg\\t青禾便利店$`, 'm'));
  });

  it('sqlite-utils.sh: loads a catalog, searches Chinese and English, splits receipt items out', async (t) => {
    if (!has('sqlite-utils')) {
      t.skip('sqlite-utils is not installed (apt-get install sqlite-utils, or pipx install sqlite-utils)');
      return;
    }
    requireTool('jq', ['--version'], 'apt-get install jq');
    const db = path.join(dir, 'catalog.db');
    const script = path.join(EXAMPLES, 'recipes', 'sqlite-utils.sh');
    const first = await run('bash', [script, ocr, db, 'Okafor']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /error\s+1/);
    assert.match(first.stdout, /ok\s+6/);
    assert.match(first.stdout, /letter-en\.jpg/);
    assert.doesNotMatch(first.stdout, /receipt-zh\.jpg/);
    const chinese = await run('bash', [script, receipts, db, '青禾便利']);
    assert.equal(chinese.code, 0, chinese.stderr);
    assert.match(chinese.stdout, /receipt-zh\.jpg/);
    assert.doesNotMatch(chinese.stdout, /invoice-en\.jpg/);
    const sqlite = new Database(db, { readonly: true });
    try {
      assert.equal((sqlite.prepare('select count(*) n from photos').get() as { n: number }).n, 7);
      assert.equal((sqlite.prepare('select count(*) n from photos where output is not null').get() as { n: number }).n, 0, 'the second load must replace the first');
      assert.equal((sqlite.prepare('select count(*) n from receipt_items').get() as { n: number }).n, 6);
      const paid = sqlite.prepare("select output_currency c, sum(output_total) s from photos where status = 'ok' and output_total is not null group by 1 order by 1").all();
      assert.deepEqual(paid, [{ c: 'CNY', s: 33.8 }, { c: 'USD', s: 300.94 }]);
    } finally {
      sqlite.close();
    }
  });

  it('exiftool.sh: sidecars beside the images; embed writes XMP that exiftool reads back, and undo restores the files', async () => {
    requireTool('exiftool', ['-ver'], 'apt-get install libimage-exiftool-perl');
    const work = await workspace();
    await cp(SCANS, path.join(work, 'photos'), { recursive: true });
    const cache = path.join(work, 'c.db');
    const made = await runCli([...catalogArgs(cache, '--prompt', 'archive', '-o', 'archive.jsonl'), 'photos'], { cwd: work });
    assert.equal(made.code, 0, made.stderr);
    const script = path.join(EXAMPLES, 'recipes', 'exiftool.sh');
    const env = { GLM_VISION: BIN };
    const before = sha(await readFile(path.join(work, 'photos', 'letter-en.jpg')));

    const sidecars = await run('bash', [script, 'sidecars', 'archive.jsonl', 'photo.xmp'], { cwd: work, env });
    assert.equal(sidecars.code, 0, sidecars.stderr);
    assert.ok(existsSync(path.join(work, 'photos', 'letter-en.xmp')));
    assert.equal(sha(await readFile(path.join(work, 'photos', 'letter-en.jpg'))), before, 'sidecars must leave the image alone');

    const embed = await run('bash', [script, 'embed', 'archive.jsonl', 'photos'], { cwd: work, env });
    assert.equal(embed.code, 0, embed.stderr);
    const show = await run('bash', [script, 'show', 'photos/letter-en.jpg'], { cwd: work });
    const row = parseJsonl(await readFile(path.join(work, 'archive.jsonl'), 'utf8')).find((r) => r.SourceFile === 'photos/letter-en.jpg');
    const title = (row?.output as { title: string }).title;
    assert.match(show.stdout, new RegExp(`\\[XMP-dc\\]\\s+Title\\s+: ${title}`));
    assert.match(show.stdout, /Instructions\s+: AI-generated/);

    const undo = await run('bash', [script, 'undo', 'photos'], { cwd: work });
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal(sha(await readFile(path.join(work, 'photos', 'letter-en.jpg'))), before);
  });
});

describe('examples/cron/nightly-catalog.sh', () => {
  const wrapper = path.join(EXAMPLES, 'cron', 'nightly-catalog.sh');
  // Stands in for glm-vision where a real run cannot cheaply end that way (66, 70, 74, 130, a truncated answer):
  // records its arguments, writes the -o file only when FAKE_ROWS is set (renamed into place, as glm-vision
  // does; on a failed or interrupted run it writes none), and exits FAKE_EXIT. The wrapper's messages
  // (`glm-vision message …`) come from the real one.
  const FAKE_GLM_VISION = `#!/bin/sh
if [ "$1" = message ]; then exec '${process.execPath}' '${BIN}' "$@"; fi
printf '%s\\n' "$@" >"$FAKE_ARGS"
out= prev=
for a do
  if [ "$prev" = -o ]; then out=$a; fi
  prev=$a
done
if [ -n "\${FAKE_ROWS-}" ]; then printf '%s\\n' "$FAKE_ROWS" >"$out.tmp" && mv "$out.tmp" "$out"; fi
echo "fake glm-vision: exit $FAKE_EXIT" >&2
exit "$FAKE_EXIT"
`;
  const ROWS = [
    { SourceFile: 'archive/a.jpg', status: 'ok', error: null, output: 'A letter.' },
    { SourceFile: 'archive/b.jpg', status: 'error', error: 'corrupt JPEG' },
    { SourceFile: 'archive/c.pdf', page: 2, status: 'truncated', error: 'answer cut off at max_tokens 512' },
  ].map((r) => JSON.stringify(r)).join('\n');

  interface Setup { dir: string; env: NodeJS.ProcessEnv; out: string; mailbox: string; fake: string; argsFile: string }
  async function setup(): Promise<Setup> {
    const dir = await workspace();
    const mailbox = path.join(dir, 'mailbox');
    const mail = path.join(dir, 'fake-mail');
    await writeFile(mail, `#!/bin/sh\n{ echo "to: $3 subject: $2"; cat; } >> '${mailbox}'\n`);
    await chmod(mail, 0o755);
    const fake = path.join(dir, 'fake-glm-vision');
    await writeFile(fake, FAKE_GLM_VISION);
    await chmod(fake, 0o755);
    const out = path.join(dir, 'catalogs');
    const argsFile = path.join(dir, 'glm-vision-args');
    const env = {
      ARCHIVE: await archive(dir), OUT_DIR: out, ENDPOINT: server.url, MODEL: 'm', PROMPT: await ocrTemplate(dir),
      GLM_VISION_CACHE: path.join(dir, 'cache.db'), MAIL_TO: 'archivist@example.org', MAIL_CMD: mail, GLM_VISION: BIN,
      FAKE_ARGS: argsFile,
    };
    return { dir, env, out, mailbox, fake, argsFile };
  }

  /**
   * Runs the wrapper as cron does: a bare environment (only what a crontab sets, with node on PATH), no TTY,
   * stdin closed, output captured (cron would mail any of it).
   */
  function cron(env: NodeJS.ProcessEnv): Promise<Result> {
    return finished(spawn('/bin/bash', ['-c', 'exec 0<&- && exec /bin/bash "$0" "$@"', wrapper], {
      cwd: '/',
      env: { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, SHELL: '/bin/sh', HOME: env.OUT_DIR, LOGNAME: 'archivist', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
  }

  const LATEST = 'catalog-latest.jsonl';
  const latest = (out: string): Promise<string | undefined> => readlink(path.join(out, LATEST)).catch(() => undefined);
  /** The wrapper's log; a line with a message's name instead of its text means `glm-vision message` failed. */
  const logOf = async (out: string): Promise<string> => {
    const log = await readFile(path.join(out, 'nightly.log'), 'utf8');
    assert.doesNotMatch(log, /^\S+ \S+ cron\./m, `a message name instead of its text:\n${log}`);
    return log;
  };
  const mailsIn = (mailbox: string): Promise<string> => readFile(mailbox, 'utf8').catch(() => '');
  const DATED = /^catalog-\d{4}-\d\d-\d\d\.jsonl$/;
  /** A catalog published by an earlier night, which a run that must not publish has to leave in place. */
  async function published(out: string): Promise<string> {
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'catalog-2000-01-01.jsonl'), `${ROWS.split('\n')[0]}\n`);
    await symlink('catalog-2000-01-01.jsonl', path.join(out, LATEST));
    return 'catalog-2000-01-01.jsonl';
  }

  it('exit 0: publishes the catalog, mails nothing, prints nothing', async () => {
    const { dir, env, out, mailbox } = await setup();
    const clean = path.join(dir, 'clean');
    await cp(SCANS, clean, { recursive: true });
    await published(out);
    const res = await cron({ ...env, ARCHIVE: clean });
    assert.equal(res.code, 0, await logOf(out));
    assert.equal(res.stdout + res.stderr, '', 'cron would mail any output');
    const dated = await latest(out);
    assert.match(dated ?? '', DATED);
    assert.notEqual(dated, 'catalog-2000-01-01.jsonl');
    assert.equal(parseJsonl(await readFile(path.join(out, LATEST), 'utf8')).length, 6);
    assert.match(await logOf(out), /ok: every file catalogued/);
    assert.equal(await mailsIn(mailbox), '');
  });

  it('exit 1: keeps and publishes the catalog, lists the failed file, mails it, prints nothing', async () => {
    const { env, out, mailbox } = await setup();
    const res = await cron(env);
    assert.equal(res.code, 1, await logOf(out));
    assert.equal(res.stdout + res.stderr, '', 'cron would mail any output');
    const files = await readdir(out);
    const dated = files.find((f) => DATED.test(f));
    assert.ok(dated, files.join(' '));
    assert.equal(await latest(out), dated);
    assert.equal(parseJsonl(await readFile(path.join(out, LATEST), 'utf8')).length, 7);
    const failed = files.find((f) => f.startsWith('failed-'));
    assert.match(await readFile(path.join(out, failed ?? 'missing'), 'utf8'), /^\S+\/torn\.jpg\terror\t\S/);
    assert.match(await mailsIn(mailbox), /^to: archivist@example\.org subject: glm-vision: 1 failed file in /);
    assert.match(await logOf(out), /some files failed: 1 listed/);
  });

  it('exit 1 with a truncated answer: the truncated file is listed and mailed with the failed one', async () => {
    const { env, out, mailbox, fake } = await setup();
    const res = await cron({ ...env, GLM_VISION: fake, FAKE_EXIT: '1', FAKE_ROWS: ROWS });
    assert.equal(res.code, 1, await logOf(out));
    assert.match((await latest(out)) ?? '', DATED);
    const failed = (await readdir(out)).find((f) => f.startsWith('failed-')) ?? 'missing';
    const list = 'archive/b.jpg\terror\tcorrupt JPEG\narchive/c.pdf#page=2\ttruncated\tanswer cut off at max_tokens 512\n';
    assert.equal(await readFile(path.join(out, failed), 'utf8'), list);
    const mail = await mailsIn(mailbox);
    assert.match(mail, /subject: glm-vision: 2 failed files in /);
    assert.ok(mail.endsWith(list), mail);
    assert.match(await logOf(out), /some files failed: 2 listed/);
  });

  it('exit 2 (a bad setting) is mailed; the published catalog stays', async () => {
    const { env, out, mailbox } = await setup();
    const before = await published(out);
    const res = await cron({ ...env, PROMPT: 'no-such-prompt' });
    assert.equal(res.code, 2);
    assert.equal(res.stdout + res.stderr, '');
    assert.match(await mailsIn(mailbox), /subject: glm-vision: configuration error/);
    assert.match(await logOf(out), /usage or configuration error \(exit 2\)/);
    assert.equal(await latest(out), before);
  });

  it('exit 66 from a real run over an archive that is not there (an unmounted share): mailed, the published catalog stays', async () => {
    const { env, out, mailbox } = await setup();
    const before = await published(out);
    const res = await cron({ ...env, ARCHIVE: path.join(out, 'not-mounted') });
    assert.equal(res.code, 66);
    assert.equal(res.stdout + res.stderr, '');
    assert.match(await mailsIn(mailbox), /subject: glm-vision: no input in \//);
    assert.match(await logOf(out), /No such file or folder: \S+not-mounted/);
    assert.equal(await latest(out), before);
  });

  // Exits a real run reaches only through a broken disk, share or bug: the fake stands in, writing no catalog.
  const MAILED: [number, RegExp, RegExp][] = [
    [66, /no input \(exit 66\): \S+ is missing, unreadable or holds no file to catalog/, /subject: glm-vision: no input in \//],
    [70, /internal error \(exit 70\)/, /subject: glm-vision: internal error/],
    [74, /could not write \S+catalog-\d{4}-\d\d-\d\d\.jsonl \(exit 74/, /subject: glm-vision: catalog not written/],
    [42, /failed with exit 42; nothing published/, /subject: glm-vision: exit 42/],
  ];
  for (const [code, logged, subject] of MAILED) {
    it(`exit ${code}: logged, mailed at once, nothing published, the exit status kept`, async () => {
      const { env, out, mailbox, fake } = await setup();
      const before = await published(out);
      const res = await cron({ ...env, GLM_VISION: fake, FAKE_EXIT: String(code) });
      assert.equal(res.code, code, await logOf(out));
      assert.equal(res.stdout + res.stderr, '');
      assert.match(await logOf(out), logged);
      assert.match(await mailsIn(mailbox), subject);
      assert.equal(await latest(out), before);
    });
  }

  it('exit 0 or 1 without a catalog file: nothing published, mailed, exit 70', async () => {
    const { env, out, mailbox, fake } = await setup();
    const before = await published(out);
    const res = await cron({ ...env, GLM_VISION: fake, FAKE_EXIT: '0' });
    assert.equal(res.code, 70, await logOf(out));
    assert.match(await logOf(out), /glm-vision exited 0 but \S+ does not exist; nothing published/);
    assert.match(await mailsIn(mailbox), /subject: glm-vision: no catalog written/);
    assert.equal(await latest(out), before);
  });

  it('exits 130 and 75 are not published and mailed only on the third night in a row; a catalog ends the streak', async () => {
    const { env, out, mailbox, fake } = await setup();
    const before = await published(out);
    const night = (code: number, rows?: string): Promise<Result> =>
      cron({ ...env, GLM_VISION: fake, FAKE_EXIT: String(code), ...(rows ? { FAKE_ROWS: rows } : {}) });

    const first = await night(130);
    assert.equal(first.code, 130);
    assert.match(await logOf(out), /interrupted \(exit 130\), 1 night in a row without a catalog: nothing published/);
    assert.equal((await night(75)).code, 75);
    assert.match(await logOf(out), /temporary failure \(exit 75\), 2 nights in a row/);
    assert.equal(await mailsIn(mailbox), '', 'two nights without a catalog mail no one');
    assert.equal(await latest(out), before);

    assert.equal((await night(130)).code, 130);
    assert.match(await mailsIn(mailbox), /subject: glm-vision: no catalog for 3 nights\n.*\(last exit 130\)/);
    assert.equal(await latest(out), before);

    assert.equal((await night(0, ROWS.split('\n')[0])).code, 0);
    assert.match((await latest(out)) ?? '', DATED);
    assert.equal((await night(75)).code, 75);
    assert.match(await logOf(out), /temporary failure \(exit 75\), 1 night in a row/);
  });

  it('METRICS_FILE is passed as --metrics-file; unset, the flag is not passed', async () => {
    const { env, out, fake, argsFile } = await setup();
    const metrics = path.join(out, 'glm_vision.prom');
    const rows = ROWS.split('\n')[0];
    assert.equal((await cron({ ...env, GLM_VISION: fake, FAKE_EXIT: '0', FAKE_ROWS: rows, METRICS_FILE: metrics })).code, 0);
    const args = (await readFile(argsFile, 'utf8')).split('\n');
    assert.equal(args[args.indexOf('--metrics-file') + 1], metrics);
    assert.ok(args.includes('skip') && args.includes('-o'), args.join(' '));
    assert.equal((await cron({ ...env, GLM_VISION: fake, FAKE_EXIT: '0', FAKE_ROWS: rows })).code, 0);
    assert.ok(!(await readFile(argsFile, 'utf8')).includes('--metrics-file'));
  });

  describe('when mail cannot be sent', () => {
    it('no mail program (MAIL_CMD not found): logged, one line for cron, exit 69 instead of 1; the catalog is still published', async () => {
      const { env, out, fake } = await setup();
      const res = await cron({ ...env, MAIL_CMD: '/nonexistent/mail', GLM_VISION: fake, FAKE_EXIT: '1', FAKE_ROWS: ROWS });
      assert.equal(res.code, 69, await logOf(out));
      const log = await logOf(out);
      assert.match(log, /could not mail archivist@example\.org: \/nonexistent\/mail not found \(install mailutils or bsd-mailx, or set MAIL_CMD\); the mail was: glm-vision: 2 failed files in /);
      assert.match(log, /exit 69: glm-vision exited 1 but a mail that had to go out was not sent/);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /^nightly-catalog\.sh: could not mail archivist@example\.org \(\/nonexistent\/mail not found.*See \S+nightly\.log\n$/);
      assert.match((await latest(out)) ?? '', DATED);
    });

    it('MAIL_CMD left at "mail" and no mail on PATH: the same', async (t) => {
      if (has('mail')) return t.skip('a mail program is installed here');
      const { env, out, fake } = await setup();
      const { MAIL_CMD: _unused, ...noMailCmd } = env;
      const res = await cron({ ...noMailCmd, GLM_VISION: fake, FAKE_EXIT: '1', FAKE_ROWS: ROWS });
      assert.equal(res.code, 69, await logOf(out));
      assert.match(await logOf(out), /could not mail archivist@example\.org: mail not found/);
      assert.match(res.stderr, /could not mail/);
    });

    it('a mail command that fails: logged with its status; a failure exit of glm-vision is kept', async () => {
      const { dir, env, out, fake } = await setup();
      const broken = path.join(dir, 'broken-mail');
      await writeFile(broken, '#!/bin/sh\ncat >/dev/null\necho "send-mail: cannot connect to smtp" >&2\nexit 3\n');
      await chmod(broken, 0o755);
      const res = await cron({ ...env, MAIL_CMD: broken, GLM_VISION: fake, FAKE_EXIT: '74' });
      assert.equal(res.code, 74, 'glm-vision\'s own failure status says more than 69');
      const log = await logOf(out);
      assert.match(log, /send-mail: cannot connect to smtp/);
      assert.match(log, /could not mail archivist@example\.org: \S+broken-mail exited 3; the mail was: glm-vision: catalog not written/);
      assert.match(res.stderr, /could not mail archivist@example\.org/);
    });

    it('MAIL_TO empty: nothing is mailed by design, the log says what would have been, no output', async () => {
      const { env, out, fake } = await setup();
      const res = await cron({ ...env, MAIL_TO: '', GLM_VISION: fake, FAKE_EXIT: '66' });
      assert.equal(res.code, 66);
      assert.equal(res.stdout + res.stderr, '');
      assert.match(await logOf(out), /not mailed \(MAIL_TO is empty\): glm-vision: no input in /);
    });
  });

  it('LANG=zh_CN.UTF-8: the log, the mail and the line for cron are in Chinese; exit status and failed list are as in English', async () => {
    const night = async (LANG: string): Promise<{ res: Result; log: string; mail: string; failed: string }> => {
      const { dir, env, out, mailbox } = await setup();
      const res = await cron({ ...env, LANG, MAIL_CMD: path.join(dir, 'fake-mail') });
      const failedFile = (await readdir(out)).find((f) => f.startsWith('failed-')) ?? 'missing';
      const failed = (await readFile(path.join(out, failedFile), 'utf8')).replaceAll(dir, 'DIR');
      return { res, log: await logOf(out), mail: await mailsIn(mailbox), failed };
    };
    const en = await night('en_US.UTF-8');
    const zh = await night('zh_CN.UTF-8');
    assert.equal(en.res.code, 1, en.log);
    assert.equal(zh.res.code, 1, zh.log);
    assert.equal(zh.failed, en.failed);
    assert.match(zh.failed, /torn\.jpg\terror\t/);
    assert.match(zh.log, /^\S+ \S+ 开始：\S+ → \S+catalog-\d{4}-\d\d-\d\d\.jsonl$/m);
    assert.match(zh.log, /部分文件失败：1 个，已列入 \S+failed-\S+\.tsv（出错的和回答被截断的）；编目结果已发布/);
    assert.match(zh.mail, /^to: archivist@example\.org subject: glm-vision：\S+ 中有 1 个文件失败\n\S+ 中有 1 个文件处理失败或回答被截断；编目结果照常发布。\n明晚会重试这些文件。/);
    assert.doesNotMatch(zh.log, /^\S+ \S+ [a-z]/m, 'an English line of the wrapper in the Chinese log');
    assert.match(en.log, /^\S+ \S+ start: /m);

    // The one line cron mails when our own mail cannot go out, in Chinese too.
    const { env, out } = await setup();
    const res = await cron({ ...env, LANG: 'zh_CN.UTF-8', MAIL_CMD: '/nonexistent/mail' });
    assert.equal(res.code, 69, await logOf(out));
    assert.match(res.stderr, /^nightly-catalog\.sh：无法发送邮件给 archivist@example\.org：找不到 \/nonexistent\/mail（请安装 mailutils 或 bsd-mailx，或设置 MAIL_CMD）。邮件主题：glm-vision：\S+ 中有 1 个文件失败。详见 \S+nightly\.log\n$/);
    assert.match(await logOf(out), /退出码 69：glm-vision 退出码为 1，但一封必须发出的邮件没有发出/);
  });

  it('glm-vision not installed (exit 127): the log and the mail still say what happened, with the messages\' names', async () => {
    const { env, out, mailbox } = await setup();
    const res = await cron({ ...env, GLM_VISION: path.join(out, 'no-glm-vision') });
    assert.equal(res.code, 127);
    const log = await readFile(path.join(out, 'nightly.log'), 'utf8');
    assert.match(log, /cron\.start archive=\S+ catalog=\S+/);
    assert.match(log, /cron\.other\.log status=127/);
    assert.match(await mailsIn(mailbox), /subject: cron\.other\.subject status=127\ncron\.other\.body status=127 log=\S+nightly\.log/);
  });

  it('crontab: every setting it gives is one the wrapper documents, and its job runs the wrapper', async () => {
    const crontab = await readFile(path.join(EXAMPLES, 'cron', 'crontab'), 'utf8');
    const header = (await readFile(wrapper, 'utf8')).split('\nset -euo pipefail')[0] ?? '';
    const lines = crontab.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const job = lines.filter((l) => /^[\d*]/.test(l));
    assert.equal(job.length, 1, lines.join('\n'));
    const fields = (job[0] ?? '').split(/\s+/);
    assert.match(fields.at(-1) ?? '', /\/examples\/cron\/nightly-catalog\.sh$/);
    const names = [...lines.filter((l) => !job.includes(l)), ...fields.slice(5, -1)].map((a) => /^([A-Z_]+)=/.exec(a)?.[1]);
    assert.ok(names.every((n) => n !== undefined), lines.join('\n'));
    for (const name of names.filter((n) => !['SHELL', 'PATH', 'MAILTO'].includes(n ?? ''))) {
      assert.match(header, new RegExp(`^#   ${name} `, 'm'), `${name} is not a documented setting of the wrapper`);
    }
  });

  // Without --lock skip the wrapper would wait for the held run: the timeout turns that into a failure.
  it('exit 75 when another run holds the cache (--lock skip): the published catalog stays, no mail for one night', { timeout: 60_000 }, async () => {
    const { env, out, mailbox } = await setup();
    const first = await cron(env);
    assert.equal(first.code, 1);
    const published = await readlink(path.join(out, 'catalog-latest.jsonl'));
    const mailsBefore = await readFile(mailbox, 'utf8');

    // A long run (new files, requests held at the server) holds the cache's lock…
    await sharp(path.join(SCANS, 'chart-bilingual.png')).flop().toFile(path.join(env.ARCHIVE!, 'chart-mirrored.png'));
    let release = (): void => undefined;
    gate = new Promise((resolve) => (release = resolve));
    const asked = new Promise<'asked'>((resolve) => (arrived = () => resolve('asked')));
    const long = runCli(['catalog', env.ARCHIVE!, '--prompt', env.PROMPT!, '--endpoint', server.url, '--model', 'm', '--cache', env.GLM_VISION_CACHE!, '-q']);
    try {
      const outcome = await Promise.race([asked, long.then(() => 'finished' as const)]);
      assert.equal(outcome, 'asked', 'the long run ended before it asked the server anything');
      // …so tonight's run steps aside at once.
      const res = await cron(env);
      assert.equal(res.code, 75, await readFile(path.join(out, 'nightly.log'), 'utf8'));
    } finally {
      arrived = () => undefined;
      release();
      gate = Promise.resolve();
    }
    assert.equal((await long).code, 1);
    assert.equal(await readlink(path.join(out, 'catalog-latest.jsonl')), published);
    assert.match(await readFile(path.join(out, 'nightly.log'), 'utf8'), /temporary failure \(exit 75\), 1 night in a row/);
    assert.equal(await readFile(mailbox, 'utf8'), mailsBefore, 'one temporary failure must not mail anyone');
  });
});

describe('examples/vllm/serve-and-catalog.sh', () => {
  // Stands in for `vllm serve`: records its arguments, then answers like an OpenAI-compatible server.
  const FAKE_VLLM = `#!/usr/bin/env node
const { createServer } = require('node:http');
const { writeFileSync } = require('node:fs');
const args = process.argv.slice(2);
writeFileSync(process.env.FAKE_VLLM_ARGS, JSON.stringify({ args, pid: process.pid }));
if (process.env.FAKE_VLLM_CRASH) { console.error('CUDA out of memory (fake)'); process.exit(1); }
const port = Number(args[args.indexOf('--port') + 1]);
setTimeout(() => createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url.endsWith('/models')) return res.end(JSON.stringify({ object: 'list', data: [{ id: args[1], object: 'model', owned_by: 'vllm' }] }));
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: args[1], choices: [{ index: 0, message: { role: 'assistant', content: 'A scanned page.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 4 } }));
  });
}).listen(port, args[args.indexOf('--host') + 1]), 1000);
`;
  const script = path.join(EXAMPLES, 'vllm', 'serve-and-catalog.sh');

  async function setup(): Promise<{ dir: string; env: NodeJS.ProcessEnv; argsFile: string }> {
    const dir = await workspace();
    await mkdir(path.join(dir, 'bin'));
    await writeFile(path.join(dir, 'bin', 'vllm'), FAKE_VLLM);
    await chmod(path.join(dir, 'bin', 'vllm'), 0o755);
    const argsFile = path.join(dir, 'vllm-args.json');
    const env = {
      PATH: `${path.join(dir, 'bin')}:${path.dirname(process.execPath)}:${process.env.PATH}`,
      FAKE_VLLM_ARGS: argsFile, PORT: String(await freePort()), PROMPT: 'describe', OUT: path.join(dir, 'scans.jsonl'),
      VLLM_LOG: path.join(dir, 'vllm.log'), GLM_VISION: BIN, GLM_VISION_CACHE: path.join(dir, 'c.db'),
    };
    return { dir, env, argsFile };
  }

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('starts vLLM with the README flags on 127.0.0.1, waits for it, catalogs the scans and stops the server', { timeout: 120_000 }, async () => {
    const { env, argsFile } = await setup();
    const res = await run('bash', [script, '-q'], { env });
    assert.equal(res.code, 0, res.stderr);
    const { args, pid } = JSON.parse(await readFile(argsFile, 'utf8')) as { args: string[]; pid: number };
    assert.deepEqual(args, [
      'serve', 'zai-org/GLM-4.6V-Flash', '--reasoning-parser', 'glm45', '--max-model-len', '65536',
      '--mm-processor-cache-type', 'shm', '--host', '127.0.0.1', '--port', env.PORT,
    ]);
    const rows = parseJsonl(await readFile(env.OUT!, 'utf8'));
    assert.equal(rows.length, 6);
    assert.ok(rows.every((r) => r.status === 'ok' && r.output === 'A scanned page.' && r.model === 'zai-org/GLM-4.6V-Flash'));
    assert.ok(!alive(pid), 'the server must be stopped on exit');
    assert.match(res.stderr, new RegExp(`^serve-and-catalog: starting vLLM with zai-org/GLM-4\\.6V-Flash on 127\\.0\\.0\\.1:${env.PORT} \\(log: \\S+vllm\\.log\\)$`, 'm'));
    assert.match(res.stderr, /^serve-and-catalog: server ready after about \d+ s$/m);
    assert.match(res.stderr, /^serve-and-catalog: catalog written to \S+scans\.jsonl$/m);
    assert.match(res.stderr, /^serve-and-catalog: stopping the vLLM server \(pid \d+\)$/m);
  });

  it('a server that dies while loading: its log, exit 75', { timeout: 60_000 }, async () => {
    const { env } = await setup();
    const res = await run('bash', [script], { env: { ...env, FAKE_VLLM_CRASH: '1' } });
    assert.equal(res.code, 75);
    assert.match(res.stderr, /CUDA out of memory \(fake\)/);
    assert.match(res.stderr, /^serve-and-catalog: the vLLM server exited while starting; its log is above and in \S+vllm\.log$/m);
    assert.ok(!existsSync(env.OUT!));
  });

  it('a folder that is not there: exit 2, said in the locale\'s language; where glm-vision cannot run, the message\'s name and values', async () => {
    const { dir, env } = await setup();
    const missing = path.join(dir, '没有');
    const say = async (more: NodeJS.ProcessEnv): Promise<Result> => run('bash', [script, missing], { env: { ...env, ...more } });
    const en = await say({});
    const zh = await say({ LANG: 'zh_CN.UTF-8' });
    const none = await say({ GLM_VISION: path.join(dir, 'no-glm-vision') });
    assert.deepEqual([en.code, zh.code, none.code], [2, 2, 2]);
    assert.equal(en.stderr, `serve-and-catalog: no such folder: ${missing}\n`);
    assert.equal(zh.stderr, `serve-and-catalog: 文件夹不存在：${missing}\n`);
    assert.equal(none.stderr, `serve-and-catalog: vllm.noFolder folder=${missing}\n`);
  });

  it('uses a server that already answers on the port, and leaves it running', { timeout: 60_000 }, async () => {
    const { env, argsFile } = await setup();
    const port = new URL(server.url).port;
    const res = await run('bash', [script, SCANS, '-q'], { env: { ...env, PORT: port, MODEL: 'm' } });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!existsSync(argsFile), 'vllm must not be started');
    assert.match(res.stderr, new RegExp(`^serve-and-catalog: a server already answers at http://127\\.0\\.0\\.1:${port}/v1; using it and leaving it running$`, 'm'));
    assert.equal(parseJsonl(await readFile(env.OUT!, 'utf8')).length, 6);
    const models = await fetch(`${server.url}/models`);
    assert.equal(models.status, 200);
  });
});

/** Every row of a catalog file, and whether it came from the cache. */
async function catalogRows(file: string): Promise<Record<string, unknown>[]> {
  return parseJsonl(await readFile(file, 'utf8'));
}

/** A folder with only `glm-vision` in it (this clone's bin), for scripts that call it by name. */
async function glmVisionOnPath(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await symlink(BIN, path.join(bin, 'glm-vision'));
  return `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`;
}

describe('examples/kubernetes', () => {
  const dir = path.join(EXAMPLES, 'kubernetes');
  interface Container { name: string; command?: string[]; args?: string[]; env?: { name: string; value?: string }[];
    envFrom?: { configMapRef?: { name: string } }[]; volumeMounts?: { name: string; mountPath: string }[] }
  interface Manifest { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown>; data?: Record<string, string> }
  interface JobSpec { completionMode?: string; completions?: number; parallelism?: number;
    template: { spec: { restartPolicy: string; containers: Container[]; volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] } } }

  async function manifests(file: string): Promise<Manifest[]> {
    const docs = parseAllDocuments(await readFile(path.join(dir, file), 'utf8'));
    for (const d of docs) assert.deepEqual(d.errors, [], `${file}: ${d.errors.join('; ')}`);
    return docs.map((d) => d.toJS() as Manifest);
  }
  const jobIn = (all: Manifest[]): { job: Manifest; spec: JobSpec; container: Container } => {
    const job = all.find((m) => m.kind === 'Job');
    assert.ok(job, 'a Job');
    const spec = job.spec as unknown as JobSpec;
    return { job, spec, container: spec.template.spec.containers[0] as Container };
  };
  const script = (c: Container): string => [...(c.command ?? []), ...(c.args ?? [])].join(' ');
  const configMap = (all: Manifest[]): Record<string, string> => all.find((m) => m.kind === 'ConfigMap')?.data ?? {};

  it('catalog-job.yaml: an Indexed Job whose pods run --shard auto with GLM_VISION_SHARDS = completions, caches on a shared claim', async () => {
    const all = await manifests('catalog-job.yaml');
    const { job, spec, container } = jobIn(all);
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(spec.completionMode, 'Indexed');
    assert.ok(Number.isInteger(spec.completions) && (spec.completions as number) > 1, 'completions: N parts');
    assert.ok(Number.isInteger(spec.parallelism) && (spec.parallelism as number) >= 1 && (spec.parallelism as number) <= (spec.completions as number));
    assert.equal(spec.template.spec.restartPolicy, 'Never', 'a Job pod must not restart in place (podFailurePolicy needs Never)');
    assert.equal(container.env?.find((e) => e.name === 'GLM_VISION_SHARDS')?.value, String(spec.completions));
    assert.match(script(container), /glm-vision catalog \/archive --shard auto/);
    // The cache and the part catalog are named by the index, on the claim mounted at /work.
    assert.match(script(container), /--cache "\/work\/caches\/part-\$JOB_COMPLETION_INDEX\.db"/);
    const work = container.volumeMounts?.find((m) => m.mountPath === '/work');
    const claim = spec.template.spec.volumes.find((v) => v.name === work?.name)?.persistentVolumeClaim?.claimName;
    const pvc = all.find((m) => m.kind === 'PersistentVolumeClaim' && m.metadata.name === claim);
    assert.ok(pvc, `the claim ${claim} for the caches is declared`);
    assert.deepEqual((pvc.spec as { accessModes: string[] }).accessModes, ['ReadWriteMany'], 'every pod writes to it');
    assert.ok(container.envFrom?.some((e) => e.configMapRef?.name === all.find((m) => m.kind === 'ConfigMap')?.metadata.name));
    assert.match(configMap(all).GLM_VISION_ENDPOINT ?? '', /^http:\/\/vllm:8000\/v1$/, 'the vLLM Service');
  });

  it('merge-job.yaml: merges the same caches on the same claim, with the same settings, and catalogs the whole archive', async () => {
    const parts = jobIn(await manifests('catalog-job.yaml'));
    const { job, spec, container } = jobIn(await manifests('merge-job.yaml'));
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(spec.completionMode, undefined);
    assert.match(script(container), /glm-vision cache merge \/work\/caches\/part-\*\.db --cache \/work\/archive\.db/);
    assert.match(script(container), /glm-vision catalog \/archive --cache \/work\/archive\.db -o/);
    assert.doesNotMatch(script(container), /--shard/);
    assert.deepEqual(spec.template.spec.volumes, parts.spec.template.spec.volumes);
    assert.deepEqual(container.volumeMounts, parts.container.volumeMounts);
    assert.deepEqual(container.envFrom, parts.container.envFrom);
  });

  it("the pods' script for two parts, then the merge job's: each file asked once, the whole catalog from the merged cache asks nothing", { timeout: 120_000 }, async () => {
    const work = await workspace();
    const folder = await archive(work);
    const all = await manifests('catalog-job.yaml');
    // As the pods would run them, with the volumes' mount points moved into this test's folder.
    const local = (c: Container): string => (c.args?.[0] ?? '').replaceAll('/archive', folder).replaceAll('/work', path.join(work, 'volume'));
    const env = { ...configMap(all), GLM_VISION_ENDPOINT: server.url, GLM_VISION_SHARDS: '2', GLM_VISION_QUIET: '1', PATH: await glmVisionOnPath(work) };
    const before = server.chatRequests().length;
    for (const index of ['0', '1']) {
      const pod = await run('/bin/sh', ['-c', local(jobIn(all).container)], { env: { ...env, JOB_COMPLETION_INDEX: index } });
      assert.equal(pod.code, 0, `pod ${index} (the torn JPEG fails: exit 1, done): ${pod.stderr}`);
    }
    assert.equal(server.chatRequests().length - before, 6, 'six images, six requests between the two pods');
    const parts = await readdir(path.join(work, 'volume', 'parts'));
    assert.deepEqual(parts.sort(), ['part-0.jsonl', 'part-1.jsonl']);
    const merged = await run('/bin/sh', ['-c', local(jobIn(await manifests('merge-job.yaml')).container)], { env });
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(server.chatRequests().length - before, 6, 'the merged cache answers everything');
    const rows = await catalogRows(path.join(work, 'volume', 'catalog.jsonl'));
    assert.equal(rows.length, 7);
    assert.deepEqual(rows.filter((r) => r.status === 'ok').map((r) => r.cached), Array(6).fill(true));
  });
});

describe('examples/slurm/catalog-array.sh', () => {
  const script = path.join(EXAMPLES, 'slurm', 'catalog-array.sh');

  it('asks for an array range in #SBATCH and runs every part with --shard auto', async () => {
    const text = await readFile(script, 'utf8');
    assert.match(text, /^#SBATCH --array=\d+-\d+(:\d+)?$/m);
    assert.match(text, /catalog "\$ARCHIVE" --shard auto/);
  });

  it('two array tasks (ids 1 and 2), then the merge step: each file asked once, the merged catalog asks nothing', { timeout: 120_000 }, async () => {
    const dir = await workspace();
    const env = {
      ARCHIVE: await archive(dir), WORK: path.join(dir, 'shared'), ENDPOINT: server.url, MODEL: 'm', GLM_VISION: BIN, GLM_VISION_QUIET: '1',
      SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '2', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_STEP: '1',
    };
    const before = server.chatRequests().length;
    for (const id of ['1', '2']) {
      const task = await run('bash', [script], { env: { ...env, SLURM_ARRAY_TASK_ID: id } });
      assert.equal(task.code, 0, task.stderr);
    }
    assert.equal(server.chatRequests().length - before, 6);
    assert.deepEqual((await readdir(path.join(env.WORK, 'caches'))).filter((f) => f.endsWith('.db')).sort(), ['part-1.db', 'part-2.db']);
    const merge = await run('bash', [script, 'merge'], { env: { ARCHIVE: env.ARCHIVE, WORK: env.WORK, ENDPOINT: server.url, MODEL: 'm', GLM_VISION: BIN } });
    assert.equal(merge.code, 0, merge.stderr);
    assert.match(merge.stderr, /some files failed; see the error rows in .*catalog\.jsonl/);
    assert.equal(server.chatRequests().length - before, 6, 'the merged cache answers everything');
    const rows = await catalogRows(path.join(env.WORK, 'catalog.jsonl'));
    assert.equal(rows.length, 7);
    assert.deepEqual(rows.filter((r) => r.status === 'ok').map((r) => r.cached), Array(6).fill(true));
  });

  it('submit: the array, then the merge job with --dependency=afterok on its id', async () => {
    const dir = await workspace();
    const calls = path.join(dir, 'sbatch-calls');
    const sbatch = path.join(dir, 'sbatch');
    // Records each call's arguments, one per line, and answers as --parsable does.
    await writeFile(sbatch, `#!/bin/sh\nn=$(( $(cat "${calls}.n" 2>/dev/null || echo 0) + 1 ))\necho $n >"${calls}.n"\nprintf '%s\\n' "$@" >"${calls}.$n"\necho "$((4000 + n));cluster1"\n`);
    await chmod(sbatch, 0o755);
    const res = await run('bash', [script, 'submit'], { env: { PATH: `${dir}:${path.dirname(process.execPath)}:/usr/bin:/bin`, WORK: path.join(dir, 'shared'), GLM_VISION: BIN } });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual((await readFile(`${calls}.1`, 'utf8')).trim().split('\n'), ['--parsable', script]);
    const merge = (await readFile(`${calls}.2`, 'utf8')).trim().split('\n');
    assert.ok(merge.includes('--dependency=afterok:4001'), merge.join(' '));
    assert.ok(merge.includes(`--wrap=${script} merge`), merge.join(' '));
    assert.equal(res.stdout, 'array job 4001; merge job 4002 starts when every task has succeeded\n');
  });

  it('outside an array the part step exits 2 and says how to submit it, in the locale\'s language; a wrong step gets the usage', async () => {
    const dir = await workspace();
    const step = async (args: string[], more: NodeJS.ProcessEnv = {}): Promise<Result> =>
      run('bash', [script, ...args], { env: { WORK: path.join(dir, 'shared'), GLM_VISION: BIN, ...more } });
    const en = await step([]);
    const zh = await step([], { LANG: 'zh_CN.UTF-8' });
    const none = await step([], { GLM_VISION: path.join(dir, 'no-glm-vision') });
    const usage = await step(['sumbit']);
    assert.deepEqual([en.code, zh.code, none.code, usage.code], [2, 2, 2, 2]);
    assert.equal(en.stderr, `catalog-array.sh: not a task of a job array; run it with sbatch, or '${script} submit'\n`);
    assert.equal(zh.stderr, `catalog-array.sh: 当前不是作业数组中的任务；请用 sbatch 提交，或运行“${script} submit”\n`);
    assert.equal(none.stderr, `catalog-array.sh: slurm.notArray script=${script}\n`);
    assert.equal(usage.stderr, `usage: ${script} [submit|part|merge]\n`);
  });
});

describe('example shell scripts', () => {
  it('parse with bash -n, and pass shellcheck where it is installed', async (t) => {
    const shellcheck = has('shellcheck');
    for (const script of SCRIPTS) {
      const file = path.join(EXAMPLES, script);
      const syntax = await run('bash', ['-n', file]);
      assert.equal(syntax.code, 0, `${script}: ${syntax.stderr}`);
      if (shellcheck) {
        const lint = await run('shellcheck', [file]);
        assert.equal(lint.code, 0, `${script}:\n${lint.stdout}`);
      }
    }
    if (!shellcheck) t.diagnostic('shellcheck is not installed (apt-get install shellcheck): only bash -n ran');
  });
});
