// Config files and environment settings, through the real CLI: precedence
// (flag > env > config > default), discovery, errors, and `glm-vision config`.
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';

let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI();
});
after(() => server.close());
const workspace = scratchFolders('glmv-config-');

interface Tree {
  /** Holds glm-vision.config.json. */
  root: string;
  /** Two folders below root: the working folder of the runs. */
  cwd: string;
  photos: string;
  configFile: string;
}

/** root/glm-vision.config.json, root/work/sub (the cwd), root/photos with two images. */
async function tree(config: Record<string, unknown> | string): Promise<Tree> {
  const root = await workspace();
  const cwd = path.join(root, 'work', 'sub');
  const photos = path.join(root, 'photos');
  await mkdir(cwd, { recursive: true });
  await mkdir(photos);
  await makeImage(path.join(photos, 'a.jpg'), { width: 64, height: 48, seed: 11 });
  await makeImage(path.join(photos, 'b.jpg'), { width: 64, height: 48, seed: 12 });
  const configFile = path.join(root, 'glm-vision.config.json');
  await writeFile(configFile, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return { root, cwd, photos, configFile };
}

/** The models named by the inference requests a run sent. */
async function modelsSent(run: () => Promise<{ code: number | null; stderr: string }>): Promise<string[]> {
  const before = server.chatRequests().length;
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  return [...new Set(server.chatRequests().slice(before).map((q) => q.body.model as string))];
}

interface ConfigJson {
  config: string | null;
  settings: Record<string, { value: unknown; source: string; from?: string; note?: string }>;
}

async function configJson(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ConfigJson> {
  const r = await runMain(['config', '--json', ...args], options);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ConfigJson;
}

describe('config files', () => {
  it('finds glm-vision.config.json in a parent folder: catalog runs with no flags, cache relative to the file', async () => {
    const t = await tree({ endpoint: server.url, model: 'config-model', flavor: 'vllm', cache: 'state/cache.db', quiet: true });
    const before = server.chatRequests().length;
    const r = await runMain(['catalog', t.photos], { cwd: t.cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', '"quiet": true in the config silences stderr');
    const rows = parseJsonl(r.stdout);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.status === 'ok' && row.model === 'config-model'));
    const sent = server.chatRequests().slice(before);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((q) => q.body.model === 'config-model'));
    assert.ok(existsSync(path.join(t.root, 'state', 'cache.db')), 'cache resolved against the config folder');
    assert.ok(!existsSync(path.join(t.cwd, 'state')), 'not against the working folder');
  });

  it('cache tools and doctor read the same config: its cache, endpoints and model', async () => {
    const t = await tree({ endpoint: server.url, model: 'config-model', flavor: 'vllm', cache: 'state/cache.db', quiet: true });
    assert.equal((await runMain(['catalog', t.photos], { cwd: t.cwd })).code, 0);
    const stats = await runMain(['cache', 'stats', '--json'], { cwd: t.cwd });
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, new RegExp(`"${path.join(t.root, 'state', 'cache.db').replace(/[/\\]/g, '.')}"`));
    const doctor = await runMain(['doctor', '--json'], { cwd: t.cwd });
    const checks = JSON.parse(doctor.stdout) as { check: string; status: string; detail: string }[];
    const endpoint = checks.find((c) => c.check === `endpoint ${server.url}`);
    assert.ok(endpoint, `doctor checked the config's endpoint: ${doctor.stdout}`);
    assert.match(checks.find((c) => c.check === 'cache')?.detail ?? '', /state\/cache\.db/);
    const other = await runMain(['cache', 'stats', '--no-config'], { cwd: t.cwd, env: { GLM_VISION_CACHE: path.join(t.root, 'none.db') } });
    assert.equal(other.code, 2, 'with --no-config the environment names a cache that does not exist');
  });

  it('env overrides the config file, and a flag overrides env', async () => {
    const t = await tree({ endpoint: server.url, model: 'config-model', flavor: 'vllm', cache: 'cache.db', quiet: true });
    const env = { GLM_VISION_MODEL: 'env-model' };
    assert.deepEqual(await modelsSent(() => runMain(['catalog', t.photos], { cwd: t.cwd, env })), ['env-model']);
    assert.deepEqual(await modelsSent(() => runMain(['catalog', t.photos, '--model', 'flag-model'], { cwd: t.cwd, env })), ['flag-model']);
  });

  it('a flag beats a list from env: --endpoint replaces $GLM_VISION_ENDPOINT, --no-quiet beats "quiet": true', async () => {
    const t = await tree({ model: 'm', flavor: 'vllm', cache: 'cache.db', quiet: true });
    const env = { GLM_VISION_ENDPOINT: 'http://127.0.0.1:9/v1, http://127.0.0.1:10/v1' };
    const shown = await configJson([], { cwd: t.cwd, env });
    assert.deepEqual(shown.settings.endpoint, { value: ['http://127.0.0.1:9/v1', 'http://127.0.0.1:10/v1'], source: 'env', from: 'GLM_VISION_ENDPOINT' });
    const r = await runMain(['catalog', t.photos, '--endpoint', server.url, '--no-quiet'], { cwd: t.cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJsonl(r.stdout).length, 2);
    assert.notEqual(r.stderr, '', 'the summary is back on stderr');
  });

  it('--config FILE beats the file found above, and a missing --config file is an error', async () => {
    const t = await tree({ endpoint: server.url, model: 'found-model', flavor: 'vllm', cache: 'cache.db', quiet: true });
    const other = path.join(t.root, 'elsewhere', 'night.json');
    await mkdir(path.dirname(other));
    await writeFile(other, JSON.stringify({ endpoint: server.url, model: 'explicit-model', flavor: 'vllm', cache: 'cache.db', quiet: true }));
    assert.deepEqual(await modelsSent(() => runMain(['catalog', t.photos, '--config', other], { cwd: t.cwd })), ['explicit-model']);
    assert.ok(existsSync(path.join(t.root, 'elsewhere', 'cache.db')));
    const viaEnv = await configJson([], { cwd: t.cwd, env: { GLM_VISION_CONFIG: other } });
    assert.equal(viaEnv.config, other);
    assert.equal(viaEnv.settings.model?.value, 'explicit-model');

    const missing = await runMain(['catalog', t.photos, '--config', 'nope.json'], { cwd: t.cwd });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read config file .*work\/sub\/nope\.json/);

    const none = await configJson(['--no-config'], { cwd: t.cwd });
    assert.equal(none.config, null);
    assert.deepEqual(none.settings.model, { value: null, source: 'default', note: "the template's, else onnx-community/Qwen2-VL-2B-Instruct" });
  });

  it('an unknown key is an error naming the key and the file, with a suggestion; nothing is sent', async () => {
    const t = await tree({ endpoint: server.url, model: 'm', maxPixels: 500000 });
    const before = server.chatRequests().length;
    const r = await runMain(['catalog', t.photos], { cwd: t.cwd });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `glm-vision: Unknown setting "maxPixels" in config file ${t.configFile} (did you mean "max-pixels"?)\n`);
    assert.equal(r.stdout, '');
    assert.equal(server.chatRequests().length, before);

    await writeFile(t.configFile, JSON.stringify({ endpoint: server.url, output: 'catalog.jsonl' }));
    const out = await runMain(['catalog', t.photos], { cwd: t.cwd });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /"output" cannot be set in config file .*glm-vision\.config\.json: .*give -o FILE/);
  });

  it('wrong types, bad values and bad JSON are errors naming the file, the key and the value', async () => {
    const t = await tree({ endpoint: server.url, concurrency: '16' });
    const cases: [string, RegExp][] = [
      [JSON.stringify({ concurrency: '16' }), /Expected "auto" or a number for "concurrency" in \S+glm-vision\.config\.json but received "16"/],
      [JSON.stringify({ concurrency: -3 }), /Expected auto or a positive integer for "concurrency" in \S+glm-vision\.config\.json but received -3\n/],
      [JSON.stringify({ 'max-concurrency': 0 }), /Expected positive integer for "max-concurrency" in \S+glm-vision\.config\.json but received 0\n/],
      [JSON.stringify({ endpoint: ['ftp://x'] }), /for "endpoint" in \S+glm-vision\.config\.json but received "ftp:\/\/x"/],
      [JSON.stringify({ hidden: 'yes' }), /Expected true or false for "hidden" in \S+ but received "yes"/],
      ['{\n  "model": "m",\n  "retries": 2,\n}\n', /Invalid JSON in config file \S+glm-vision\.config\.json at line 4, column 1/],
      ['["model"]', /Expected a JSON object .* in config file \S+glm-vision\.config\.json/],
    ];
    for (const [text, message] of cases) {
      await writeFile(t.configFile, text);
      const r = await runMain(['catalog', t.photos], { cwd: t.cwd });
      assert.equal(r.code, 2, text);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
    }
    await writeFile(t.configFile, '{}');
    const env = await runMain(['catalog', t.photos], { cwd: t.cwd, env: { GLM_VISION_CONCURRENCY: 'lots' } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /Expected auto or a positive integer for \$GLM_VISION_CONCURRENCY but received "lots"/);
  });
});

