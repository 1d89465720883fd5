// Content identity with the real exiftool writing into the files in place: what
// archives do after cataloguing must not change an image's identity, and what
// changes the image the model sees must.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { contentIdentity } from '../src/image/content-identity.js';
import { tiffIdentity } from '../src/image/tiff-identity.js';
import { sha256 } from '../src/pipeline/hash.js';
import { makeImage, makeMultiPageTiff } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';

const workspace = scratchFolders('glmv-content-');
const exiftool = (...args: string[]): string => execFileSync('exiftool', ['-q', '-overwrite_original', ...args], { encoding: 'utf8' });

async function identities(file: string): Promise<{ file: string; content: string | undefined }> {
  const data = await readFile(file);
  return { file: sha256(data), content: contentIdentity(data) };
}

/** The metadata an archive writes back, per format (exiftool writes IPTC into JPEG and PNG only). */
const WRITE_BACK: Record<string, string[]> = {
  jpeg: ['-XMP-dc:Description=修复后的照片 </script>', '-IPTC:Keywords=harbour', '-IPTC:Keywords=1990', '-EXIF:DateTimeOriginal=1990:05:04 03:02:01',
    '-GPSLatitude=30.59', '-GPSLatitudeRef=N', '-GPSLongitude=114.30', '-GPSLongitudeRef=E', '-Comment=checked by the archive'],
  png: ['-XMP-dc:Description=修复后的照片', '-IPTC:Keywords=harbour', '-EXIF:DateTimeOriginal=1990:05:04 03:02:01',
    '-GPSLatitude=30.59', '-GPSLatitudeRef=N', '-PNG:Comment=checked'],
  webp: ['-XMP-dc:Description=修复后的照片', '-XMP-dc:Subject=harbour', '-EXIF:DateTimeOriginal=1990:05:04 03:02:01', '-GPSLatitude=30.59', '-GPSLatitudeRef=N'],
  tiff: ['-XMP-dc:Description=修复后的照片', '-IPTC:Keywords=harbour', '-EXIF:DateTimeOriginal=1990:05:04 03:02:01', '-ImageDescription=box 3',
    '-Artist=district archive', '-GPSLatitude=30.59', '-GPSLatitudeRef=N'],
};
const MAX_INPUT_PIXELS = 268_402_689;

