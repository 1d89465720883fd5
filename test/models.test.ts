// Models from the Hugging Face Hub, against a loopback server that behaves
// like it: the shared cache layout, resumed and re-fetched downloads, offline
// use, huggingface-cli snapshots, locks, and the first-run auto-pull; in
// process except for two pulls at once.
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseJsonl, runMain, startCli, tempDir } from './helpers/cli.js';
import { gitBlobSha1, sha256Hex, startFakeHub, type FakeHub, type HubFile } from './helpers/fake-hub.js';
import { makeImage } from './helpers/images.js';
import { generateTinyModel } from './tiny-model/index.js';
import { HubClient, type HubFile as PublishedFile } from '../src/models/hub-client.js';
import { pullModel, sizeText } from '../src/models/pull.js';

const REPO = 'tiny-org/tiny-vl';
const COMMIT = 'a'.repeat(40);
const BIG = 'onnx/decoder_model_merged.onnx_data';
let dir: string;
let cleanup: () => Promise<void>;
let files: HubFile[];
let image: string;

async function filesOf(root: string, prefix = ''): Promise<HubFile[]> {
  const out: HubFile[] = [];
  for (const entry of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesOf(root, rel)));
    else out.push({ path: rel, data: await readFile(path.join(root, rel)), lfs: rel.startsWith('onnx/') });
  }
  return out;
}

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-models-'));
  const model = path.join(dir, 'model');
  await generateTinyModel({ family: 'qwen2_vl', outDir: model, seed: 5, dtypes: ['fp32', 'fp16'] });
  files = await filesOf(model);
  image = path.join(dir, 'photo.png');
  await makeImage(image, { width: 56, height: 56, seed: 1, format: 'png' });
});
after(() => cleanup());

let n = 0;
/** A fresh cache folder and the environment that points glm-vision at it and at the hub. */
async function setup(hub: FakeHub | undefined, extra: NodeJS.ProcessEnv = {}): Promise<{ cache: string; env: NodeJS.ProcessEnv }> {
  const cache = path.join(dir, `hf-${n++}`);
  await mkdir(cache);
  return { cache, env: { HF_HUB_CACHE: cache, HF_ENDPOINT: hub?.url ?? 'http://127.0.0.1:9', ...extra } };
}

