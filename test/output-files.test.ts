// Safe output files (-o) for every command that writes one: `-` is stdout; a
// device, FIFO or descriptor is written into and never replaced; a regular file is
// replaced atomically, and a failed run leaves the old one byte for byte.
// Every case runs as cron runs it (no TTY, stdin closed) and waits on events only;
// in process, except where the devices or descriptors a process holds matter.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, type Stats } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { defaultReply, sequence, startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { BIN, parseJsonl, runMain, scratchFolders, startCli, type CliResult } from './helpers/cli.js';

const IMAGES = 3;
let server: FakeOpenAI;
const workspace = scratchFolders('glmv-out-');
/** Shared fixtures: a folder of images, its cache and a finished catalog. */
let fx: { dir: string; folder: string; cache: string; catalog: string };

function catalogArgs(cache: string, extra: string[] = []): string[] {
  return ['catalog', '--endpoint', server.url, '--model', 'test-model', '--flavor', 'vllm', '--cache', cache, '-q', ...extra];
}

before(async () => {
  server = await startFakeOpenAI();
  const dir = await workspace();
  const folder = path.join(dir, 'photos');
  await mkdir(folder);
  for (let i = 0; i < IMAGES; i++) {
    await makeImage(path.join(folder, `img-${i}.jpg`), { width: 64 + i, height: 48, seed: 500 + i });
  }
  const cache = path.join(dir, 'cache.db');
  const catalog = path.join(dir, 'catalog.jsonl');
  const res = await runMain([...catalogArgs(cache), '-o', catalog, folder]);
  assert.equal(res.code, 0, res.stderr);
  fx = { dir, folder, cache, catalog };
});
after(() => server.close());

interface Command {
  name: string;
  /** The command line writing to `out`. */
  args: (out: string) => string[];
  /** Asserts that `text` is this command's whole output for the fixtures. */
  check: (text: string) => void;
}

const basenames = (rows: Record<string, unknown>[]): string[] => rows.map((r) => path.basename(String(r.SourceFile))).sort();
const EXPECTED = Array.from({ length: IMAGES }, (_, i) => `img-${i}.jpg`);

