// The worker thread: owns the ONNX sessions and the batcher, so the main
// thread keeps walking, hashing, preprocessing and writing while the model runs.
import { parentPort, workerData } from 'node:worker_threads';
import { Batcher } from './batcher.js';
import { Engine, type EngineOutput, type EngineRow } from './engine.js';
import { serializeError, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const post = (message: FromWorker): void => port.postMessage(message);
const init = workerData as WorkerInit;

try {
  const engine = await Engine.load(init, (message) => post({ type: 'warn', message }));
  const batcher = new Batcher<EngineRow, EngineOutput>((rows) => engine.generate(rows), {
    batchSize: init.batchSize,
    tokenBudget: init.batchTokens,
    waitMs: init.batchWaitMs,
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      batcher.close(new Error('closed'));
      port.close();
      return;
    }
    let row: EngineRow;
    try {
      row = engine.prepare(message.job);
    } catch (error) {
      post({ type: 'failed', id: message.id, error: serializeError(error) });
      return;
    }
    batcher.submit(row).then(
      (output) => post({ type: 'result', id: message.id, output }),
      (error: unknown) => post({ type: 'failed', id: message.id, error: serializeError(error) }),
    );
  });
  post({ type: 'ready', device: engine.device });
} catch (error) {
  post({ type: 'fatal', error: serializeError(error) });
}
