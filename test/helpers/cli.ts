// Runs the real CLI (bin/glm-vision.js over dist/) as a child process, or its
// main() in this process (runMain) where being a separate process does not matter.
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'glm-vision.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** A file descriptor for the child's stdout instead of a pipe (e.g. /dev/full). */
  stdoutFd?: number;
  /** A command that runs node for us, e.g. ['setpriv', '--reuid', 'nobody', …]. */
  wrapper?: string[];
}

interface Watched {
  text: { stdout: string; stderr: string };
  closed: boolean;
  listeners: Set<() => void>;
}

// What each started child has printed so far, for waitForOutput.
const watched = new WeakMap<ChildProcess, Watched>();

/**
 * Resolves with the output so far once the child's stderr (or stdout) matches
 * `pattern`: a test waits for what the CLI says, not for a time. Rejects if
 * the child ends without printing it, so a test fails instead of hanging.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<string> {
  const w = watched.get(child);
  if (w === undefined) return Promise.reject(new Error('waitForOutput: the child was not started by startCli'));
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const text = w.text[stream];
      if (pattern.test(text)) {
        w.listeners.delete(check);
        resolve(text);
      } else if (w.closed) {
        w.listeners.delete(check);
        reject(new Error(`the child ended without printing ${String(pattern)} on ${stream}; it printed:\n${text}`));
      }
    };
    w.listeners.add(check);
    check();
  });
}

export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(command as string, [...prefix, BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...options.env },
    stdio: ['pipe', options.stdoutFd ?? 'pipe', 'pipe'],
  });
  const w: Watched = { text: { stdout: '', stderr: '' }, closed: false, listeners: new Set() };
  watched.set(child, w);
  const tell = (): void => {
    for (const listener of [...w.listeners]) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    w.text.stdout += d;
    tell();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    w.text.stderr += d;
    tell();
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      w.closed = true;
      tell();
      resolve({ code, signal, stdout: w.text.stdout, stderr: w.text.stderr });
    });
  });
  return { child, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * Resolves true once a file whose name passes `match` is in `dir` (told by
 * fs.watch, no polling), or false if `exited` settles first.
 */
export function fileAppears(dir: string, match: (name: string) => boolean, exited: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (found: boolean): void => {
      if (settled) return;
      settled = true;
      watcher.close();
      resolve(found);
    };
    const watcher = watch(dir, (_event, name) => {
      if (name !== null && match(name)) finish(true);
    });
    watcher.on('error', reject);
    // Looked at once the watch is on, so a file made before it is not missed.
    readdir(dir).then((names) => {
      if (names.some(match)) finish(true);
    }, reject);
    exited.then(() => finish(false), () => finish(false));
  });
}

/** What runMain takes: no wrapper or descriptor, which only a child process has. */
export type MainOptions = Pick<CliOptions, 'cwd' | 'env' | 'input'>;

/** A stream that keeps what is written to it, as text. */
function collector(): { stream: Writable; text: () => string } {
  const decoder = new StringDecoder('utf8');
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      callback();
    },
  });
  return { stream, text: () => text + decoder.end() };
}

/** Signals whose listeners a run must take away again, as it would by exiting. */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGPIPE', 'SIGHUP'];
// In-process runs share process.cwd(): one at a time.
let mainQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs src/cli/main.ts's main() in this process, with the io bin/glm-vision.js
 * would give it (environment as runCli gives a child, stdout and stderr kept as
 * text), and returns what runCli returns. No node starts, so it is much faster.
 * What a child would take with it when it ends is put back or checked: the
 * folder, process.exitCode, signal listeners, writes that bypass io.stderr
 * (the CLI reads io.env, never process.env). Worker threads start from dist/
 * while the build is current.
 * Not for tests where being a process matters: signals, EPIPE, /dev/full,
 * locks between processes, kills, setpriv.
 */
export function runMain(args: string[], options: MainOptions = {}): Promise<CliResult> {
  const run = mainQueue.then(async (): Promise<CliResult> => {
    const { main } = await import('../../src/cli/main.js');
    // proper-lockfile installs signal-exit's listeners once, on its first load, for the life of the process.
    await import('proper-lockfile');
    const stdout = collector();
    const stderr = collector();
    const input = options.input === undefined ? [] : [Buffer.from(options.input)];
    const cwd = options.cwd ?? ROOT;
    const previous = process.cwd();
    const exitCode = process.exitCode;
    const listeners = SIGNALS.map((s) => process.listenerCount(s));
    // Some paths are resolved against the process's folder, as in a child started in `cwd`.
    process.chdir(cwd);
    // What bypasses io.stderr (a library's console.warn, a worker's stray output) would be
    // on a child's stderr: it is kept with the run's, so "nothing on stderr" still means nothing.
    const rawWrite = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      stderr.stream.write(chunk);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await main(args, {
        stdin: Readable.from(input),
        stdout: stdout.stream,
        stderr: stderr.stream,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...options.env },
        cwd,
        // A model hub retry does not wait: no test waits out a backoff.
        sleep: async () => {},
      });
      // What would end with a child must not reach the next run (or the test runner's own exit code).
      const leaked = SIGNALS.filter((s, i) => process.listenerCount(s) !== listeners[i]);
      if (leaked.length > 0) throw new Error(`runMain: glm-vision ${args.join(' ')} left ${leaked.join(', ')} listeners behind`);
      return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
    } finally {
      process.stderr.write = rawWrite;
      process.chdir(previous);
      process.exitCode = exitCode;
    }
  });
  mainQueue = run.catch(() => undefined);
  return run;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'glmv-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function parseJsonl(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Temporary folders for one test file, all removed when its tests end. */
export function scratchFolders(prefix = 'glmv-'): () => Promise<string> {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  return async () => {
    const t = await tempDir(prefix);
    cleanups.push(t.cleanup);
    return t.dir;
  };
}
