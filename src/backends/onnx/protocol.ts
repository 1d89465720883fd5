// Messages between the onnx backend, its preprocessing threads and its model worker.
import type { MessagePort } from 'node:worker_threads';
import type { Device, EngineJob, EngineOutput } from './engine.js';
import type { Dtype } from '../../models/model-dir.js';
import type { SerializedError } from '../../support/worker-errors.js';
import type { Lang } from '../../i18n/index.js';

export interface WorkerInit {
  dir: string;
  dtype: Dtype;
  device: Device;
  threads: number;
  batchSize: number;
  batchTokens: number;
  batchWaitMs: number;
  /** The model worker's ends of the preprocessing threads' channels. */
  ports: MessagePort[];
  /** The language of the command: the worker's warnings and errors are in it. */
  lang: Lang;
}

/** A job as posted by the main thread: the pixels are already in the worker, under `ref`. */
export type JobMessage = Omit<EngineJob, 'pixelValues'> & { ref: number };

/** Preprocessing thread → model worker. */
export interface ImageMessage {
  ref: number;
  pixelValues: Float32Array;
}

export type ToWorker =
  | { type: 'load' }
  | { type: 'infer'; id: number; job: JobMessage }
  | { type: 'release'; ref: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'warn'; message: string }
  | { type: 'fatal'; error: SerializedError }
  | { type: 'result'; id: number; output: EngineOutput }
  | { type: 'failed'; id: number; error: SerializedError };
