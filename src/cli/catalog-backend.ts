// The catalog's backend, made from its checked options: the OpenAI-compatible client for
// --endpoint, else the local onnx engine with a model from the Hugging Face cache.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../backends/backend.js';
import { DEFAULT_MODEL, resolveLocalModel } from '../models/resolve.js';
import { sha256File } from '../pipeline/hash.js';
import type { CacheStore } from '../cache/store.js';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import type { PreprocessOptions } from '../image/preprocess.js';
import type { Template } from '../prompt/template.js';
import type { Dtype } from '../models/model-dir.js';
import type { CatalogOptions } from '../config/options.js';
import type { CliIO } from './io.js';
import { apiKeyFrom, defaultBackend, defaultThreads, INFER_MODEL } from './defaults.js';

export type BackendKind = 'openai' | 'onnx';

export function backendKind(flags: CatalogOptions): BackendKind {
  return flags.backend ?? (defaultBackend(undefined, flags.endpoint) as BackendKind);
}

/** The SHA-256 of a model file, remembered in the cache's file index between runs. */
function fileDigest(store: CacheStore): (file: string) => Promise<string> {
  return async (file) => {
    const st = statSync(file);
    const stamp = { path: path.resolve(file), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    const known = store.knownHash(stamp);
    if (known) return known;
    const sha = await sha256File(file);
    store.rememberHash(stamp, sha);
    return sha;
  };
}

export async function makeBackend(
  kind: BackendKind, flags: CatalogOptions, io: CliIO, warn: (m: string) => void, image: PreprocessOptions, store: CacheStore, template: Template,
): Promise<Backend> {
  if (kind === 'onnx') {
    if (flags.endpoint.length) throw new UsageError(t('cli:catalog.backend.endpointWithOnnx'));
    const dtype = flags.dtype as Dtype | 'auto';
    const model = await resolveLocalModel(flags.model ?? template.model ?? DEFAULT_MODEL, {
      env: io.env, dtype, stderr: io.stderr, quiet: !!flags.quiet, sleep: io.sleep,
    });
    // Each backend is loaded only when chosen: the onnx engine's tokenizer and templates are no server run's cost.
    const { createOnnxBackend } = await import('../backends/onnx/index.js');
    return createOnnxBackend({
      dir: model.dir,
      identity: model.hubIdentity,
      dtype: model.dtype ?? dtype,
      device: flags.device,
      threads: flags.threads ?? defaultThreads(),
      batchSize: flags.batchSize,
      batchWaitMs: flags.batchWaitMs,
      batchTokens: flags.batchTokens,
      maxPixels: image.maxPixels,
      maxInputPixels: image.maxInputPixels,
      warn,
      digest: fileDigest(store),
    });
  }
  if (flags.endpoint.length === 0) throw new UsageError(t('cli:catalog.backend.needsEndpoint'));
  const model = flags.model ?? (flags.flavor === 'infer' ? INFER_MODEL : undefined);
  if (!model) {
    throw new UsageError(t('cli:catalog.backend.needsModel'));
  }
  const { createOpenAIBackend } = await import('../backends/openai/index.js');
  return createOpenAIBackend({
    endpoints: flags.endpoint,
    model,
    apiKey: apiKeyFrom(flags, io.env),
    flavor: flags.flavor,
    concurrency: flags.concurrency,
    maxConcurrency: flags.maxConcurrency,
    timeoutMs: flags.timeout * 1000,
    retries: flags.retries,
    warn,
    image,
  });
}
