// Child processes for the benchmark: wall-clock timing, peak RSS, and a
// registry so every child we started is killed if the bench fails or is
// interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export type RssMethod = 'gnu-time' | 'proc-poll' | 'none';

export interface TimedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the child (its whole process group) after this long. */
  timeoutMs: number;
  /** How to measure peak RSS; 'none' skips it. */
  rss?: RssMethod;
  /** Scratch folder for GNU time's -o file. */
  scratch?: string;
  /** Send the child's stdout to /dev/null instead of collecting it. */
  discardStdout?: boolean;
}

export interface TimedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit, in milliseconds. */
  wallMs: number;
  /** Peak resident set size in KiB, when measured. */
  peakRssKb?: number;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (each by its own process group id). */
export function killAll(): void {
  for (const child of live) killGroup(child);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Children are spawned detached, so -pid is the group of this one child
    // (GNU time and the node it wraps).
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** GNU time's -f %M exists and works (Debian package `time`). */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** VmHWM of a live process in KiB, or undefined once it has exited. */
function readVmHwm(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

let seq = 0;

/** Runs a command, timing it from spawn to exit; optionally measures its peak RSS. */
export async function runTimed(command: string, args: string[], options: TimedOptions): Promise<TimedResult> {
  const rss = options.rss ?? 'none';
  let file = command;
  let argv = args;
  let timeFile: string | undefined;
  if (rss === 'gnu-time') {
    if (!options.scratch) throw new Error('runTimed: rss gnu-time needs a scratch folder');
    timeFile = path.join(options.scratch, `time-${process.pid}-${seq++}.txt`);
    file = GNU_TIME;
    argv = ['-f', '%M', '-o', timeFile, command, ...args];
  }

  const started = performance.now();
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));

  let hwm: number | undefined;
  let poll: NodeJS.Timeout | undefined;
  if (rss === 'proc-poll' && child.pid !== undefined) {
    const pid = child.pid;
    const sample = (): void => {
      const v = readVmHwm(pid);
      if (v !== undefined) hwm = v; // A high-water mark: the last reading is the peak.
    };
    sample();
    poll = setInterval(sample, 10);
  }

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, options.timeoutMs);

  try {
    // Wall time stops at 'exit'; the result waits for 'close' so the pipes are drained.
    const { code, signal, wallMs } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; wallMs: number }>(
      (resolve, reject) => {
        let exitedAt = 0;
        child.once('error', reject);
        child.once('exit', () => (exitedAt = performance.now()));
        child.once('close', (c, s) => resolve({ code: c, signal: s, wallMs: (exitedAt || performance.now()) - started }));
      },
    );
    if (timedOut) throw new Error(`${command} timed out after ${options.timeoutMs / 1000} s\n${tail(stderr)}`);
    let peakRssKb: number | undefined = hwm;
    if (timeFile) {
      const text = await readFile(timeFile, 'utf8').catch(() => '');
      // GNU time writes "Command exited with non-zero status N" before the format line.
      const last = text.trim().split('\n').pop() ?? '';
      peakRssKb = /^\d+$/.test(last) ? Number(last) : undefined;
    }
    return { code, signal, wallMs, peakRssKb, stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (poll) clearInterval(poll);
    killGroup(child);
    live.delete(child);
    if (timeFile) await rm(timeFile, { force: true });
  }
}

export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Throws with the child's stderr unless it exited 0. */
export function check(what: string, r: TimedResult, okCodes: readonly number[] = [0]): TimedResult {
  if (r.code === null || !okCodes.includes(r.code)) {
    throw new Error(`${what} failed (exit ${r.code ?? r.signal})\n${tail(r.stderr)}`);
  }
  return r;
}
