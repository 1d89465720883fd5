// The worker thread: owns the ONNX sessions and the batcher, so the main
// thread keeps walking, hashing and writing while the model runs. Patch
// arrays come straight from the preprocessing threads and wait here.
import { parentPort, workerData } from 'node:worker_threads';
import { Batcher } from './batcher.js';
import { Engine, type EngineOutput, type EngineRow } from './engine.js';
import { HeldImages } from './held-images.js';
import { lowerPriority } from '../../support/worker-threads.js';
import type { FromWorker, ImageMessage, JobMessage, ToWorker, WorkerInit } from './protocol.js';
import { serializeError } from '../../support/worker-errors.js';
import { withLang } from '../../i18n/index.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const post = (message: FromWorker): void => port.postMessage(message);
const init = workerData as WorkerInit;

lowerPriority();

const held = new HeldImages();
for (const p of init.ports) p.on('message', (m: ImageMessage) => held.put(m.ref, m.pixelValues));

interface Model {
  engine: Engine;
  batcher: Batcher<EngineRow, EngineOutput>;
}

// The thread starts with the backend; the model loads on the first 'load' or 'infer'.
let loading: Promise<Model> | undefined;
function load(): Promise<Model> {
  if (loading) return loading;
  loading = Engine.load(init, (message) => post({ type: 'warn', message })).then((engine) => ({
    engine,
    batcher: new Batcher<EngineRow, EngineOutput>((rows) => engine.generate(rows), {
      batchSize: init.batchSize,
      tokenBudget: init.batchTokens,
      waitMs: init.batchWaitMs,
    }),
  }));
  loading.catch((error: unknown) => post({ type: 'fatal', error: serializeError(error) }));
  return loading;
}

async function infer(id: number, { ref, ...job }: JobMessage): Promise<void> {
  let model: Model;
  try {
    model = await load();
  } catch {
    return; // reported once, as 'fatal'
  }
  try {
    const pixelValues = await held.get(ref);
    const output = await model.batcher.submit(model.engine.prepare({ ...job, pixelValues }));
    post({ type: 'result', id, output });
  } catch (error) {
    post({ type: 'failed', id, error: serializeError(error) });
  }
}

port.on('message', (message: ToWorker) => withLang(init.lang, () => {
  if (message.type === 'load') void load().catch(() => undefined);
  else if (message.type === 'infer') void infer(message.id, message.job);
  else if (message.type === 'release') held.release(message.ref);
  else {
    void loading?.then(({ batcher }) => batcher.close(new Error('closed')), () => undefined);
    for (const p of init.ports) p.close();
    port.close();
  }
}));
