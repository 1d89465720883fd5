// ONNX Runtime for the local engine: its version and execution providers,
// the CUDA provider's libraries, and whether an NVIDIA GPU is visible. No
// model is loaded.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { CUDA_INSTALL_HINT, cudaProviderPaths } from '../backends/onnx/index.js';
import { fail, ok, warn, type CheckResult } from './check.js';

const NAME = 'onnxruntime';
const CUDA_LIBS_FIX = 'install CUDA 12, cuDNN 9 and cuBLAS 12 and add their lib folders to LD_LIBRARY_PATH (or ldconfig)';
const DRIVER_FIX = 'install the NVIDIA driver so that nvidia-smi works; in a container, pass the GPU in (docker run --gpus all …)';

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
    const detail = `onnxruntime-node failed to load: ${String((error as Error).message ?? error).split('\n')[0]}`;
    const fix = 'reinstall it on this machine: npm rebuild onnxruntime-node (or rm -rf node_modules && npm ci)';
    return localEngine ? fail(NAME, detail, fix) : warn(NAME, `${detail} (only the local engine needs it)`, fix);
  }
  const version = ort.env.versions.node ?? ort.env.versions.common ?? '?';
  const lib = cudaProviderPaths().find((p) => existsSync(p));
  const [gpu, missingLibs] = await Promise.all([findGpu(env), lib ? missingLibraries(lib) : undefined]);
  const providers = ['CPU', ...(missingLibs !== undefined ? ['CUDA'] : [])].join(', ');
  const base = `onnxruntime-node ${version}; providers: ${providers}`;
  const gpuText = gpu.found ? `GPU: ${gpu.found}` : `no NVIDIA GPU visible${gpu.problem ? ` (${gpu.problem})` : ''}`;
  const unused = localEngine ? '' : '; not used with --endpoint';
  const worth = (status: 'warn', detail: string, fix: string): CheckResult =>
    localEngine ? { check: NAME, status, detail, fix } : ok(NAME, `${detail}${unused}`);

  if (missingLibs === undefined) {
    if (!gpu.found && gpu.problem) return worth('warn', `${base}; ${gpuText}: the local engine runs on the CPU`, DRIVER_FIX);
    if (!gpu.found) return ok(NAME, `${base}; ${gpuText}: the local engine runs on the CPU${unused}`);
    return worth('warn', `${base}; ${gpuText}, but the CUDA provider is not installed: the local engine runs on the CPU`,
      `${CUDA_INSTALL_HINT} (needs network access once; see the README's "GPU (CUDA) for the local engine")`);
  }
  if (missingLibs.length > 0) {
    return worth('warn', `${base}; the CUDA provider cannot load, missing ${missingLibs.join(', ')}: --device auto falls back to the CPU; ${gpuText}`,
      CUDA_LIBS_FIX);
  }
  if (!gpu.found) return worth('warn', `${base}; ${gpuText}: --device auto falls back to the CPU`, DRIVER_FIX);
  return ok(NAME, `${base}; ${gpuText}`);
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
  if (!smi) return device ? { problem: '/dev/nvidia0 exists but nvidia-smi is not on PATH' } : {};
  const out = await run(smi, ['--query-gpu=name,driver_version', '--format=csv,noheader']);
  if (out === undefined || out.code !== 0) {
    const why = (out?.stdout || out?.stderr || 'no answer').trim().split('\n')[0] ?? '';
    return { problem: `nvidia-smi failed: ${why.slice(0, 120)}` };
  }
  const gpus = out.stdout.trim().split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name, driver] = line.split(',').map((s) => s.trim());
    return `${name ?? '?'}, driver ${driver ?? '?'}`;
  });
  if (gpus.length === 0) return { problem: 'nvidia-smi lists no GPU' };
  return { found: gpus.length === 1 ? gpus[0] : `${gpus.length}× ${gpus[0]}` };
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
