// Opening the model's three ONNX sessions on the CPU or CUDA, with the thread
// pools set so that none spins.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { UsageError } from '../../support/errors.js';
import { t } from '../../i18n/index.js';
import { loadModelDir, type Dtype, type ModelDir } from '../../models/model-dir.js';
import { cudaProviderInstalled, cudaUnavailable } from './cuda.js';

export type Device = 'cpu' | 'cuda' | 'auto';

export interface EngineOptions {
  dir: string;
  dtype: Dtype;
  device: Device;
  threads: number;
  /** Compute the keys and values of a prompt prefix shared by a batch's rows once (default true; off for comparison in tests). */
  prefixCache?: boolean;
}

export interface Sessions {
  model: ModelDir;
  vision: ort.InferenceSession;
  embed: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** Where the sessions run (auto resolved) and the decoder's thread count, for the engine's line. */
  device: 'cpu' | 'cuda';
  threads: number;
}

export async function loadSessions(options: EngineOptions, warn: (m: string) => void): Promise<Sessions> {
  const model = loadModelDir(options.dir, options.dtype);
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads || os.availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  // auto without the CUDA provider installed means the CPU, quietly: that is the default install.
  let device: 'cpu' | 'cuda' =
    options.device === 'cuda' || (options.device === 'auto' && cudaProviderInstalled()) ? 'cuda' : 'cpu';
  if (options.device === 'cuda' && !cudaProviderInstalled()) {
    throw cudaUnavailable();
  }
  // Each session has its own thread pool, whose threads would spin for a while after every run. None
  // spins, the decoder included: on a busy machine (load 9 on 2 cores) spinning made a decode step 1.6x
  // (batch 1) to 1.9x (batch 8) slower and burnt a third more CPU; with the cores to ourselves, runs
  // were as fast or faster without it (README, Local inference). The token embedding is a lookup: no
  // pool at all.
  const quiet: ort.InferenceSession.SessionOptions = { extra: { session: { intra_op: { allow_spinning: '0' } } } };
  const open = (file: string, own: ort.InferenceSession.SessionOptions = quiet): Promise<ort.InferenceSession> =>
    ort.InferenceSession.create(file, { ...base, ...own, executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'] });
  let vision: ort.InferenceSession;
  try {
    vision = await open(model.graphs.vision_encoder);
  } catch (error) {
    if (device === 'cpu') throw describeLoadError(model.graphs.vision_encoder, error);
    if (options.device === 'cuda') {
      throw cudaUnavailable(firstLine(error));
    }
    warn(t('engine:cuda.fallback', { why: firstLine(error) }));
    device = 'cpu';
    vision = await open(model.graphs.vision_encoder).catch((e: unknown) => {
      throw describeLoadError(model.graphs.vision_encoder, e);
    });
  }
  const embed = await open(model.graphs.embed_tokens, { intraOpNumThreads: 1 }).catch((e: unknown) => {
    throw describeLoadError(model.graphs.embed_tokens, e);
  });
  const decoder = await open(model.graphs.decoder_model_merged).catch((e: unknown) => {
    throw describeLoadError(model.graphs.decoder_model_merged, e);
  });
  return { model, vision, embed, decoder, device, threads: base.intraOpNumThreads ?? 1 };
}

function firstLine(error: unknown): string {
  return ((error as Error).message ?? String(error)).split('\n')[0] ?? '';
}

function describeLoadError(file: string, error: unknown): UsageError {
  return new UsageError(t('engine:load.failed', { file, why: firstLine(error) }));
}
