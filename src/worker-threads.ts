// Worker threads: where their modules are, and their priority. The model, the
// preprocessing and PDF rendering are the bulk of the work; the main thread
// (walking, hashing, the cache, writing rows, the progress bar) is small and
// must never wait behind them. Linux keeps a nice value per thread, and the
// threads a thread starts (ORT's pool, libvips's workers) inherit it.
import os from 'node:os';

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

/** Where a worker module lives beside `base`, and how to start it (source files under tsx need the loader). */
export function workerUrl(name: string, base: string): { url: URL; execArgv: string[] } {
  const isTs = base.endsWith('.ts');
  return { url: new URL(`./${name}.${isTs ? 'ts' : 'js'}`, base), execArgv: isTs ? ['--import', 'tsx'] : [] };
}
