// Metadata write-back, checked with the real exiftool: what `catalog --format
// exiftool` and `xmp --sidecars` write is read back by exiftool and compared
// with the catalog, and the images themselves stay byte for byte.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest, type Reply } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, startCli, tempDir } from './helpers/cli.js';
import { RECORD_TEMPLATE } from './helpers/templates.js';


/** A structured answer derived from the image, so each file gets its own. */
function answer(version: string) {
  return (req: RecordedRequest): Reply => {
    const h = (req.imageSha256 ?? '').slice(0, 6);
    const schema = req.body?.response_format?.json_schema?.schema;
    const content = schema
      ? JSON.stringify({
          title: `${version} title ${h}`,
          description: `${version}: a street, "quoted" & <angled>; 街道 ${h}.`,
          tags: ['market', `places|china|town ${h}`, 'black-and-white photograph, 1950s'],
        })
      : `${version} text description ${h}.`;
    return { type: 'answer', content, finishReason: 'stop', usage: { prompt_tokens: 10, completion_tokens: 5 } };
  };
}

function exiftool(args: string[], cwd: string): string {
  return execFileSync('exiftool', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

type Tags = Record<string, unknown>;

/** exiftool's JSON for files, keyed by SourceFile; lists always arrays. */
function readBack(files: string[], cwd: string): Map<string, Tags> {
  const json = JSON.parse(
    exiftool(['-j', '-struct', '-charset', 'filename=utf8', '-XMP-dc:all', '-XMP-lr:all', '-XMP-photoshop:all', '-XMP-xmp:Rating', ...files], cwd),
  ) as Tags[];
  return new Map(json.map((t) => [t.SourceFile as string, t]));
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

async function digests(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir, { recursive: true })) {
    if (!/\.(jpe?g|png)$/i.test(name)) continue;
    out.set(name, createHash('sha256').update(await readFile(path.join(dir, name))).digest('hex'));
  }
  return out;
}

const today = new Date().toISOString().slice(0, 10);

describe('metadata write-back (exiftool)', () => {
  let server: FakeOpenAI;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let work: string;
  const cli = (args: string[]) => runMain(args, { cwd: work });

  before(async () => {
    assert.doesNotThrow(() => execFileSync('exiftool', ['-ver']), 'exiftool is missing: apt-get install libimage-exiftool-perl (README, Install)');
    server = await startFakeOpenAI({ handler: answer('v1') });
    tmp = await tempDir('glmv-xmp-');
    work = tmp.dir;
    const photos = path.join(work, 'photos');
    await mkdir(path.join(photos, 'sub'), { recursive: true });
    await makeImage(path.join(photos, 'a.jpg'), { width: 64, height: 48, seed: 1 });
    await makeImage(path.join(photos, 'sub', 'b.png'), { width: 40, height: 40, format: 'png', seed: 2 });
    await makeImage(path.join(photos, '照片 c.jpg'), { width: 50, height: 30, seed: 3 });
    await makeImage(path.join(photos, '=d.jpg'), { width: 30, height: 30, seed: 4 });
    await writeFile(path.join(photos, 'broken.jpg'), 'not a jpeg');
    await writeFile(path.join(work, 'record.md'), RECORD_TEMPLATE);
    const run = await cli(['catalog', 'photos', '--prompt', 'record.md', '--endpoint', server.url, '--model', 'glm-test',
      '--cache', 'cache.db', '-o', 'catalog.jsonl', '-q']);
    assert.equal(run.code, 1, run.stderr); // broken.jpg
  });
  after(async () => {
    await server.close();
    await tmp.cleanup();
  });

  const catalogRows = async () => parseJsonl(await readFile(path.join(work, 'catalog.jsonl'), 'utf8'));

  it('catalog --format exiftool: exiftool -csv= applies it and reads back what the catalog says', async () => {
    const run = await cli(['catalog', 'photos', '--prompt', 'record.md', '--endpoint', server.url, '--model', 'glm-test',
      '--cache', 'cache.db', '--format', 'exiftool', '-o', 'meta.csv', '-q']);
    assert.equal(run.code, 1, run.stderr);
    const records = parseCsv(await readFile(path.join(work, 'meta.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(records[0] ?? {}), ['SourceFile', 'XMP-dc:Title', 'XMP-dc:Description', 'XMP-dc:Subject', 'XMP-lr:HierarchicalSubject', 'XMP-photoshop:Instructions']);
    assert.equal(records.length, 4, 'the broken image has no row');

    await cp(path.join(work, 'photos'), path.join(work, 'applied'), { recursive: true });
    // The recipe from the README, pointed at the copy: SourceFile says photos/…, so rewrite it.
    const csv = (await readFile(path.join(work, 'meta.csv'), 'utf8')).replaceAll('photos/', 'applied/');
    await writeFile(path.join(work, 'applied.csv'), csv);
    exiftool(['-csv=applied.csv', '-sep', '; ', '-charset', 'filename=utf8', '-overwrite_original', '-r', 'applied'], work);

    const rows = (await catalogRows()).filter((r) => r.status === 'ok');
    const back = readBack(rows.map((r) => (r.SourceFile as string).replace('photos/', 'applied/')), work);
    assert.equal(back.size, 4);
    for (const row of rows) {
      const out = row.output as { title: string; description: string; tags: string[] };
      const tags = back.get((row.SourceFile as string).replace('photos/', 'applied/').replace(/^\.\//, ''));
      assert.ok(tags, `exiftool read ${String(row.SourceFile)}`);
      assert.equal(tags.Title, out.title);
      assert.equal(tags.Description, out.description);
      const town = out.tags[1] as string;
      assert.deepEqual(asList(tags.Subject).sort(), ['market', 'places', 'china', town.split('|')[2] as string, 'black-and-white photograph, 1950s'].sort());
      assert.deepEqual(asList(tags.HierarchicalSubject), [town]);
      assert.match(String(tags.Instructions), new RegExp(`^AI-generated, not reviewed: .*glm-vision .* glm-test on ${today}`));
    }
  });

  it('xmp --sidecars: new sidecars match the catalog, an existing one is merged, and the images are untouched', async () => {
    const photos = path.join(work, 'photos');
    // A darktable sidecar someone already worked on: their description, keywords, rating and edit history.
    const existing = `<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:darktable="http://darktable.sf.net/" xmp:Rating="4" darktable:xmp_version="5">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Grandma's shop, 1962</rdf:li><rdf:li xml:lang="zh-CN">奶奶的店</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag><rdf:li>family</rdf:li><rdf:li>market</rdf:li></rdf:Bag></dc:subject>
   <darktable:history><rdf:Seq><rdf:li darktable:operation="exposure" darktable:enabled="1"/></rdf:Seq></darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`;
    await writeFile(path.join(photos, 'a.jpg.xmp'), existing);
    const before_ = await digests(photos);

    const run = await cli(['xmp', 'catalog.jsonl', '--sidecars']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /3 sidecars created, 1 merged, 0 unchanged/);
    assert.match(run.stderr, /kept 1 description that someone else wrote/);
    assert.match(run.stderr, /1 error/);
    assert.deepEqual(await digests(photos), before_, 'no image changed');

    const rows = (await catalogRows()).filter((r) => r.status === 'ok');
    const back = readBack(rows.map((r) => `${String(r.SourceFile)}.xmp`), work);
    for (const row of rows) {
      const out = row.output as { title: string; description: string; tags: string[] };
      const tags = back.get(`${String(row.SourceFile)}.xmp`);
      assert.ok(tags, `${String(row.SourceFile)}.xmp was read`);
      assert.equal(tags.Title, out.title);
      assert.deepEqual(asList(tags.HierarchicalSubject), [out.tags[1]]);
      assert.match(String(tags.Instructions), /AI-generated, not reviewed/);
      if (row.SourceFile === 'photos/a.jpg') {
        assert.equal(tags.Description, "Grandma's shop, 1962", 'a human description is kept');
        assert.equal(tags['Description-zh-CN'] ?? tags['Description-zh'], '奶奶的店');
        assert.equal(tags.Rating, 4);
        const subjects = asList(tags.Subject);
        assert.deepEqual(subjects.slice(0, 2), ['family', 'market'], 'existing keywords first, kept');
        assert.equal(subjects.filter((s) => s === 'market').length, 1, 'no duplicate keyword');
        assert.ok(subjects.includes('places'));
      } else {
        assert.equal(tags.Description, out.description);
      }
    }
    assert.match(await readFile(path.join(photos, 'a.jpg.xmp'), 'utf8'), /darktable:operation="exposure"/, 'darktable history kept');

    // Nightly re-run: nothing new, every sidecar byte for byte the same.
    const sidecarsBefore = await Promise.all(rows.map((r) => readFile(path.join(work, `${String(r.SourceFile)}.xmp`), 'utf8')));
    const again = await cli(['xmp', 'catalog.jsonl', '--sidecars']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /0 sidecars created, 0 merged, 4 unchanged/);
    const sidecarsAfter = await Promise.all(rows.map((r) => readFile(path.join(work, `${String(r.SourceFile)}.xmp`), 'utf8')));
    assert.deepEqual(sidecarsAfter, sidecarsBefore);
  });

  it('a new model replaces our own text but keeps an edit made in another tool', async () => {
    // Someone corrects one description with exiftool; then the archive is re-catalogued.
    exiftool(['-overwrite_original', '-XMP-dc:Description=Corrected by the archivist', 'photos/sub/b.png.xmp'], work);
    server.setHandler(answer('v2'));
    const run = await cli(['catalog', 'photos', '--prompt', 'record.md', '--endpoint', server.url, '--model', 'glm-test-2',
      '--cache', 'cache.db', '--refresh', '-o', 'catalog2.jsonl', '-q']);
    assert.equal(run.code, 1, run.stderr);
    const xmp = await cli(['xmp', 'catalog2.jsonl', '--sidecars']);
    assert.equal(xmp.code, 0, xmp.stderr);
    const back = readBack(['photos/sub/b.png.xmp', 'photos/=d.jpg.xmp'], work);
    const b = back.get('photos/sub/b.png.xmp');
    const d = back.get('photos/=d.jpg.xmp');
    assert.equal(b?.Description, 'Corrected by the archivist');
    assert.match(String(b?.Title), /^v2 title/, "our untouched title is replaced");
    assert.match(String(d?.Description), /^v2: /);
    assert.match(String(d?.Instructions), /glm-test-2/);

    const forced = await cli(['xmp', 'catalog2.jsonl', '--sidecars', '--overwrite']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(String(readBack(['photos/sub/b.png.xmp'], work).get('photos/sub/b.png.xmp')?.Description), /^v2: /);
  });

  it('photo.xmp naming, name clashes, a broken sidecar and --dry-run', async () => {
    const { dir, cleanup } = await tempDir('glmv-xmp2-');
    try {
      await mkdir(path.join(dir, 'p'));
      await copyFile(path.join(work, 'photos', 'a.jpg'), path.join(dir, 'p', 'x.jpg'));
      await makeImage(path.join(dir, 'p', 'x.png'), { width: 20, height: 20, format: 'png', seed: 9 });
      await makeImage(path.join(dir, 'p', 'y.jpg'), { width: 20, height: 20, seed: 10 });
      await writeFile(path.join(dir, 'p', 'y.xmp'), 'this is not XML <');
      const run = await runMain(['catalog', 'p', '--prompt', path.join(work, 'record.md'), '--endpoint', server.url, '--model', 'm',
        '--cache', path.join(work, 'cache.db'), '-o', 'c.csv', '-q'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);

      const dry = await runMain(['xmp', 'c.csv', '--sidecars', '--sidecar-name', 'photo.xmp', '--dry-run'], { cwd: dir });
      assert.equal(dry.code, 1);
      assert.deepEqual((await readdir(path.join(dir, 'p'))).sort(), ['x.jpg', 'x.png', 'y.jpg', 'y.xmp']);

      const real = await runMain(['xmp', 'c.csv', '--sidecars', '--sidecar-name', 'photo.xmp'], { cwd: dir });
      assert.equal(real.code, 1, 'two failures');
      assert.match(real.stderr, /x\.jpg and x\.png would share the sidecar .*x\.xmp; use --sidecar-name photo\.jpg\.xmp/);
      assert.match(real.stderr, /y\.xmp is not valid XML.*left as it is/);
      assert.equal(await readFile(path.join(dir, 'p', 'y.xmp'), 'utf8'), 'this is not XML <');
      // From a CSV catalog the lists come back as lists.
      const x = readBack(['p/x.xmp'], dir).get('p/x.xmp');
      assert.equal(asList(x?.HierarchicalSubject).length, 1);
      assert.ok(asList(x?.Subject).includes('black-and-white photograph, 1950s'));
    } finally {
      await cleanup();
    }
  });

  it('xmp --csv from a CSV catalog equals the one from the JSONL catalog', async () => {
    const csvRun = await cli(['catalog', 'photos', '--prompt', 'record.md', '--endpoint', server.url, '--model', 'glm-test-2',
      '--cache', 'cache.db', '-o', 'catalog2.csv', '-q']);
    assert.equal(csvRun.code, 1, csvRun.stderr);
    const fromJsonl = await cli(['xmp', 'catalog2.jsonl', '--csv']);
    const fromCsv = await cli(['xmp', 'catalog2.csv', '--csv']);
    assert.equal(fromJsonl.code, 0, fromJsonl.stderr);
    assert.equal(fromCsv.stdout, fromJsonl.stdout);
    assert.match(fromJsonl.stderr, /4 rows for exiftool \(1 with nothing to write\)/);
  });

  it('xmp --csv into a reader that went away (`| head`) is no error', async () => {
    const row = (i: number) => JSON.stringify({ SourceFile: `photos/p${i}.jpg`, status: 'ok', model: 'm', output: { title: `t${i}`, description: 'x'.repeat(200), tags: ['a'] } });
    await writeFile(path.join(work, 'big.jsonl'), `${Array.from({ length: 400 }, (_, i) => row(i)).join('\n')}\n`);
    const { child, done } = startCli(['xmp', 'big.jsonl', '--csv'], { cwd: work });
    child.stdout?.destroy();
    const res = await done;
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /internal error/);
  });

  it('usage errors name the problem', async () => {
    const none = await cli(['xmp', 'catalog.jsonl']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--sidecars .* or --csv/);
    const field = await cli(['xmp', 'catalog.jsonl', '--csv', '--title', 'headline']);
    assert.equal(field.code, 2);
    assert.match(field.stderr, /no field "headline" \(its fields: title, description, tags\)/);
    const naming = await cli(['xmp', 'catalog.jsonl', '--sidecars', '--sidecar-name', 'photo.XMP']);
    assert.equal(naming.code, 2);
    assert.match(naming.stderr, /photo\.XMP/);
    const missing = await cli(['xmp', 'nope.jsonl', '--csv']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.jsonl: no such file/);
  });
});