describe('content identity', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`a ${format}: metadata written in place keeps it; a new orientation or a re-encode changes it`, async () => {
      const dir = await workspace();
      const file = path.join(dir, `photo.${format}`);
      await makeImage(file, { width: 96, height: 64, seed: 5, format });
      const before = await identities(file);
      assert.ok(before.content?.startsWith(`${format}:`), `no identity for a ${format}`);

      exiftool(...(WRITE_BACK[format] as string[]), file);
      const tagged = await identities(file);
      assert.notEqual(tagged.file, before.file, 'exiftool did not change the file');
      assert.match(execFileSync('exiftool', ['-s3', '-Description', file], { encoding: 'utf8' }), /修复后的照片/);
      assert.equal(tagged.content, before.content, 'metadata changed the content identity');

      exiftool('-Orientation#=6', file);
      const turned = await identities(file);
      assert.notEqual(turned.content, before.content, 'a new orientation kept the identity');
      exiftool('-Orientation#=1', file);
      const upright = await identities(file);
      assert.equal(upright.content, before.content, 'orientation 1 written is the same as none');

      const reencoded = path.join(dir, `again.${format}`);
      await sharp(file)[format]({ quality: 70 }).toFile(reencoded);
      assert.notEqual((await identities(reencoded)).content, before.content, 'a re-encoded image kept the identity');
    });
  }

  it('a JPEG whose only difference is its ICC profile is another image', async () => {
    const dir = await workspace();
    const srgb = path.join(dir, 'srgb.jpg');
    const p3 = path.join(dir, 'p3.jpg');
    const raw = { width: 32, height: 32, channels: 3 as const };
    const pixels = Buffer.alloc(32 * 32 * 3, 120);
    await sharp(pixels, { raw }).withIccProfile('srgb').jpeg().toFile(srgb);
    await sharp(pixels, { raw }).withIccProfile('p3').jpeg().toFile(p3);
    const profile = execFileSync('exiftool', ['-b', '-ICC_Profile', p3]);
    const swapped = path.join(dir, 'swapped.jpg');
    execFileSync('cp', [srgb, swapped]);
    const icc = path.join(dir, 'p3.icc');
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', icc], { input: profile });
    exiftool(`-ICC_Profile<=${icc}`, swapped);
    const a = await identities(srgb);
    const b = await identities(swapped);
    assert.notEqual(b.file, a.file);
    assert.notEqual(b.content, a.content, 'a new ICC profile kept the identity');
  });

  it('a TIFF is known by its decoded pixels, its orientation and its ICC profile', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'scan.tif');
    await makeImage(file, { width: 96, height: 64, seed: 9, format: 'tiff' });
    const identity = async (f: string): Promise<string | undefined> => tiffIdentity(await readFile(f), MAX_INPUT_PIXELS);
    const before = await identity(file);
    assert.ok(before?.startsWith('tiff:'));

    const original = await readFile(file);
    exiftool(...WRITE_BACK.tiff!, file);
    assert.notEqual(sha256(await readFile(file)), sha256(original), 'exiftool did not change the file');
    assert.equal(await identity(file), before, 'metadata changed the identity');

    // Stored another way, the same pixels: the model is shown the same image.
    const lzw = path.join(dir, 'lzw.tif');
    await sharp(file).tiff({ compression: 'lzw' }).toFile(lzw);
    assert.equal(await identity(lzw), before, 'lossless recompression changed the identity');

    exiftool('-Orientation#=6', file);
    assert.notEqual(await identity(file), before, 'a new orientation kept the identity');
    const p3 = path.join(dir, 'p3.tif');
    await sharp(original).withIccProfile('p3').tiff().toFile(p3);
    assert.notEqual(await identity(p3), before, 'an ICC profile kept the identity');
    const lossy = path.join(dir, 'jpeg.tif');
    await sharp(original).tiff({ compression: 'jpeg', quality: 60 }).toFile(lossy);
    assert.notEqual(await identity(lossy), before, 'a lossy re-encode kept the identity');
  });

  it('a file it cannot read as an image of its kind has none, and is known by its file hash', async () => {
    assert.equal(contentIdentity(Buffer.from('not an image')), undefined);
    assert.equal(contentIdentity(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x40, 0x01])), undefined, 'a cut JPEG');
    assert.equal(contentIdentity(Buffer.from('II*\0\x08\0\0\0', 'latin1')), undefined, 'TIFF: not by its bytes');
    assert.equal(await tiffIdentity(Buffer.from('II*\0\x08\0\0\0', 'latin1'), MAX_INPUT_PIXELS), undefined, 'a broken TIFF');
  });
});