const COMMANDS: Command[] = [
  {
    name: 'catalog',
    // A device or FIFO name says nothing about the format.
    args: (out) => [...catalogArgs(fx.cache, ['--format', 'jsonl']), '-o', out, fx.folder],
    check: (text) => assert.deepEqual(basenames(parseJsonl(text)), EXPECTED),
  },
  {
    name: 'report',
    args: (out) => ['report', fx.catalog, '--no-thumbnails', '-q', '-o', out],
    check: (text) => {
      assert.match(text, /^<!DOCTYPE html>/i);
      assert.match(text, /<\/html>\s*$/);
      assert.equal(text.match(/<article class="row /g)?.length, IMAGES);
    },
  },
  {
    name: 'xmp --csv',
    args: (out) => ['xmp', fx.catalog, '--csv', '-q', '-o', out],
    check: (text) => {
      const records = parseCsv(text, { columns: true }) as Record<string, string>[];
      assert.deepEqual(records.map((r) => path.basename(r.SourceFile ?? '')).sort(), EXPECTED);
    },
  },
  {
    name: 'cache export',
    args: (out) => ['cache', 'export', '--cache', fx.cache, '-q', '-o', out],
    check: (text) => assert.equal(parseJsonl(text).length, IMAGES),
  },
];

/** What must not change about a special file: its kind and identity. */
function identity(s: Stats): { kind: string; ino: number; rdev: number; dev: number } {
  const kind = s.isCharacterDevice() ? 'char' : s.isBlockDevice() ? 'block' : s.isFIFO() ? 'fifo' : s.isFile() ? 'file' : 'other';
  return { kind, ino: s.ino, rdev: s.rdev, dev: s.dev };
}

/** mknod DIR/NAME c MAJOR MINOR, or a skip when we may not (not root). */
async function charDevice(t: TestContext, name: string, major: number, minor: number): Promise<string | undefined> {
  const file = path.join(await workspace(), name);
  const made = spawnSync('mknod', [file, 'c', String(major), String(minor)], { encoding: 'utf8' });
  if (made.status !== 0) {
    t.skip(`cannot make a device node with mknod (needs root): ${made.stderr.trim() || String(made.error)}`);
    return undefined;
  }
  return file;
}

async function fifo(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  const made = spawnSync('mkfifo', [file], { encoding: 'utf8' });
  assert.equal(made.status, 0, `mkfifo: ${made.stderr}`);
  return file;
}

/** Runs the CLI writing into `file`, a FIFO, while `cat` reads it; resolves to both ends. */
async function throughFifo(file: string, args: string[], cwd: string): Promise<{ res: CliResult; received: string }> {
  const reader = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let received = '';
  reader.stdout.setEncoding('utf8').on('data', (d: string) => (received += d));
  const readerDone = new Promise<number | null>((resolve, reject) => {
    reader.on('error', reject);
    reader.on('close', resolve);
  });
  const res = await runMain(args, { cwd });
  // Had the CLI never opened the FIFO, cat would wait for a writer forever: be that writer, briefly.
  try {
    closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: cat has already gone, having read to the end.
  }
  assert.equal(await readerDone, 0, 'cat reading the FIFO');
  return { res, received };
}

/** Names in `dir`, to show that no temporary file was left behind. */
const listing = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

/** Runs `script` in bash with the CLI as "$0" "$@", stdin closed and no TTY, as cron would. */
function runShell(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn('bash', ['-c', script, process.execPath, BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A 64 KiB tmpfs, filled up, or a skip where mounting is not allowed; unmounted when the test ends. */
async function fullDisk(t: TestContext): Promise<string | undefined> {
  const mnt = path.join(await workspace(), 'small-fs');
  await mkdir(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a small tmpfs to fill up (needs root): ${mounted.stderr.trim() || String(mounted.error)}`);
    return undefined;
  }
  t.after(() => {
    spawnSync('umount', [mnt]);
  });
  return mnt;
}

/** Fills `dir`'s file system: what is written there next fails with ENOSPC. */
function fill(dir: string): void {
  spawnSync('sh', ['-c', 'head -c 1000000 /dev/zero > "$1"', 'sh', path.join(dir, 'filler')]);
}

describe('-o into a character device', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: -o DEVICE (a null device) writes into it and leaves the node as it was`, async (t) => {
      const dev = await charDevice(t, 'null-device', 1, 3);
      if (!dev) return;
      const before = identity(await lstat(dev));
      const res = await startCli(command.args(dev), { cwd: path.dirname(dev) }).done;
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(identity(await lstat(dev)), before);
      assert.equal(before.kind, 'char');
      assert.deepEqual(await listing(path.dirname(dev)), ['null-device'], 'no temporary file beside the device');
    });

    it(`${command.name}: -o DEVICE (a full device) exits 74 "disk full (ENOSPC)" and leaves the node as it was`, async (t) => {
      const dev = await charDevice(t, 'full-device', 1, 7);
      if (!dev) return;
      const before = identity(await lstat(dev));
      const res = await startCli(command.args(dev), { cwd: path.dirname(dev) }).done;
      assert.equal(res.code, 74, res.stderr);
      assert.match(res.stderr, /Cannot write .*full-device: disk full \(ENOSPC\)/);
      assert.deepEqual(identity(await lstat(dev)), before);
      assert.deepEqual(await listing(path.dirname(dev)), ['full-device']);
    });
  }
});

describe('-o into a FIFO', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: -o FIFO hands the reader the whole output and leaves the FIFO a FIFO`, async () => {
      const dir = await workspace();
      const file = await fifo(dir, 'out.pipe');
      const before = identity(await lstat(file));
      const { res, received } = await throughFifo(file, command.args(file), dir);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '', 'nothing on stdout');
      command.check(received);
      assert.deepEqual(identity(await lstat(file)), before);
      assert.equal(before.kind, 'fifo');
      assert.deepEqual(await listing(dir), ['out.pipe']);
    });
  }
});

describe('-o - is stdout', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: -o - prints the output and makes no file named "-"`, async () => {
      const dir = await workspace();
      // catalog: no --format, so `-` must also choose the default format.
      const args = command.name === 'catalog' ? [...catalogArgs(fx.cache), '-o', '-', fx.folder] : command.args('-');
      const res = await runMain(args, { cwd: dir });
      assert.equal(res.code, 0, res.stderr);
      command.check(res.stdout);
      assert.deepEqual(await listing(dir), [], 'no file named "-"');
    });
  }
});