describe('glm-vision config', () => {
  it('--json gives each setting its value and source: flag, env, config and default', async () => {
    const t = await tree({ endpoint: server.url, model: 'config-model', concurrency: 4, prompt: 'prompts/mine.md', include: '*.jpg' });
    const shown = await configJson(['--retries', '2'], { cwd: t.cwd, env: { GLM_VISION_TIMEOUT: '60' } });
    assert.equal(shown.config, t.configFile);
    const s = shown.settings;
    assert.deepEqual(s.retries, { value: 2, source: 'flag', from: '--retries' });
    assert.deepEqual(s.timeout, { value: 60, source: 'env', from: 'GLM_VISION_TIMEOUT' });
    assert.deepEqual(s.model, { value: 'config-model', source: 'config', from: t.configFile });
    assert.deepEqual(s.concurrency, { value: 4, source: 'config', from: t.configFile });
    const auto = await tree({ concurrency: 'auto' });
    assert.deepEqual((await configJson([], { cwd: auto.cwd })).settings.concurrency, { value: 'auto', source: 'config', from: auto.configFile });
    assert.deepEqual(s.include, { value: ['*.jpg'], source: 'config', from: t.configFile });
    assert.deepEqual(s.prompt?.value, path.join(t.root, 'prompts', 'mine.md'), 'a prompt file resolves against the config folder');
    assert.deepEqual(s.lock, { value: 'wait', source: 'default' });
    assert.deepEqual(s['max-pixels'], { value: 1003520, source: 'default', note: 'openai backend' });
    assert.deepEqual(s.backend, { value: 'openai', source: 'default', note: 'an endpoint is set' });
    const flagged = await configJson(['--backend', 'onnx', '--endpoint', 'http://127.0.0.1:9/v1'], { cwd: t.cwd });
    assert.deepEqual(flagged.settings['max-pixels'], { value: 100352, source: 'default', note: 'onnx backend' });
  });

  it('masks API keys, and sends the config file key to the server', async () => {
    const key = 'sk-config-secret-0123456789';
    const t = await tree({ endpoint: server.url, model: 'm', flavor: 'vllm', 'api-key': key, cache: 'cache.db' });
    await chmod(t.configFile, 0o600);
    const table = await runMain(['config'], { cwd: t.cwd });
    assert.equal(table.code, 0, table.stderr);
    assert.ok(!table.stdout.includes(key), 'the key is not printed');
    assert.match(table.stdout, new RegExp(`^api-key +\\*\\*\\*\\*6789 +config ${t.configFile}$`, 'm'));
    assert.match(table.stdout, /^concurrency +auto +default$/m);
    assert.match(table.stdout, /^max-concurrency +512 +default$/m);
    assert.equal(table.stderr, '', 'no warning for a file only its owner can read');

    const json = await configJson([], { cwd: t.cwd, env: { OPENAI_API_KEY: 'sk-env-secret-abcdefghij' } });
    assert.deepEqual(json.settings['api-key'], { value: '****ghij', source: 'env', from: 'OPENAI_API_KEY' });

    const before = server.chatRequests().length;
    const r = await runMain(['catalog', t.photos, '-q'], { cwd: t.cwd });
    assert.equal(r.code, 0, r.stderr);
    const sent = server.chatRequests().slice(before);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((q) => q.headers.authorization === `Bearer ${key}`));

    await chmod(t.configFile, 0o644);
    const loud = await runMain(['config'], { cwd: t.cwd });
    assert.match(loud.stderr, /holds an api-key that other users can read: chmod 600/);
  });

  it('passes over a found config file that belongs to another user', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to give the file away');
      return;
    }
    const tr = await tree({ model: 'planted' });
    await chown(tr.configFile, 4321, 4321);
    const r = await runMain(['config', '--json'], { cwd: tr.cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as ConfigJson).settings.model?.value === 'planted', false);
    assert.match(r.stderr, /ignoring \S+glm-vision\.config\.json: it belongs to another user \(uid 4321\)/);
  });
});
