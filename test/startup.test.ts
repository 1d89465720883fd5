// A fast start: --version, --help and `config` build the command line from light modules and load a
// command's own module (with sharp, SQLite, PDFium, ONNX Runtime, the backends) only when it runs.
// Checked by what gets loaded, not by timing: an ESM resolve hook, registered through NODE_OPTIONS,
// writes every module URL the CLI resolves to a file.
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT, runCli, scratchFolders, type CliResult } from './helpers/cli.js';

const workspace = scratchFolders('glmv-startup-');
const DIST = pathToFileURL(path.join(realpathSync(ROOT), 'dist')).href;
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const HOOK = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(file, resolved.url + '\\n');
  return resolved;
}
`;

/** Runs the CLI with the hook; returns its result and every module URL it resolved. */
async function traced(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult & { loaded: string[] }> {
  const dir = await workspace();
  const trace = path.join(dir, 'trace.txt');
  const register = path.join(dir, 'register.mjs');
  await writeFile(trace, '');
  await writeFile(path.join(dir, 'hook.mjs'), HOOK);
  await writeFile(register, `import { register } from 'node:module';\nregister('./hook.mjs', import.meta.url, { data: { file: ${JSON.stringify(trace)} } });\n`);
  // cwd: an empty folder, so that no glm-vision.config.json above the checkout is found.
  const result = await runCli(args, { cwd: dir, env: { ...env, NODE_OPTIONS: `--import=${JSON.stringify(pathToFileURL(register).href)}` } });
  const loaded = (await readFile(trace, 'utf8')).split('\n').filter((l) => l.length > 0);
  assert.ok(loaded.some((url) => url.startsWith(`${DIST}/cli/main.js`)), `the hook saw no dist/cli/main.js: ${loaded.join(' ')}`);
  return { ...result, loaded };
}

const HEAVY_PACKAGES = ['sharp', '@img', 'better-sqlite3', 'onnxruntime-node', 'onnxruntime-common', '@embedpdf', '@huggingface', '@cantoo', 'p-queue', 'proper-lockfile'];
const COMMAND_MODULES = ['catalog', 'doctor', 'cache', 'models', 'prompts', 'xmp', 'report'];

/** What a start without a command's work must not load. `allow`: dist files that may load anyway. */
function heavy(loaded: string[], allow: string[] = []): string[] {
  return loaded.filter((url) => {
    if (allow.some((file) => url === `${DIST}/${file}`)) return false;
    if (HEAVY_PACKAGES.some((name) => url.includes(`/node_modules/${name}/`))) return true;
    if (['backends', 'cache', 'pages', 'image', 'pipeline', 'doctor', 'report', 'xmp', 'prompt'].some((dir) => url.startsWith(`${DIST}/${dir}/`))) return true;
    return COMMAND_MODULES.some((name) => url === `${DIST}/cli/${name}.js`);
  });
}

describe('startup', () => {
  it('--version prints the version and loads no command', async () => {
    const r = await traced(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`);
    assert.deepEqual(heavy(r.loaded), []);
  });

  it('--help lists every command and loads none', async () => {
    const r = await traced(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const command of ['catalog', 'config', 'report', 'xmp', 'prompts', 'models', 'cache', 'doctor']) {
      assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'), `--help lacks ${command}`);
    }
    assert.match(r.stdout, /Exit codes:/);
    assert.deepEqual(heavy(r.loaded), []);
  });

  it("a command's --help shows its defaults without loading the command", async () => {
    for (const [args, defaults] of [
      [['catalog', '--help'], ['(default: "describe")', '(default: "1024")', '(default: "30")', '(default: "268402689")', '(default: "150")']],
      [['report', '--help'], ['(default: "256")']],
      [['doctor', '--help'], ['onnx-community/Qwen2-VL-2B-Instruct', 'at least one check failed']],
      [['cache', 'prune', '--help'], ['wait for it, or skip (exit 75)']],
      [['config', '--help'], ['Precedence: command-line flags']],
    ] as const) {
      const r = await traced([...args]);
      assert.equal(r.code, 0, r.stderr);
      const help = r.stdout.replace(/\s+/g, ' '); // commander wraps long lines
      for (const text of defaults) assert.ok(help.includes(text), `${args.join(' ')} lacks ${text}`);
      assert.deepEqual(heavy(r.loaded), [], args.join(' '));
    }
  });

  it('config --no-config loads the settings, not sharp, SQLite or the backends', async () => {
    const r = await traced(['config', '--no-config', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { settings } = JSON.parse(r.stdout) as { settings: Record<string, { value: unknown; source: string }> };
    // Defaults that come from the light modules now, as they came from the heavy ones before.
    assert.equal(settings['render-memory']?.value, 1024);
    assert.equal(settings['max-input-pixels']?.value, 268402689);
    assert.equal(settings.backend?.value, 'onnx');
    assert.equal(settings['max-pixels']?.value, 100352);
    assert.match(String(settings.cache?.value), /glm-vision[/\\]cache\.db$/);
    assert.ok(r.loaded.some((url) => url === `${DIST}/cli/config.js`));
    // pages/select.js parses --pages: a few lines that import nothing heavy.
    assert.deepEqual(heavy(r.loaded, ['pages/select.js']), []);
  });

  it('a command loads its own module and not the others', async () => {
    const r = await traced(['prompts', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /describe/);
    assert.ok(r.loaded.some((url) => url === `${DIST}/cli/prompts.js`));
    assert.deepEqual(heavy(r.loaded, ['cli/prompts.js', 'prompt/library.js', 'prompt/template.js']), []);
  });

  it('a bad setting fails (exit 2) before the catalog and its backends load', async () => {
    const r = await traced(['catalog', '--no-config', 'nowhere'], { GLM_VISION_CONCURRENCY: 'x' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\$GLM_VISION_CONCURRENCY but received "x"/);
    assert.deepEqual(heavy(r.loaded, ['pages/select.js']), []);
  });

  it('a bad flag value is still a usage error (exit 2) once the catalog loads', async () => {
    const r = await traced(['catalog', '--no-config', '--pages', 'x', 'nowhere']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /for --pages but received "x"/);
    assert.ok(r.loaded.some((url) => url === `${DIST}/cli/catalog.js`));
  });
});