describe('-o through descriptor names', () => {
  it('catalog -o >(cat > out.jsonl): bash process substitution (/dev/fd/63) gets the whole catalog', async () => {
    const dir = await workspace();
    const out = path.join(dir, 'out.jsonl');
    // `wait $!` waits for the process substitution, so out.jsonl is complete when bash exits.
    const script = '"$0" "$@" -o >(cat > "$OUT"); rc=$?; wait $!; exit $rc';
    const res = await runShell(script, [...catalogArgs(fx.cache, ['--format', 'jsonl']), fx.folder], dir, { OUT: out });
    assert.equal(res.code, 0, res.stderr);
    COMMANDS[0]?.check(await readFile(out, 'utf8'));
    assert.deepEqual(await listing(dir), ['out.jsonl']);
  });

  it('-o /dev/stdout on a pipe (cmd | cat) writes into the pipe', async () => {
    const dir = await workspace();
    const out = path.join(dir, 'piped.csv');
    const res = await runShell('set -o pipefail; "$0" "$@" | cat > "$OUT"', ['xmp', fx.catalog, '--csv', '-q', '-o', '/dev/stdout'], dir, { OUT: out });
    assert.equal(res.code, 0, res.stderr);
    COMMANDS[2]?.check(await readFile(out, 'utf8'));
    assert.deepEqual(await listing(dir), ['piped.csv']);
  });

  it('-o /dev/stdout on a socket (a Node parent\'s stdio, systemd\'s journal) writes into it', async () => {
    const res = await startCli(['xmp', fx.catalog, '--csv', '-q', '-o', '/dev/stdout']).done;
    assert.equal(res.code, 0, res.stderr);
    COMMANDS[2]?.check(res.stdout);
  });

  it('-o /dev/stdout on a regular file writes into that file (the one stdout has open) and does not replace it', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'stdout.jsonl');
    const fd = openSync(file, 'w');
    const before = identity(await stat(file));
    try {
      const res = await startCli(['cache', 'export', '--cache', fx.cache, '-q', '-o', '/dev/stdout'], { stdoutFd: fd, cwd: dir }).done;
      assert.equal(res.code, 0, res.stderr);
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(identity(await stat(file)), before, 'the same file, not a replacement');
    COMMANDS[3]?.check(await readFile(file, 'utf8'));
    assert.deepEqual(await listing(dir), ['stdout.jsonl']);
    assert.equal((await lstat('/dev/stdout')).isSymbolicLink(), true, '/dev/stdout is still a link');
  });

  it('-o /dev/fd/3 on a regular file opened for appending adds to it, after what was there', async () => {
    const dir = await workspace();
    const file = path.join(dir, 'log.jsonl');
    await writeFile(file, '{"earlier":"line"}\n');
    const before = identity(await stat(file));
    const res = await runShell('exec 3>>"$OUT"; "$0" "$@"', ['cache', 'export', '--cache', fx.cache, '-q', '-o', '/dev/fd/3'], dir, { OUT: file });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(identity(await stat(file)), before, 'the same file, not a replacement');
    const lines = parseJsonl(await readFile(file, 'utf8'));
    assert.deepEqual(lines[0], { earlier: 'line' });
    assert.equal(lines.length, 1 + IMAGES);
  });
});

