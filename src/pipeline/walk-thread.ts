// The second pass of a large walk, in a worker thread (walk-worker.ts): listing
// and lstat'ing 100,000 files there runs beside the cache look-ups and the rows
// on the main thread, instead of before them. Batches come back as arrays (paths,
// and one Float64Array of numbers), a few ahead of the run, never more.
import { Worker } from 'node:worker_threads';
import { currentLang, type Lang } from '../i18n/index.js';
import { reviveError, type SerializedError } from '../support/worker-errors.js';
import { workerUrl } from '../support/worker-threads.js';
import type { FileEntry, PlannedInput, WalkOptions } from './walk.js';

/** Batches the thread may be ahead of the run: enough that the run never waits, few enough to stay small. */
export const WALK_THREAD_AHEAD = 4;

/** What the thread is given: the planned inputs and the options, less the callbacks. */
export interface WalkThreadData {
  planned: readonly PlannedInput[];
  options: Omit<WalkOptions, 'onSkip' | 'onUnreadable'>;
  /** The skips it says and the errors it sends back are in the run's language. */
  lang: Lang;
}

/** A batch as posted: per file its path, its path below the input, and size, mtime, inode and device. */
export interface EncodedBatch {
  kind: 'batch';
  paths: string[];
  relativePaths: string[];
  numbers: Float64Array;
  /** Raw bytes of names that are not UTF-8, by index in the batch. */
  raw: [number, Uint8Array][];
}

export type WalkMessage =
  | EncodedBatch
  | { kind: 'skip'; path: string; reason: string }
  | { kind: 'end' }
  | { kind: 'error'; error: SerializedError };

const FIELDS = 4;

export function encodeBatch(batch: readonly FileEntry[]): EncodedBatch {
  const numbers = new Float64Array(batch.length * FIELDS);
  const raw: [number, Uint8Array][] = [];
  batch.forEach((f, i) => {
    numbers[i * FIELDS] = f.size;
    numbers[i * FIELDS + 1] = f.mtimeMs;
    numbers[i * FIELDS + 2] = f.ino;
    numbers[i * FIELDS + 3] = f.dev;
    if (f.fsPath) raw.push([i, f.fsPath]);
  });
  return { kind: 'batch', paths: batch.map((f) => f.path), relativePaths: batch.map((f) => f.relativePath), numbers, raw };
}

export function decodeBatch(m: EncodedBatch): FileEntry[] {
  const n = m.numbers;
  const files: FileEntry[] = m.paths.map((path, i) => ({
    path, relativePath: m.relativePaths[i] as string,
    size: n[i * FIELDS] as number, mtimeMs: n[i * FIELDS + 1] as number, ino: n[i * FIELDS + 2] as number, dev: n[i * FIELDS + 3] as number,
  }));
  for (const [i, bytes] of m.raw) (files[i] as FileEntry).fsPath = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return files;
}

/**
 * The second pass of `planned`, walked in a worker thread that starts now. The thread
 * holds the process open only while the run waits for it, so a walk never read to its
 * end (a run that fails before it starts) does not keep the process alive.
 */
export function walkInThread(planned: readonly PlannedInput[], options: WalkOptions): AsyncGenerator<FileEntry[]> {
  // The second pass says nothing of unreadable folders (the first did); skips it does say come back as messages.
  const { onSkip, onUnreadable: _saidByCount, ...data } = options;
  const { url, execArgv } = workerUrl('walk-worker', import.meta.url);
  const worker = new Worker(url, { execArgv, workerData: { planned, options: data, lang: currentLang() } satisfies WalkThreadData });
  const inbox: WalkMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const woken = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: WalkMessage) => {
    inbox.push(m);
    woken();
  });
  worker.on('error', (error) => {
    failure = error;
    woken();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the walk's worker thread stopped (exit code ${code}) before the walk ended`);
    woken();
  });
  // After the listeners: adding a 'message' listener holds the process again.
  worker.unref();
  return relay();

  async function* relay(): AsyncGenerator<FileEntry[]> {
    try {
      for (;;) {
        const m = inbox.shift();
        if (!m) {
          if (failure) throw failure;
          worker.ref();
          await new Promise<void>((resolve) => (wake = resolve));
          worker.unref();
          continue;
        }
        if (m.kind === 'skip') onSkip?.(m.path, m.reason);
        else if (m.kind === 'error') throw reviveError(m.error);
        else if (m.kind === 'end') return;
        else {
          worker.postMessage('more');
          yield decodeBatch(m);
        }
      }
    } finally {
      worker.removeAllListeners('exit');
      await worker.terminate();
    }
  }
}
