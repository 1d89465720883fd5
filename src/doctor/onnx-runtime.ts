// ONNX Runtime for the local engine: its version and execution providers,
// the CUDA provider's libraries, and whether an NVIDIA GPU is visible. No
// model is loaded.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { CUDA_INSTALL_HINT, cudaProviderPaths } from '../backends/onnx/index.js';
import { t } from '../i18n/index.js';
import { fail, ok, warn, type CheckResult } from './check.js';

const NAME = 'onnxruntime';

interface Gpu {
  /** e.g. "NVIDIA H200, driver 550.90.07"; undefined when none is visible. */
  found?: string;
  /** Why none is visible, when that is worth saying. */
  problem?: string;
}

/**
 * `localEngine`: no --endpoint was given, so catalog runs would use this
 * engine; otherwise what only costs speed is reported as ok.
 */
export async function checkOnnxRuntime(localEngine: boolean, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  let ort: typeof Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    const why = String((error as Error).message ?? error).split('\n')[0];
    const fix = t('doctor:onnx.failed.fix');
    return localEngine ? fail(NAME, t('doctor:onnx.failed', { why }), fix) : warn(NAME, t('doctor:onnx.failed.unused', { why }), fix);
  }
  const version = ort.env.versions.node ?? ort.env.versions.common ?? '?';
  const lib = cudaProviderPaths().find((p) => existsSync(p));
  const [gpu, missingLibs] = await Promise.all([findGpu(env), lib ? missingLibraries(lib) : undefined]);
  const providers = ['CPU', ...(missingLibs !== undefined ? ['CUDA'] : [])].join(', ');
  const base = t('doctor:onnx.base', { version, providers });
  const gpuText = gpu.found ? t('doctor:onnx.gpu', { gpu: gpu.found }) : gpu.problem ? t('doctor:onnx.no_gpu.why', { problem: gpu.problem }) : t('doctor:onnx.no_gpu');
  const unused = (detail: string): string => (localEngine ? detail : t('doctor:onnx.unused', { detail }));
  const worth = (status: 'warn', detail: string, fix: string): CheckResult =>
    localEngine ? { check: NAME, status, detail, fix } : ok(NAME, unused(detail));
  const driverFix = (): string => t('doctor:onnx.driver.fix');

  if (missingLibs === undefined) {
    if (!gpu.found && gpu.problem) return worth('warn', t('doctor:onnx.cpu', { base, gpu: gpuText }), driverFix());
    if (!gpu.found) return ok(NAME, unused(t('doctor:onnx.cpu', { base, gpu: gpuText })));
    return worth('warn', t('doctor:onnx.no_provider', { base, gpu: gpuText }), t('doctor:onnx.no_provider.fix', { hint: CUDA_INSTALL_HINT }));
  }
  if (missingLibs.length > 0) {
    return worth('warn', t('doctor:onnx.missing_libs', { base, libs: missingLibs.join(', '), gpu: gpuText }), t('doctor:onnx.missing_libs.fix'));
  }
  if (!gpu.found) return worth('warn', t('doctor:onnx.fallback', { base, gpu: gpuText }), driverFix());
  return ok(NAME, t('doctor:onnx.ready', { base, gpu: gpuText }));
}

/** Shared libraries the provider needs that the loader cannot find ([] when ldd is unavailable). */
async function missingLibraries(file: string): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const out = await run('ldd', [file]);
  if (out === undefined) return [];
  return [...out.stdout.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1] as string);
}

async function findGpu(env: NodeJS.ProcessEnv): Promise<Gpu> {
  const smi = onPath('nvidia-smi', env);
  const device = existsSync('/dev/nvidia0');
  if (!smi) return device ? { problem: t('doctor:onnx.gpu.smi_missing') } : {};
  const out = await run(smi, ['--query-gpu=name,driver_version', '--format=csv,noheader']);
  if (out === undefined || out.code !== 0) {
    const why = (out?.stdout || out?.stderr || t('doctor:onnx.gpu.smi_silent')).trim().split('\n')[0] ?? '';
    return { problem: t('doctor:onnx.gpu.smi_failed', { why: why.slice(0, 120) }) };
  }
  const gpus = out.stdout.trim().split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name, driver] = line.split(',').map((s) => s.trim());
    return { name: name ?? '?', driver: driver ?? '?' };
  });
  const first = gpus[0];
  if (first === undefined) return { problem: t('doctor:onnx.gpu.none') };
  return { found: gpus.length === 1 ? t('doctor:onnx.gpu.one', first) : t('doctor:onnx.gpu.many', { n: gpus.length, ...first }) };
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, command);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Runs a short command; undefined when it cannot start or outlives 5 s. */
function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string } | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return resolve(undefined);
      if (error?.killed) return resolve(undefined);
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}