const repoDir = (cache: string, repo = REPO): string => path.join(cache, `models--${repo.replace('/', '--')}`);
const gets = (hub: FakeHub, file: string): number => hub.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`)).length;
const catalogArgs = (model: string, db: string): string[] =>
  ['catalog', image, '--model', model, '--max-tokens', '4', '--cache', db, '-q'];
/** The tiny model never stops within 4 tokens: every row is truncated, and a truncated answer makes exit 1. */
const TRUNCATED = 1;
/** The fp32 files of the tiny model: what --dtype auto fetches from it. */
const fp32Files = (): HubFile[] => files.filter((f) => !f.path.includes('_fp16'));
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The line a pull prints before its first download, for the files the tiny model's fp32 needs. */
const planLine = (repo: string, cache: string): RegExp => {
  const wanted = fp32Files();
  const bytes = sizeText(wanted.reduce((sum, f) => sum + f.data.length, 0));
  return new RegExp(`^glm-vision: downloading ${escape(repo)} \\(dtype fp32\\): ${wanted.length} files, ${escape(bytes)} into ${escape(cache)}$`, 'm');
};

/** A repository as zai-org publishes GLM-4.6V-Flash: safetensors shards for vLLM and transformers, no ONNX. */
const SAFETENSORS_REPO = 'zai-org/GLM-4.6V-Flash';
const safetensorsFiles = (): HubFile[] => [
  { path: 'README.md', data: Buffer.from('# GLM-4.6V-Flash\n') },
  { path: 'config.json', data: Buffer.from('{"model_type":"glm4v"}\n') },
  { path: 'tokenizer.json', data: Buffer.from('{}\n') },
  { path: 'model.safetensors.index.json', data: Buffer.from('{"weight_map":{}}\n') },
  ...[1, 2, 3, 4].map((i) => ({ path: `model-0000${i}-of-00004.safetensors`, data: Buffer.alloc(2000 + i, i), lfs: true })),
];

describe('models pull', () => {
  let hub: FakeHub;
  before(async () => {
    hub = await startFakeHub({ repos: [{ id: REPO, commit: COMMIT, files }] });
  });
  after(() => hub.close());

  it('lays the model out as huggingface_hub does, with only the files the dtype needs', async () => {
    const { cache, env } = await setup(hub);
    const res = await runMain(['models', 'pull', REPO, '-q'], { env });
    assert.equal(res.code, 0, res.stderr);
    const snapshot = path.join(repoDir(cache), 'snapshots', COMMIT);
    assert.equal(res.stdout.trim(), snapshot);
    assert.equal((await readFile(path.join(repoDir(cache), 'refs', 'main'), 'utf8')).trim(), COMMIT);
    for (const f of files.filter((x) => !x.path.includes('_fp16'))) {
      const link = path.join(snapshot, f.path);
      assert.ok((await lstat(link)).isSymbolicLink(), `${f.path} is a link`);
      const etag = f.lfs ? sha256Hex(f.data) : gitBlobSha1(f.data);
      assert.equal(path.resolve(path.dirname(link), await readlink(link)), path.join(repoDir(cache), 'blobs', etag));
      assert.deepEqual(await readFile(link), f.data);
    }
    assert.ok(!hub.requests.some((r) => r.path.includes('_fp16')), 'fp16 graphs are not fetched for fp32');
  });

  it('a second pull asks for the file list only; info gives sizes per dtype; rm empties the cache', async () => {
    const { cache, env } = await setup(hub);
    assert.equal((await runMain(['models', 'pull', REPO, '-q'], { env })).code, 0);
    hub.requests.length = 0;
    const again = await runMain(['models', 'pull', REPO], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /0\.0 MB downloaded/);
    assert.deepEqual(hub.requests.map((r) => r.path.split('?')[0]), [`/api/models/${REPO}/revision/main`]);
    const info = await runMain(['models', 'info', REPO], { env });
    assert.equal(info.code, 0, info.stderr);
    const sum = (dtype: string) => files.filter((f) => !f.path.startsWith('onnx/') || (dtype === 'fp16') === f.path.includes('_fp16'))
      .reduce((n, f) => n + f.data.length, 0);
    assert.match(info.stdout, new RegExp(`--dtype fp32: ${(sum('fp32') / 1e6).toFixed(1)} MB in \\d+ files \\(auto\\)`));
    assert.match(info.stdout, new RegExp(`--dtype fp16: ${(sum('fp16') / 1e6).toFixed(1)} MB`));
    assert.match(info.stdout, new RegExp(`local: ${COMMIT} \\(fp32\\)`));
    const rm = await runMain(['models', 'rm', REPO], { env });
    assert.equal(rm.code, 0, rm.stderr);
    await assert.rejects(stat(repoDir(cache)));
    assert.equal((await runMain(['models', 'rm', REPO], { env })).code, 2);
  });

  it('resumes an interrupted download with a Range request', async () => {
    const { cache, env } = await setup(hub);
    hub.requests.length = 0;
    const big = (files.find((f) => f.path === BIG) as HubFile).data;
    const cut = big.length >> 1;
    hub.cutNext(BIG, cut);
    const res = await runMain(['models', 'pull', REPO, '-q'], { env });
    assert.equal(res.code, 0, res.stderr);
    const ranged = hub.requests.filter((r) => r.range && r.path.includes(sha256Hex(big)));
    // The last chunks in flight when the connection broke may be lost; what reached the file is kept.
    const from = ranged.map((r) => Number(/^bytes=(\d+)-$/.exec(r.range ?? '')?.[1]));
    assert.ok(from.some((b) => b > 0 && b <= cut), `resumed from a byte in (0, ${cut}] of ${big.length}: ${JSON.stringify(ranged)}`);
    assert.deepEqual(await readFile(path.join(repoDir(cache), 'snapshots', COMMIT, BIG)), (files.find((f) => f.path === BIG) as HubFile).data);
  });

  it('rejects a corrupted file and fetches it again', async () => {
    const { cache, env } = await setup(hub);
    hub.requests.length = 0;
    hub.corruptNext('config.json');
    const res = await runMain(['models', 'pull', REPO, '-q'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(gets(hub, 'config.json'), 2, 'fetched twice');
    assert.deepEqual(await readFile(path.join(repoDir(cache), 'snapshots', COMMIT, 'config.json')), (files.find((f) => f.path === 'config.json') as HubFile).data);
  });

  it("refuses a file whose published hash (X-Linked-Etag, ETag) disagrees with the file list", async () => {
    const client = new HubClient({ endpoint: hub.url });
    const info = await client.repoInfo(REPO, 'main');
    const entry = info.files.find((f) => f.path === BIG) as PublishedFile;
    const partial = path.join(dir, 'mismatch.incomplete');
    await assert.rejects(client.download(REPO, COMMIT, { ...entry, etag: 'f'.repeat(64) }, partial, () => undefined), /the Hub publishes [0-9a-f]{64}/);
    const small = info.files.find((f) => f.path === 'config.json');
    assert.ok(small && !small.lfs);
    await assert.rejects(client.download(REPO, COMMIT, { ...small, etag: '0'.repeat(40) }, partial, () => undefined), /the Hub publishes [0-9a-f]{40}/);
  });

  it('two pulls at once each get the model, and each blob is downloaded once', async () => {
    const { cache, env } = await setup(hub);
    hub.requests.length = 0;
    const [a, b] = await Promise.all([startCli(['models', 'pull', REPO, '-q'], { env }).done, startCli(['models', 'pull', REPO, '-q'], { env }).done]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(hub.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/cdn/')).length, files.filter((f) => f.lfs && !f.path.includes('_fp16')).length);
    assert.deepEqual(await readFile(path.join(repoDir(cache), 'snapshots', COMMIT, BIG)), (files.find((f) => f.path === BIG) as HubFile).data);
  });

  it('says what it will download, and its size from the file list, before the first byte', async () => {
    const { cache, env } = await setup(hub);
    const res = await runMain(['models', 'pull', REPO], { env });
    assert.equal(res.code, 0, res.stderr);
    const plan = planLine(REPO, cache);
    assert.match(res.stderr, plan);
    const lines = res.stderr.split('\n');
    const at = lines.findIndex((l) => plan.test(l));
    const firstFile = lines.findIndex((l) => /^glm-vision: downloading \S+ \([\d.]+ MB\)$/.test(l));
    assert.ok(at >= 0 && firstFile > at, `the size line comes before the first file's:\n${res.stderr}`);
    // Nothing left to fetch: nothing announced. -q: nothing at all.
    const again = await runMain(['models', 'pull', REPO], { env });
    assert.doesNotMatch(again.stderr, /glm-vision: downloading/);
    const quiet = await runMain(['models', 'pull', REPO, '-q'], { env: { ...env, HF_HUB_CACHE: (await setup(hub)).cache } });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
  });

  it('announces the plan after the file list and before any file request', async () => {
    const { cache, env } = await setup(hub);
    const events: string[] = [];
    const recording: typeof fetch = (input, init) => {
      events.push(new URL(input instanceof Request ? input.url : String(input)).pathname.startsWith('/api/') ? 'list' : 'file');
      return fetch(input, init);
    };
    const plans: { files: number; bytes: number; present: number; cacheDir: string }[] = [];
    const pulled = await pullModel({ repo: REPO, revision: 'main' }, {
      env, dtype: 'auto', fetch: recording,
      onPlan: (plan) => {
        events.push('plan');
        plans.push(plan);
      },
    });
    assert.equal(events.indexOf('plan'), 1, events.join(' '));
    assert.deepEqual(events.slice(0, 2), ['list', 'plan']);
    assert.ok(events.slice(2).every((e) => e === 'file') && events.length > 2, events.join(' '));
    const wanted = fp32Files();
    assert.deepEqual(plans, [{ repo: REPO, revision: 'main', dtype: 'fp32', files: wanted.length, bytes: wanted.reduce((n, f) => n + f.data.length, 0), present: 0, cacheDir: cache }]);
    assert.equal(pulled.downloaded, plans[0]?.bytes);
  });

  it('a dtype the repository lacks: exit 2, naming the dtypes it has, nothing downloaded', async () => {
    const { env } = await setup(hub);
    hub.requests.length = 0;
    const res = await runMain(['models', 'pull', REPO, '--dtype', 'q4'], { env });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /tiny-org\/tiny-vl has no onnx\/vision_encoder_q4\.onnx, .*\(needed for --dtype q4\); it has --dtype fp32, fp16/);
    assert.deepEqual(hub.fileRequests(), []);
  });

  it('catalog --model ID pulls on first use, then runs offline from the cache with no request', async () => {
    const { env } = await setup(hub);
    const db = path.join(dir, 'first.db');
    const first = await runMain(catalogArgs(REPO, db), { env });
    assert.equal(first.code, TRUNCATED, first.stderr);
    assert.equal(parseJsonl(first.stdout)[0]?.status, 'truncated');
    // -q silences progress, but not the one line saying a model is being downloaded, and how much.
    assert.match(first.stderr, planLine(REPO, env.HF_HUB_CACHE!));
    assert.equal(first.stderr.match(/downloading/g)?.length, 1, first.stderr);
    hub.requests.length = 0;
    const again = await runMain([...catalogArgs(REPO, path.join(dir, 'again.db'))], { env: { ...env, HF_HUB_OFFLINE: '1' } });
    assert.equal(again.code, TRUNCATED, again.stderr);
    assert.equal(hub.requests.length, 0);
    assert.doesNotMatch(again.stderr, /downloading/);
    assert.equal(parseJsonl(again.stdout)[0]?.output, parseJsonl(first.stdout)[0]?.output);
  });

  it('without --model, the default model is pulled and used', async () => {
    const defaults = await startFakeHub({ repos: [{ id: 'onnx-community/Qwen2-VL-2B-Instruct', commit: 'b'.repeat(40), files }] });
    try {
      const { cache, env } = await setup(defaults);
      const res = await runMain(['catalog', image, '--max-tokens', '4', '--cache', path.join(dir, 'default.db'), '-q'], { env });
      assert.equal(res.code, TRUNCATED, res.stderr);
      assert.deepEqual(parseJsonl(res.stdout).map((r) => r.status), ['truncated']);
      assert.ok((await stat(path.join(repoDir(cache, 'onnx-community/Qwen2-VL-2B-Instruct'), 'refs', 'main'))).isFile());
    } finally {
      await defaults.close();
    }
  });
});

