// `glm-vision models list|pull|info|rm`: the local engine's models in the
// shared Hugging Face cache.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { chooseDtype, completeDtypes, DTYPES, filesFor } from '../models/model-dir.js';
import { UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
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
  if (!id) throw new UsageError(t('models:id.invalid', { value }));
  return id;
}

export function modelsList(io: CliIO): number {
  const cacheDir = hubCacheDir(io.env);
  const models = listCachedModels(cacheDir);
  if (models.length === 0) {
    io.stderr.write(`${t('models:list.empty', { cache: cacheDir, model: DEFAULT_MODEL })}\n`);
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
    const name = `${pulled.repo}@${pulled.commit.slice(0, 8)}`;
    io.stderr.write(`${t('models:pull.done', { name, dtype: pulled.dtype, count: pulled.files.length, size: mb(pulled.downloaded) })}\n`);
  }
  io.stdout.write(`${pulled.dir}\n`);
  return 0;
}

export async function modelsInfo(value: string, io: CliIO): Promise<number> {
  const id = hubId(value);
  const cache = new RepoCache(hubCacheDir(io.env), id.repo);
  const local = localSnapshot(cache, id, 'auto');
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  out(t('models:info.model', { name: `${id.repo}@${id.revision}` }));
  out(t(cache.exists() ? 'models:info.cache' : 'models:info.cache_empty', { dir: cache.dir }));
  if (local) out(t('models:info.local', { commit: local.commit, dtype: local.dtype, dir: local.dir }));
  if (isOffline(io.env)) return 0;
  const info = await new HubClient({ endpoint: hubEndpoint(io.env), token: io.env.HF_TOKEN || undefined, sleep: io.sleep }).repoInfo(id.repo, id.revision);
  out(t('models:info.hub', { endpoint: hubEndpoint(io.env), commit: info.commit }));
  const sizes = new Map(info.files.map((f) => [f.path, f.size]));
  const best = chooseDtype('auto', (f) => sizes.has(f));
  let dtypes = 0;
  for (const d of DTYPES) {
    const { needed, missing } = filesFor(d, [...sizes.keys()]);
    if (missing.some((f) => f.startsWith('onnx/'))) continue;
    const bytes = needed.reduce((sum, f) => sum + (sizes.get(f) ?? 0), 0);
    out(t(d === best ? 'models:info.dtype_auto' : 'models:info.dtype', { dtype: d, size: mb(bytes), count: needed.length }));
    dtypes++;
  }
  if (dtypes === 0) out(t('models:info.none', { holdings: holdings(info.files) }));
  return 0;
}

export async function modelsRm(value: string, io: CliIO): Promise<number> {
  const id = hubId(value);
  const cacheDir = hubCacheDir(io.env);
  const found = listCachedModels(cacheDir).find((m) => m.repo === id.repo);
  if (!found) throw new UsageError(t('models:rm.missing', { repo: id.repo, cache: cacheDir }));
  await rm(found.dir, { recursive: true, force: true });
  await rm(path.join(cacheDir, '.locks', path.basename(found.dir)), { recursive: true, force: true });
  io.stderr.write(`${t('models:rm.done', { dir: found.dir, size: mb(found.bytes) })}\n`);
  return 0;
}
