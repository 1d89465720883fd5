// The onnx backend: preprocessing here in the main thread, the model in a
// worker thread. Requests go in one at a time; the worker batches them.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileFailure, TemporaryFailure, UsageError } from '../../errors.js';
import type { Backend, InferRequest, InferResult, Prepared } from '../backend.js';
import type { Device, EngineJob } from './engine.js';
import { visionConfigFrom, withMaxPixels, type VisionConfig } from './image-processor.js';
import { PreprocessPool, workerUrl } from './preprocess-pool.js';
import { DTYPE_SUFFIXES, loadModelDir, type Dtype, type ModelDir } from './model-dir.js';
import type { FromWorker, SerializedError, ToWorker, WorkerInit } from './protocol.js';

export { DTYPES, type Dtype } from './model-dir.js';
export type { Device } from './engine.js';

export interface OnnxBackendOptions {
  dir: string;
  /** 'auto' picks the first variant present, CPU-friendly ones first. */
  dtype: Dtype | 'auto';
  device: Device;
  threads: number;
  batchSize: number;
  batchTokens: number;
  batchWaitMs: number;
  /** Caps the model's own pixel budget. */
  maxPixels?: number;
  maxInputPixels: number;
  warn: (message: string) => void;
  /** SHA-256 of a file; the pipeline's version remembers unchanged files. */
  digest: (file: string) => Promise<string>;
}

const AUTO_ORDER: Dtype[] = ['q4', 'q8', 'int8', 'uint8', 'fp32', 'fp16', 'q4f16', 'bnb4'];

export function pickDtype(dir: string, dtype: Dtype | 'auto'): Dtype {
  if (dtype !== 'auto') return dtype;
  const found = AUTO_ORDER.find((d) => existsSync(path.join(dir, 'onnx', `decoder_model_merged${DTYPE_SUFFIXES[d]}.onnx`)));
  return found ?? 'fp32';
}

function reviveError(e: SerializedError): Error {
  if (e.name === 'UsageError') return new UsageError(e.message);
  if (e.name === 'FileFailure') return new FileFailure(e.message);
  return new FileFailure(`the model failed: ${e.message}`);
}

export async function createOnnxBackend(options: OnnxBackendOptions): Promise<Backend> {
  const dtype = pickDtype(options.dir, options.dtype);
  const model = loadModelDir(options.dir, dtype);
  const vision = withMaxPixels(visionConfigFrom(model.preprocessorConfig, model.family, model.preprocessorFile), options.maxPixels);
  const identity = createHash('sha256');
  for (const file of model.identityFiles) identity.update(`${path.relative(model.dir, file)}:${await options.digest(file)}\n`);

  const init: WorkerInit = {
    dir: options.dir, dtype, device: options.device, threads: options.threads,
    batchSize: options.batchSize, batchTokens: options.batchTokens, batchWaitMs: options.batchWaitMs,
  };
  const { url, execArgv } = workerUrl('worker', import.meta.url);
  const worker = new Worker(url, { workerData: init, execArgv });
  // One preprocessing thread keeps up with a CPU model; the main thread stays free.
  const pool = new PreprocessPool(1, vision, options.maxInputPixels);
  const backend = new OnnxBackend(worker, pool, model, vision, identity.digest('hex'), options);
  try {
    await backend.ready;
  } catch (error) {
    await backend.close();
    throw error;
  }
  return backend;
}

class OnnxBackend implements Backend {
  readonly kind = 'onnx';
  readonly concurrency: number;
  readonly ready: Promise<void>;
  private readonly pending = new Map<number, { resolve: (r: InferResult) => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly pool: PreprocessPool,
    private readonly model: ModelDir,
    private readonly vision: VisionConfig,
    private readonly identity: string,
    private readonly options: OnnxBackendOptions,
  ) {
    // Enough requests in flight for a full batch running and the next one forming.
    this.concurrency = options.batchSize * 2;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'warn') options.warn(message.message);
        else if (message.type === 'fatal') reject(reviveError(message.error));
        else this.settle(message);
      });
      worker.on('error', (error) => {
        this.failure = new TemporaryFailure(`the model worker crashed: ${error.message}`);
        reject(this.failure);
        for (const p of this.pending.values()) p.reject(this.failure);
        this.pending.clear();
      });
    });
  }

  private settle(message: Extract<FromWorker, { type: 'result' | 'failed' }>): void {
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if (message.type === 'result') {
      const o = message.output;
      p.resolve({ text: o.text, finishReason: o.finishReason, tokensIn: o.tokensIn, tokensOut: o.tokensOut, model: this.modelName });
    } else {
      p.reject(reviveError(message.error));
    }
  }

  private get modelName(): string {
    return path.basename(path.resolve(this.model.dir));
  }

  async prepare(data: Buffer): Promise<Prepared> {
    const { source, ...patches } = await this.pool.run(data);
    return { source, image: { kind: 'patches', ...patches } };
  }

  fingerprint(): Record<string, unknown> {
    return {
      backend: 'onnx', model: this.identity, dtype: this.model.dtype, family: this.model.family,
      vision: { ...this.vision },
    };
  }

  infer(request: InferRequest, signal: AbortSignal): Promise<InferResult> {
    if (this.failure) return Promise.reject(this.failure);
    const image = request.image;
    if (image.kind !== 'patches') return Promise.reject(new Error('the onnx backend needs patch images'));
    const gen = this.model.generationConfig;
    const job: EngineJob = {
      // A copy we can transfer: structured-cloning megabytes of floats stalls the event loop,
      // and the request's own array must survive for a retry.
      pixelValues: image.pixelValues.slice(),
      grid: image.grid,
      tokens: image.tokens,
      system: request.system,
      prompt: request.prompt,
      maxTokens: request.generation.maxTokens,
      sampling: {
        temperature: request.generation.temperature ?? 0,
        topP: request.generation.topP ?? 1,
        topK: typeof gen.top_k === 'number' ? gen.top_k : 0,
      },
      seed: request.generation.seed ?? 0,
    };
    const id = this.nextId++;
    return new Promise<InferResult>((resolve, reject) => {
      const onAbort = (): void => {
        this.pending.delete(id);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (r) => { done(); resolve(r); },
        reject: (e) => { done(); reject(e); },
      });
      this.worker.postMessage({ type: 'infer', id, job } satisfies ToWorker, [job.pixelValues.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    await Promise.all([this.worker.terminate(), this.pool.close()]);
  }
}