describe('private models', () => {
  it('sends HF_TOKEN, never prints or stores it, and says what to do without it', async () => {
    const token = 'hf_secretTokenValue123';
    const hub = await startFakeHub({ repos: [{ id: REPO, commit: COMMIT, files }], token });
    try {
      const { cache, env } = await setup(hub);
      const denied = await runMain(['models', 'pull', REPO], { env });
      assert.equal(denied.code, 2);
      assert.match(denied.stderr, /private or gated \(HTTP 401.*set HF_TOKEN/);
      const res = await runMain(['models', 'pull', REPO], { env: { ...env, HF_TOKEN: token } });
      assert.equal(res.code, 0, res.stderr);
      assert.ok(hub.requests.some((r) => r.auth === `Bearer ${token}`));
      const stored: string[] = [];
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          const full = path.join(d, e.name);
          stored.push(full);
          if (e.isDirectory()) await walk(full);
          else if (e.isFile() && (await stat(full)).size < 1e6) stored.push((await readFile(full)).toString('latin1'));
        }
      };
      await walk(cache);
      for (const text of [res.stdout, res.stderr, denied.stderr, ...stored]) assert.ok(!text.includes(token), 'the token leaked');
    } finally {
      await hub.close();
    }
  });
});

describe('models without the hub', () => {
  it('uses a snapshot laid out by huggingface-cli without any request', async () => {
    const hub = await startFakeHub({ repos: [] });
    try {
      const { cache, env } = await setup(hub);
      const root = repoDir(cache);
      for (const f of files) {
        const etag = f.lfs ? sha256Hex(f.data) : gitBlobSha1(f.data);
        await mkdir(path.join(root, 'blobs'), { recursive: true });
        await writeFile(path.join(root, 'blobs', etag), f.data);
        const link = path.join(root, 'snapshots', COMMIT, f.path);
        await mkdir(path.dirname(link), { recursive: true });
        await symlink(path.relative(path.dirname(link), path.join(root, 'blobs', etag)), link);
      }
      await mkdir(path.join(root, 'refs'));
      await writeFile(path.join(root, 'refs', 'main'), COMMIT);
      const res = await runMain(catalogArgs(REPO, path.join(dir, 'cli.db')), { env });
      assert.equal(res.code, TRUNCATED, res.stderr);
      assert.deepEqual(parseJsonl(res.stdout).map((r) => r.status), ['truncated']);
      assert.equal(hub.requests.length, 0);
      const list = await runMain(['models', 'list'], { env });
      assert.match(list.stdout, new RegExp(`^${REPO}\\t[\\d.]+ MB\\tmain=aaaaaaaa\\tfp32,fp16$`, 'm'));
    } finally {
      await hub.close();
    }
  });

  it('HF_HUB_OFFLINE with an empty cache fails naming the model and the cache', async () => {
    const { cache, env } = await setup(undefined, { HF_HUB_OFFLINE: '1' });
    const res = await runMain(catalogArgs(REPO, path.join(dir, 'off.db')), { env });
    assert.equal(res.code, 2);
    assert.match(res.stderr, new RegExp(`HF_HUB_OFFLINE is set and ${REPO}@main is not complete in the Hugging Face cache at ${cache}`));
  });

  it('an unreachable hub exits 75 and names every way out with all the flags it needs', async () => {
    const { cache, env } = await setup(undefined);
    const res = await runMain(['models', 'pull', REPO], { env });
    assert.equal(res.code, 75, res.stderr);
    assert.match(res.stderr, /Cannot reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:9/);
    // The server way is refused without --model, so it names both flags.
    assert.match(res.stderr, /--endpoint http:\/\/HOST:8000\/v1 --model zai-org\/GLM-4\.6V-Flash/);
    assert.match(res.stderr, /--model \/path\/to\/folder/);
    assert.match(res.stderr, new RegExp(`copy its Hugging Face cache \\(~/\\.cache/huggingface/hub\\) to ${escape(cache)} here and set HF_HUB_OFFLINE=1`));
    assert.match(res.stderr, /HF_ENDPOINT=https:\/\/hf-mirror\.com/);
    assert.doesNotMatch(res.stderr, /glm-vision: downloading/, 'nothing was announced: the file list never came');
  });

  it('rejects a --model that is neither a folder nor a hub id', async () => {
    const res = await runMain(catalogArgs('no/such/folder', path.join(dir, 'x.db')));
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--model no\/such\/folder: no such folder, and not a Hugging Face model id/);
  });
});

