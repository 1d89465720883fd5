// The onnx backend: preprocessing in one thread, the model in another, the
// patches passed between them directly. The main thread sees handles only.
// Requests go in one at a time; the model worker batches them.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { FileFailure, TemporaryFailure, UsageError } from '../../support/errors.js';
import { currentLang, t } from '../../i18n/index.js';
import type { Backend, ImageInput, InferRequest, InferResult, Prepared, PreparedImage } from '../backend.js';
import { cudaProviderInstalled, cudaUnavailable } from './cuda.js';
import type { Device, EngineOutput } from './engine.js';
import { visionConfigFrom, withMaxPixels, type VisionConfig } from './vision-config.js';
import { workerUrl } from '../../support/worker-threads.js';
import { PreprocessPool } from './preprocess-pool.js';
import { loadModelDir, pickDtype, type Dtype, type ModelDir } from '../../models/model-dir.js';
import type { FromWorker, JobMessage, ToWorker, WorkerInit } from './protocol.js';
import { reviveError, type SerializedError } from '../../support/worker-errors.js';
import { TextCodec } from './text.js';

export { DTYPES, pickDtype, type Dtype } from '../../models/model-dir.js';
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
  /** The model's identity when already known (a hub commit and its files): its weights need no hashing. */
  identity?: string;
}

/** A request's failure in the model worker: a setting's fault stops the run; anything else fails this file only. */
function requestError(wire: SerializedError): Error {
  const error = reviveError(wire);
  if (error instanceof UsageError || error instanceof FileFailure) return error;
  return new FileFailure(`the model failed: ${wire.message}`);
}

/** The model could not load: a setting's fault is the user's to fix; anything else is ours. */
function loadError(wire: SerializedError): Error {
  const error = reviveError(wire);
  return error instanceof UsageError ? error : new Error(`the model failed to load: ${wire.message}`);
}

/**
 * Checks the model folder, starts the threads and computes the model's
 * identity. The model loads with the first image prepared: a run answered
 * wholly from the cache never loads it, and a run with work prepares its
 * first images while it loads.
 */
export async function createOnnxBackend(options: OnnxBackendOptions): Promise<Backend> {
  if (options.device === 'cuda' && !cudaProviderInstalled()) throw cudaUnavailable();
  const dtype = pickDtype(options.dir, options.dtype);
  const model = loadModelDir(options.dir, dtype);
  const vision = withMaxPixels(visionConfigFrom(model.preprocessorConfig, model.family, model.preprocessorFile), options.maxPixels);
  // The threads boot (tens of ms of imports each) while the weights are hashed.
  const backend = new OnnxBackend(model, vision, options);
  try {
    const identity = createHash('sha256');
    if (options.identity) identity.update(`${options.identity}\n${dtype}\n`);
    else for (const file of model.identityFiles) identity.update(`${path.relative(model.dir, file)}:${await options.digest(file)}\n`);
    backend.identity = identity.digest('hex');
  } catch (error) {
    await backend.close();
    throw error;
  }
  return backend;
}

interface Threads {
  worker: Worker;
  pool: PreprocessPool;
}

class OnnxBackend implements Backend {
  readonly kind = 'onnx';
  readonly concurrency: number;
  private readonly pending = new Map<number, { resolve: (o: EngineOutput) => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  private readonly threads: Threads;
  /** Tokenizer and chat template: loaded with the model, used on this thread. */
  private text: Promise<TextCodec> | undefined;
  /** The model's digest (config and weights), set once computed. */
  identity = '';

  constructor(
    private readonly model: ModelDir,
    private readonly vision: VisionConfig,
    options: OnnxBackendOptions,
  ) {
    // A batch running, the next one forming, and a choice of shapes for it, so batches need little padding.
    this.concurrency = options.batchSize * 3;
    this.threads = this.startThreads(options);
  }

  private startThreads(options: OnnxBackendOptions): Threads {
    // One preprocessing thread keeps up with a CPU model; each gets its own channel to the model worker.
    const channels = [new MessageChannel()];
    const ports = channels.map((c) => c.port2);
    const init: WorkerInit = {
      dir: this.model.dir, dtype: this.model.dtype, device: options.device, threads: options.threads,
      batchSize: options.batchSize, batchTokens: options.batchTokens, batchWaitMs: options.batchWaitMs, ports, lang: currentLang(),
    };
    const { url, execArgv } = workerUrl('worker', import.meta.url);
    const worker = new Worker(url, { workerData: init, transferList: ports, execArgv });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'warn') options.warn(message.message);
      else if (message.type === 'fatal') this.fail(loadError(message.error));
      else this.settle(message);
    });
    worker.on('error', (error) => this.fail(new TemporaryFailure(t('engine:worker.crashed', { message: error.message }))));
    const pool = new PreprocessPool(channels.map((c) => c.port1), this.vision, options.maxInputPixels);
    return { worker, pool };
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private settle(message: Extract<FromWorker, { type: 'result' | 'failed' }>): void {
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if (message.type === 'result') {
      p.resolve(message.output);
    } else {
      p.reject(requestError(message.error));
    }
  }

  private get modelName(): string {
    return path.basename(path.resolve(this.model.dir));
  }

  async prepare(data: ImageInput): Promise<Prepared> {
    if (!this.text) {
      this.threads.worker.postMessage({ type: 'load' } satisfies ToWorker);
      this.loadText().catch(() => undefined); // reported by infer()
    }
    const { source, ...patches } = await this.threads.pool.run(data);
    return { source, image: { kind: 'patches', ...patches } };
  }

  release(image: PreparedImage): void {
    if (image.kind === 'patches') this.threads.worker.postMessage({ type: 'release', ref: image.ref } satisfies ToWorker);
  }

  fingerprint(): Record<string, unknown> {
    return {
      backend: 'onnx', model: this.identity, dtype: this.model.dtype, family: this.model.family,
      vision: { ...this.vision },
    };
  }

  private loadText(): Promise<TextCodec> {
    this.text ??= TextCodec.load(this.model.dir, { imageTokenId: this.model.ids.image, family: this.model.family });
    return this.text;
  }

  async infer(request: InferRequest, signal: AbortSignal): Promise<InferResult> {
    if (this.failure) throw this.failure;
    const image = request.image;
    if (image.kind !== 'patches') throw new Error('the onnx backend needs patch images');
    const codec = await this.loadText();
    const promptIds = codec.promptIds(request.system, request.prompt);
    if (this.failure) throw this.failure;
    const gen = this.model.generationConfig;
    const job: JobMessage = {
      ref: image.ref,
      grid: image.grid,
      tokens: image.tokens,
      promptIds,
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
        resolve: (o) => {
          done();
          resolve({ text: codec.decode(o.ids), finishReason: o.finishReason, tokensIn: o.tokensIn, tokensOut: o.tokensOut, model: this.modelName });
        },
        reject: (e) => { done(); reject(e); },
      });
      this.threads.worker.postMessage({ type: 'infer', id, job } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.threads.worker.postMessage({ type: 'close' } satisfies ToWorker);
    await Promise.all([this.threads.worker.terminate(), this.threads.pool.close()]);
  }
}

// What doctor's onnxruntime check shares with the backend.
export { CUDA_INSTALL_HINT, cudaProviderPaths } from './cuda.js';
