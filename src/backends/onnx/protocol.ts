// Messages between the onnx backend and its worker thread.
import type { Device, EngineJob, EngineOutput } from './engine.js';
import type { Dtype } from './model-dir.js';

export interface WorkerInit {
  dir: string;
  dtype: Dtype;
  device: Device;
  threads: number;
  batchSize: number;
  batchTokens: number;
  batchWaitMs: number;
}

export interface SerializedError {
  name: string;
  message: string;
}

export type ToWorker = { type: 'infer'; id: number; job: EngineJob } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; device: 'cpu' | 'cuda' }
  | { type: 'warn'; message: string }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'result'; id: number; output: EngineOutput }
  | { type: 'failed'; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  const e = error as Error;
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error) };
}
