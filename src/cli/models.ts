// `glm-vision models list|pull|info|rm`: the local engine's models in the
// shared Hugging Face cache.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { chooseDtype, completeDtypes, DTYPES, filesFor } from '../models/model-dir.js';
import { UsageError } from '../support/errors.js';
import { createDownloadProgress, mb, planLine } from '../models/download-progress.js';
import { HubClient } from '../models/hub-client.js';
import { hubCacheDir, hubEndpoint, isOffline, listCachedModels, parseHubId, RepoCache, type HubId } from '../models/hub-cache.js';
import { holdings, localSnapshot, pullModel } from '../models/pull.js';
import { DEFAULT_MODEL } from '../models/resolve.js';
import type { CliIO } from './io.js';
import type { ModelsPullFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import type { Dtype } from '../models/model-dir.js';

function hubId(value: string): HubId {
  const id = parseHubId(value);
  if (!id) throw new UsageError(`Expected a Hugging Face model id (org/name or org/name@revision) but received "${value}"`);
  return id;
}

export function modelsList(io: CliIO): number {
  const cacheDir = hubCacheDir(io.env);
  const models = listCachedModels(cacheDir);
  if (models.length === 0) {
    io.stderr.write(`glm-vision: no models in the Hugging Face cache at ${cacheDir} (glm-vision models pull ${DEFAULT_MODEL})\n`);
    return 0;
  }
  for (const m of models) {
    const cache = new RepoCache(cacheDir, m.repo);
    const dtypes = m.snapshots.flatMap((commit) => completeDtypes([...cache.files(commit)]));
    const refs = Object.entries(m.refs).map(([r, c]) => `${r}=${c.slice(0, 8)}`).join(' ') || '-';
    const onnx = dtypes.length ? [...new Set(dtypes)].join(',') : 'no complete onnx dtype';
    io.stdout.write(`${m.repo}\t${mb(m.bytes)}\t${refs}\t${onnx}\n`);
  }
  return 0;
}

export async function modelsPull(value: string, flags: ModelsPullFlags, io: CliIO): Promise<number> {
  const pulled = await pullModel(hubId(value), {
    env: io.env, dtype: parseFlags('models pull', flags).dtype as Dtype | 'auto', refresh: !isOffline(io.env), sleep: io.sleep,
    progress: createDownloadProgress(io.stderr, !!flags.quiet),
    // -q here silences it: the user asked for exactly this download.
    onPlan: flags.quiet ? undefined : (plan) => void io.stderr.write(planLine(plan, io.env.HOME)),
  });
  if (!flags.quiet) {
    io.stderr.write(`glm-vision: ${pulled.repo}@${pulled.commit.slice(0, 8)} (${pulled.dtype}): ${pulled.files.length} files, ${mb(pulled.downloaded)} downloaded\n`);
  }
  io.stdout.write(`${pulled.dir}\n`);
  return 0;
}

export async function modelsInfo(value: string, io: CliIO): Promise<number> {
  const id = hubId(value);
  const cache = new RepoCache(hubCacheDir(io.env), id.repo);
  const local = localSnapshot(cache, id, 'auto');
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  out(`model: ${id.repo}@${id.revision}`);
  out(`cache: ${cache.dir}${cache.exists() ? '' : ' (not downloaded)'}`);
  if (local) out(`local: ${local.commit} (${local.dtype}) ${local.dir}`);
  if (isOffline(io.env)) return 0;
  const info = await new HubClient({ endpoint: hubEndpoint(io.env), token: io.env.HF_TOKEN || undefined, sleep: io.sleep }).repoInfo(id.repo, id.revision);
  out(`hub: ${hubEndpoint(io.env)} commit ${info.commit}`);
  const sizes = new Map(info.files.map((f) => [f.path, f.size]));
  const best = chooseDtype('auto', (f) => sizes.has(f));
  let dtypes = 0;
  for (const d of DTYPES) {
    const { needed, missing } = filesFor(d, [...sizes.keys()]);
    if (missing.some((f) => f.startsWith('onnx/'))) continue;
    const bytes = needed.reduce((sum, f) => sum + (sizes.get(f) ?? 0), 0);
    out(`  --dtype ${d}: ${mb(bytes)} in ${needed.length} files${d === best ? ' (auto)' : ''}`);
    dtypes++;
  }
  if (dtypes === 0) out(`  no ONNX export glm-vision can run; it holds ${holdings(info.files)}`);
  return 0;
}

export async function modelsRm(value: string, io: CliIO): Promise<number> {
  const id = hubId(value);
  const cacheDir = hubCacheDir(io.env);
  const found = listCachedModels(cacheDir).find((m) => m.repo === id.repo);
  if (!found) throw new UsageError(`${id.repo} is not in the Hugging Face cache at ${cacheDir}`);
  await rm(found.dir, { recursive: true, force: true });
  await rm(path.join(cacheDir, '.locks', path.basename(found.dir)), { recursive: true, force: true });
  io.stderr.write(`glm-vision: removed ${found.dir} (${mb(found.bytes)})\n`);
  return 0;
}
