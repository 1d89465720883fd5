// Worker threads: where their modules are, and their priority. The model, the
// preprocessing and PDF rendering are the bulk of the work; the main thread
// (walking, hashing, the cache, writing rows, the progress bar) is small and
// must never wait behind them. Linux keeps a nice value per thread, and the
// threads a thread starts (ORT's pool, libvips's workers) inherit it.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How much lower than the main thread the worker threads run. */
export const WORKER_NICENESS = 5;

/** Lowers the calling thread's priority, on Linux only (elsewhere it would lower the whole process). */
export function lowerPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(0, Math.min(19, os.getPriority(0) + WORKER_NICENESS));
  } catch {
    // not permitted here: run at the same priority
  }
}

/**
 * Where a worker module lives beside `base`, and how to start it. Source files
 * (tests run src/*.ts under tsx) start the built worker in dist/ when the build
 * is up to date (tsx in a thread costs seconds a start), else through a module
 * that registers tsx in the thread first: Node 20 ignores `--import tsx` in a
 * worker's execArgv.
 */
export function workerUrl(name: string, base: string): { url: URL; execArgv: string[] } {
  if (!base.endsWith('.ts')) return { url: new URL(`./${name}.js`, base), execArgv: [] };
  const target = new URL(`./${name}.ts`, base);
  const built = new URL(path.relative(SRC, fileURLToPath(target)).replace(/\.ts$/, '.js'), DIST);
  if (buildIsCurrent()) return { url: built, execArgv: [] };
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(target.href)});`;
  return { url: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: [] };
}

const SRC = fileURLToPath(new URL('../', import.meta.url));
const DIST = new URL('../../dist/', import.meta.url);
let current: boolean | undefined;

/** Whether dist/ was built after the last change to src/ (asked once). */
function buildIsCurrent(): boolean {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs));
  try {
    current ??= statSync(fileURLToPath(new URL('cli/main.js', DIST))).mtimeMs >= newest(SRC);
  } catch {
    current = false;
  }
  return current;
}

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/task/<tid>/stat (100 on every Linux ABI). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The calling thread's id (Linux), for another thread to read its CPU clock; 0 where there is no /proc. */
export function ownThreadId(): number {
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || 0;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system, in clock ticks) a thread of this process has used,
 * undefined where /proc cannot tell. Node 20 has no process.threadCpuUsage()
 * (added in 23.9), and a thread busy in a synchronous loop cannot be asked,
 * so another thread reads the kernel's account of it.
 */
export function threadCpuTicks(tid: number): number | undefined {
  if (tid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