describe('a nightly run after the archive wrote its metadata into the originals', () => {
  let server: FakeOpenAI;
  before(async () => {
    server = await startFakeOpenAI();
  });
  after(() => server.close());

  it('asks nothing again for images whose metadata alone changed, and asks again for one turned or re-encoded', async () => {
    const dir = await workspace();
    const photos = path.join(dir, 'photos');
    for (const [i, format] of (['jpeg', 'png', 'webp', 'jpeg', 'tiff'] as const).entries()) {
      await makeImage(path.join(photos, `p${i}.${format}`), { width: 80 + i, height: 60, seed: i + 1, format });
    }
    // A multi-page scan: its pages are known by their rendered pixels.
    await makeMultiPageTiff(path.join(photos, 'p5.tiff'), ['#336699', '#996633']);
    const cache = path.join(dir, 'cache.db');
    const catalog = async (): Promise<{ rows: Record<string, unknown>[]; requests: number }> => {
      const before = server.chatRequests().length;
      const res = await runMain(['catalog', photos, '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '-q', '--format', 'jsonl']);
      assert.equal(res.code, 0, res.stderr);
      return { rows: parseJsonl(res.stdout), requests: server.chatRequests().length - before };
    };
    const first = await catalog();
    assert.equal(first.requests, 7);

    for (const [i, format] of ['jpeg', 'png', 'webp', 'jpeg', 'tiff', 'tiff'].entries()) exiftool(...(WRITE_BACK[format] as string[]), path.join(photos, `p${i}.${format}`));
    const tagged = await catalog();
    assert.equal(tagged.requests, 0, 'metadata written back made the run ask again');
    assert.deepEqual(tagged.rows.map((r) => [r.output, r.width, r.height, r.cached]), first.rows.map((r) => [r.output, r.width, r.height, true]));
    for (const [i, row] of tagged.rows.entries()) {
      assert.notEqual(row.sha256, first.rows[i]?.sha256, 'sha256 is the file as it is now');
      assert.equal(row.bytes, (await readFile(row.SourceFile as string)).length);
    }
    // The next run is a plain hit by the file's stamp.
    assert.equal((await catalog()).requests, 0);

    exiftool('-Orientation#=6', path.join(photos, 'p0.jpeg'));
    await sharp(await readFile(path.join(photos, 'p3.jpeg'))).jpeg({ quality: 50 }).toFile(path.join(photos, 'p3.jpeg'));
    const changed = await catalog();
    assert.equal(changed.requests, 2, 'a turned image and a re-encoded one are new images');
    assert.deepEqual(changed.rows.map((r) => r.cached), [false, true, true, false, true, true, true]);
  });

  it('a cache from before content identities gets them on the next run that finds its images unchanged', async () => {
    const dir = await workspace();
    const photos = path.join(dir, 'photos');
    const formats = ['jpeg', 'png', 'tiff', 'gif'] as const;
    for (const [i, format] of formats.entries()) await makeImage(path.join(photos, `p${i}.${format}`), { width: 70, height: 50 + i, seed: 20 + i, format });
    const cache = path.join(dir, 'cache.db');
    const catalog = async (): Promise<{ stderr: string; requests: number }> => {
      const before = server.chatRequests().length;
      const res = await runMain(['catalog', photos, '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, '--format', 'jsonl']);
      assert.equal(res.code, 0, res.stderr);
      return { stderr: res.stderr, requests: server.chatRequests().length - before };
    };
    assert.equal((await catalog()).requests, 4);
    // The cache as glm-vision 0.1 with schema 6 left it: answers, but no identities.
    const db = new Database(cache);
    db.exec('DELETE FROM contents; DROP TABLE settings; DROP TABLE batch_requests; DROP TABLE batches; PRAGMA user_version = 8;');
    db.close();

    const upgraded = await catalog();
    assert.equal(upgraded.requests, 0);
    assert.match(upgraded.stderr, /recording the content identity of 4 images answered by an older glm-vision/);
    const check = new Database(cache, { readonly: true });
    const recorded = check.prepare('SELECT content FROM contents ORDER BY content').pluck().all() as string[];
    // A GIF has no identity but its file hash, and is recorded as such.
    assert.deepEqual(recorded.map((c) => (c.includes(':') ? c.split(':')[0] : 'file hash')).sort(), ['file hash', 'jpeg', 'png', 'tiff']);
    assert.equal(check.prepare('SELECT count(*) FROM settings').pluck().get(), 0, 'the flag stays up');
    check.close();

    for (const [i, format] of formats.slice(0, 3).entries()) exiftool(...(WRITE_BACK[format] as string[]), path.join(photos, `p${i}.${format}`));
    const tagged = await catalog();
    assert.equal(tagged.requests, 0, 'metadata written after the upgrade made the run ask again');
    assert.doesNotMatch(tagged.stderr, /recording the content identity/);
  });
});