describe('-o into a regular file', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: a full disk exits 74, leaves the old file byte for byte and no temporary file`, async (t) => {
      const mnt = await fullDisk(t);
      if (!mnt) return;
      const out = path.join(mnt, 'previous.out');
      const old = Buffer.from('the previous output\n\u00e9\n');
      await writeFile(out, old);
      fill(mnt);
      const res = await runMain(command.args(out), { cwd: mnt });
      assert.equal(res.code, 74, res.stderr);
      assert.match(res.stderr, /Cannot write .*previous\.out: disk full \(ENOSPC\)/);
      assert.deepEqual(await readFile(out), old);
      assert.deepEqual(await listing(mnt), ['filler', 'previous.out']);
    });
  }

  it('catalog: a run that fails after the output was opened leaves the old catalog byte for byte and no temporary file', async () => {
    const dir = await workspace();
    const folder = path.join(dir, 'new-photos');
    for (let i = 0; i < 3; i++) await makeImage(path.join(folder, `n-${i}.jpg`), { width: 40 + i, height: 30, seed: 900 + i });
    const outDir = path.join(dir, 'out');
    await mkdir(outDir);
    const out = path.join(outDir, 'catalog.jsonl');
    const old = Buffer.from('{"the":"previous catalog"}\n');
    await writeFile(out, old);
    // The output is open and the first answer in; then the key is refused and the run stops.
    server.setHandler(sequence([
      { type: 'answer', content: 'The first answer.', finishReason: 'stop', usage: { prompt_tokens: 10, completion_tokens: 5 } },
      { type: 'status', status: 401, body: { error: { message: 'invalid api key' } } },
    ]));
    const asked = server.chatRequests().length;
    try {
      const res = await runMain([...catalogArgs(path.join(dir, 'c.db'), ['-j', '1']), '-o', out, folder], { cwd: dir });
      assert.notEqual(res.code, 0, res.stderr);
      assert.match(res.stderr, /401|key|auth/i);
      assert.equal(server.chatRequests().length - asked, 2, 'the second request was refused');
    } finally {
      server.setHandler(defaultReply);
    }
    assert.deepEqual(await readFile(out), old);
    assert.deepEqual(await listing(outDir), ['catalog.jsonl']);
  });

  it('a symbolic link to a regular file: the file it points to is replaced, the link stays a link', async () => {
    const dir = await workspace();
    const real = path.join(dir, 'real.html');
    const link = path.join(dir, 'link.html');
    await writeFile(real, 'old page');
    await symlink('real.html', link);
    const res = await runMain(['report', fx.catalog, '--no-thumbnails', '-q', '-o', link], { cwd: dir });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readlink(link), 'real.html');
    COMMANDS[1]?.check(await readFile(real, 'utf8'));
    assert.deepEqual(await listing(dir), ['link.html', 'real.html']);
  });

  it('a dangling symbolic link: the file is made where it points', async () => {
    const dir = await workspace();
    const link = path.join(dir, 'export.jsonl');
    await symlink('made.jsonl', link);
    const res = await runMain(['cache', 'export', '--cache', fx.cache, '-q', '-o', link], { cwd: dir });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readlink(link), 'made.jsonl');
    COMMANDS[3]?.check(await readFile(path.join(dir, 'made.jsonl'), 'utf8'));
  });

  it('a regular file is replaced by a complete new one, renamed into place (a new inode)', async () => {
    const dir = await workspace();
    const out = path.join(dir, 'tags.csv');
    await writeFile(out, 'old,csv\n');
    const before = (await stat(out)).ino;
    const res = await runMain(['xmp', fx.catalog, '--csv', '-q', '-o', 'tags.csv'], { cwd: dir });
    assert.equal(res.code, 0, res.stderr);
    COMMANDS[2]?.check(await readFile(out, 'utf8'));
    assert.notEqual((await stat(out)).ino, before, 'renamed into place, not rewritten in place');
    assert.deepEqual(await listing(dir), ['tags.csv']);
  });
});

describe('-o that cannot be written into', () => {
  it('a socket exits 74 naming it, and stays a socket', async () => {
    const dir = await workspace();
    const sock = path.join(dir, 'out.sock');
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(sock, resolve));
    try {
      const res = await runMain(['cache', 'export', '--cache', fx.cache, '-q', '-o', sock], { cwd: dir });
      assert.equal(res.code, 74, res.stderr);
      assert.match(res.stderr, /Cannot write .*out\.sock: it is a socket/);
      assert.equal((await lstat(sock)).isSocket(), true);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  it('a folder exits 74 before anything is written', async () => {
    const dir = await workspace();
    const res = await runMain(['report', fx.catalog, '--no-thumbnails', '-q', '-o', dir], { cwd: dir });
    assert.equal(res.code, 74, res.stderr);
    assert.match(res.stderr, /Cannot write .*: it is a folder/);
    assert.deepEqual(await listing(dir), []);
  });
});

describe('XMP sidecars that are not regular files', () => {
  it('a FIFO where a sidecar would go is neither read (no hang) nor replaced; the row fails naming it', async () => {
    const dir = await workspace();
    const photos = path.join(dir, 'photos');
    await mkdir(photos);
    for (const name of EXPECTED) await writeFile(path.join(photos, name), await readFile(path.join(fx.folder, name)));
    const made = await runMain([...catalogArgs(fx.cache), '-o', 'catalog.jsonl', 'photos'], { cwd: dir });
    assert.equal(made.code, 0, made.stderr);
    const pipe = await fifo(photos, 'img-0.jpg.xmp');
    const before = identity(await lstat(pipe));
    const res = await runMain(['xmp', 'catalog.jsonl', '--sidecars'], { cwd: dir });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /img-0\.jpg\.xmp is not a regular file/);
    assert.deepEqual(identity(await lstat(pipe)), before);
    assert.deepEqual((await readdir(photos)).filter((n) => n.endsWith('.xmp')).sort(), ['img-0.jpg.xmp', 'img-1.jpg.xmp', 'img-2.jpg.xmp']);
  });
});
