// Whether ONNX Runtime's CUDA provider is there. Our default install skips it
// (its postinstall downloads from outside the npm registry).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../../support/errors.js';
import { t } from '../../i18n/index.js';

export const CUDA_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

/** Where ORT's CUDA provider library is installed next to its binding (Linux and Windows names). */
export function cudaProviderPaths(): string[] {
  const root = path.dirname(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  const dir = path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  return [path.join(dir, 'libonnxruntime_providers_cuda.so'), path.join(dir, 'onnxruntime_providers_cuda.dll')];
}

export function cudaProviderInstalled(): boolean {
  return cudaProviderPaths().some((p) => existsSync(p));
}

/** The error for an explicit --device cuda that cannot work; `why` says what failed (undefined: not installed). */
export function cudaUnavailable(why?: string): UsageError {
  return new UsageError(why === undefined
    ? t('engine:cuda.not_installed', { hint: CUDA_INSTALL_HINT })
    : t('engine:cuda.unavailable', { why, hint: CUDA_INSTALL_HINT }));
}