describe('a repository without an ONNX export', () => {
  let hub: FakeHub;
  before(async () => {
    hub = await startFakeHub({
      repos: [
        { id: SAFETENSORS_REPO, commit: 'c'.repeat(40), files: safetensorsFiles() },
        { id: 'some-org/other-onnx', commit: 'd'.repeat(40), files: [{ path: 'config.json', data: Buffer.from('{}') }, { path: 'model.onnx', data: Buffer.alloc(1500, 1), lfs: true }] },
      ],
    });
  });
  after(() => hub.close());

  it('models pull refuses it with exit 2, says what it holds and what to do, and downloads nothing', async () => {
    const { cache, env } = await setup(hub);
    const res = await runMain(['models', 'pull', SAFETENSORS_REPO], { env });
    assert.equal(res.code, 2, res.stderr);
    const shards = safetensorsFiles().filter((f) => f.path.endsWith('.safetensors'));
    const bytes = sizeText(shards.reduce((n, f) => n + f.data.length, 0));
    assert.match(res.stderr, new RegExp(
      `zai-org/GLM-4\\.6V-Flash holds safetensors weights \\(model-00001-of-00004\\.safetensors, model-00002-of-00004\\.safetensors, ` +
        `model-00003-of-00004\\.safetensors, \\.\\.\\.: 4 files, ${escape(bytes)}\\), not an ONNX export`,
    ));
    assert.match(res.stderr, /--endpoint http:\/\/HOST:8000\/v1 --model zai-org\/GLM-4\.6V-Flash/);
    assert.match(res.stderr, /pull an ONNX export such as onnx-community\/Qwen2-VL-2B-Instruct/);
    assert.doesNotMatch(res.stderr, /glm-vision: downloading/);
    assert.deepEqual(hub.fileRequests(), []);
    await assert.rejects(stat(path.join(repoDir(cache, SAFETENSORS_REPO), 'blobs')));
  });

  it('the first-run pull of catalog refuses it the same way, before any download', async () => {
    const { env } = await setup(hub);
    hub.requests.length = 0;
    const res = await runMain(catalogArgs(SAFETENSORS_REPO, path.join(dir, 'st.db')), { env });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /holds safetensors weights .*not an ONNX export/);
    assert.deepEqual(hub.fileRequests(), []);
  });

  it('ONNX files in another layout are named as such; models info says it cannot run it', async () => {
    const { env } = await setup(hub);
    const res = await runMain(['models', 'pull', 'some-org/other-onnx'], { env });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /some-org\/other-onnx holds ONNX files in another layout \(model\.onnx: 1 file, 1\.5 kB\), not an ONNX export/);
    const info = await runMain(['models', 'info', SAFETENSORS_REPO], { env });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /no ONNX export glm-vision can run; it holds safetensors weights/);
    assert.deepEqual(hub.fileRequests(), []);
  });
});
