// The walk's worker thread (walk-thread.ts): runs the second pass of planned
// inputs and posts its batches, at most WALK_THREAD_AHEAD ahead of the run.
import { parentPort, workerData } from 'node:worker_threads';
import { withLang } from '../i18n/index.js';
import { serializeError } from '../support/worker-errors.js';
import { plannedFiles } from './walk.js';
import { encodeBatch, WALK_THREAD_AHEAD, type WalkMessage, type WalkThreadData } from './walk-thread.js';

const port = parentPort;
if (!port) throw new Error('walk-worker.ts runs as a worker thread');
const { planned, options, lang } = workerData as WalkThreadData;
const post = (m: WalkMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

let credit = WALK_THREAD_AHEAD;
let wake: (() => void) | undefined;
port.on('message', () => {
  credit++;
  wake?.();
  wake = undefined;
});

await withLang(lang, async () => {
  try {
    for await (const batch of plannedFiles(planned, { ...options, onSkip: (path, reason) => post({ kind: 'skip', path, reason }) })) {
      while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
      credit--;
      const m = encodeBatch(batch);
      post(m, [m.numbers.buffer as ArrayBuffer]);
    }
    post({ kind: 'end' });
  } catch (error) {
    post({ kind: 'error', error: serializeError(error) });
  }
});
// The thread stays until the run lets it go (walk-thread.ts terminates it): an exit now could beat the last messages.
