// Getting a hub model into the shared Hugging Face cache: only the files the
// chosen dtype needs, each written whole or not at all, resumable, checked,
// and safe when two glm-vision runs pull the same model at once.
import { mkdir, readlink, rename, rm, stat, symlink, copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { chooseDtype, completeDtypes, decoderPath, DTYPES, filesFor, type Dtype } from './model-dir.js';
import { UsageError } from '../support/errors.js';
import { t, type MessageKey } from '../i18n/index.js';
import { DEFAULT_MODEL, SERVER_MODEL } from './defaults.js';
import { HubClient, HubUnreachable, type HubFile } from './hub-client.js';
import { hubCacheDir, hubEndpoint, isCommit, isOffline, RepoCache, type HubId } from './hub-cache.js';

/** Progress of one run's downloads (a bar per file on a TTY). */
export interface DownloadProgress {
  file(name: string, total: number): { update(done: number): void; done(): void };
  stop(): void;
}

export const NO_PROGRESS: DownloadProgress = { file: () => ({ update: () => undefined, done: () => undefined }), stop: () => undefined };

/** What a pull is about to fetch, known from the Hub's file list before the first byte is asked for. */
export interface PullPlan {
  repo: string;
  revision: string;
  dtype: Dtype;
  /** Files still to fetch, and their bytes (less what a broken-off earlier download left). */
  files: number;
  bytes: number;
  /** Files the dtype needs that the cache already has. */
  present: number;
  cacheDir: string;
}

export interface PullOptions {
  env: NodeJS.ProcessEnv;
  dtype: Dtype | 'auto';
  progress?: DownloadProgress;
  /** Called once before anything is downloaded, and only when something will be. */
  onPlan?: (plan: PullPlan) => void;
  /** Ask the Hub even when the cache has a complete snapshot (models pull). */
  refresh?: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface PulledModel {
  repo: string;
  revision: string;
  commit: string;
  dtype: Dtype;
  /** The snapshot folder: a model folder like any other. */
  dir: string;
  files: string[];
  /** Bytes fetched by this call (0 when the cache had everything). */
  downloaded: number;
}

/** The snapshot of a hub model for a dtype, downloading what the cache lacks (unless HF_HUB_OFFLINE). */
export async function pullModel(id: HubId, options: PullOptions): Promise<PulledModel> {
  const cache = new RepoCache(hubCacheDir(options.env), id.repo);
  const local = localSnapshot(cache, id, options.dtype);
  if (local && !options.refresh) return local;
  if (isOffline(options.env)) {
    if (local) return local;
    const values = { name: `${id.repo}@${id.revision}`, cache: cache.cacheDir, repo: id.repo, dtype: options.dtype };
    throw new UsageError(options.dtype === 'auto' ? t('models:offline.missing', values) : t('models:offline.missing_dtype', values));
  }
  const endpoint = hubEndpoint(options.env);
  const client = new HubClient({ endpoint, token: options.env.HF_TOKEN || undefined, fetch: options.fetch, sleep: options.sleep });
  try {
    return await download(client, cache, id, options);
  } catch (error) {
    if (error instanceof HubUnreachable) throw new HubUnreachable(unreachableMessage(id, endpoint, cache.cacheDir, error.message));
    throw error;
  }
}

/** A complete snapshot already in the cache, found without any request. */
export function localSnapshot(cache: RepoCache, id: HubId, dtype: Dtype | 'auto'): PulledModel | undefined {
  const commit = cache.commitFor(id.revision);
  if (!commit) return undefined;
  const present = cache.files(commit);
  const chosen = chooseDtype(dtype, (f) => present.has(f));
  const { needed, missing } = filesFor(chosen, [...present]);
  if (missing.length > 0) return undefined;
  return { repo: id.repo, revision: id.revision, commit, dtype: chosen, dir: cache.snapshot(commit), files: needed, downloaded: 0 };
}

async function download(client: HubClient, cache: RepoCache, id: HubId, options: PullOptions): Promise<PulledModel> {
  const info = await client.repoInfo(id.repo, id.revision);
  const byPath = new Map(info.files.map((f) => [f.path, f]));
  const dtype = chooseDtype(options.dtype, (f) => byPath.has(f));
  const { needed, missing } = filesFor(dtype, info.files.map((f) => f.path));
  // Refused on the file list alone, so a repository we cannot run costs no download.
  if (missing.length > 0) throw notRunnable(id, info.files, dtype, missing);
  if (options.onPlan) {
    const plan: PullPlan = { repo: id.repo, revision: id.revision, dtype, files: 0, bytes: 0, present: 0, cacheDir: cache.cacheDir };
    for (const name of needed) {
      const left = await bytesToFetch(cache, info.commit, byPath.get(name) as HubFile);
      if (left === 0) plan.present++;
      else {
        plan.files++;
        plan.bytes += left;
      }
    }
    if (plan.files > 0) options.onPlan(plan);
  }
  const progress = options.progress ?? NO_PROGRESS;
  let downloaded = 0;
  try {
    for (const name of needed) downloaded += await fetchFile(client, cache, info.commit, byPath.get(name) as HubFile, progress);
  } finally {
    progress.stop();
  }
  if (!isCommit(id.revision)) await writeAtomic(cache.refFile(id.revision), info.commit);
  return { repo: id.repo, revision: id.revision, commit: info.commit, dtype, dir: cache.snapshot(info.commit), files: needed, downloaded };
}

/** The bytes `file` still needs: 0 when the snapshot or the blob has it, less a partial download's bytes. */
async function bytesToFetch(cache: RepoCache, commit: string, file: HubFile): Promise<number> {
  const link = path.join(cache.snapshot(commit), ...file.path.split('/'));
  const blob = cache.blob(file.etag);
  if (await sizeOf(link) === file.size || await sizeOf(blob) === file.size) return 0;
  const partial = await sizeOf(`${blob}.incomplete`);
  return partial > 0 && partial <= file.size ? file.size - partial : file.size;
}

/** One file into blobs/ and its link into snapshots/; returns the bytes fetched. */
async function fetchFile(client: HubClient, cache: RepoCache, commit: string, file: HubFile, progress: DownloadProgress): Promise<number> {
  const link = path.join(cache.snapshot(commit), ...file.path.split('/'));
  const blob = cache.blob(file.etag);
  if (await sizeOf(link) === file.size) return 0;
  await mkdir(path.dirname(blob), { recursive: true });
  await mkdir(path.dirname(cache.lock(file.etag)), { recursive: true });
  // Another run may be fetching this blob: wait for it, then find it done.
  const release = await lockfile.lock(blob, {
    realpath: false, lockfilePath: cache.lock(file.etag), stale: 30_000, update: 5_000,
    retries: { retries: 1_000, minTimeout: 200, maxTimeout: 2_000 },
  });
  let fetched = 0;
  try {
    if (await sizeOf(blob) !== file.size) {
      const partial = `${blob}.incomplete`;
      const bar = progress.file(file.path, file.size);
      const before = await sizeOf(partial);
      await client.download(cache.repo, commit, file, partial, (done) => bar.update(done));
      bar.done();
      fetched = file.size - Math.max(0, before);
      await rename(partial, blob);
    }
    await linkBlob(blob, link);
  } finally {
    await release();
  }
  return fetched;
}

/** snapshots/<commit>/<path> → ../../blobs/<etag> as a relative link (a copy where links are not allowed). */
async function linkBlob(blob: string, link: string): Promise<void> {
  await mkdir(path.dirname(link), { recursive: true });
  const target = path.relative(path.dirname(link), blob);
  if (await readlink(link).catch(() => undefined) === target) return;
  const temp = `${link}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  try {
    await symlink(target, temp);
  } catch {
    await copyFile(blob, temp);
  }
  await rename(temp, link);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((s) => (s.isFile() ? s.size : -1), () => -1);
}

// Every way out names all the flags it needs: "--endpoint URL" alone is refused for want of --model.
function unreachableMessage(id: HubId, endpoint: string, cacheDir: string, why: string): string {
  return t('models:hub.unreachable', { endpoint, repo: id.repo, pull: id.repo, why, serverModel: SERVER_MODEL, cache: cacheDir });
}

const GRAPH = /^onnx\/(vision_encoder|embed_tokens|decoder_model_merged)(_[a-z0-9]+)?\.onnx$/;

/** Why a repository's file list cannot be run by the local engine with `dtype`, saying what it holds instead. */
function notRunnable(id: HubId, files: HubFile[], dtype: Dtype, missing: string[]): UsageError {
  const paths = files.map((f) => f.path);
  const name = `${id.repo}${id.revision === 'main' ? '' : `@${id.revision}`}`;
  const complete = completeDtypes(paths);
  if (complete.length > 0) {
    return new UsageError(t('models:runnable.other_dtype', { name, missing: missing.join(', '), dtype, dtypes: complete.join(', ') }));
  }
  if (paths.some((p) => GRAPH.test(p))) {
    // Our layout, but incomplete: name the missing pieces, not the whole inventory.
    const graphs = DTYPES.filter((d) => paths.includes(decoderPath(d)));
    const values = { name, missing: missing.join(', '), dtype, graphs: graphs.join(', ') };
    return new UsageError(graphs.length ? t('models:runnable.incomplete_graphs', values) : t('models:runnable.incomplete', values));
  }
  return new UsageError(t('models:runnable.other_format', { name, holdings: holdings(files), repo: id.repo, model: DEFAULT_MODEL }));
}

/** What a repository holds, by kind of weights: "safetensors weights (a, b, ... 4 files, 19.3 GB)". */
export function holdings(files: HubFile[]): string {
  const kinds: [MessageKey, RegExp][] = [
    ['models:holdings.safetensors', /\.safetensors$/],
    ['models:holdings.pytorch', /(^|\/)(pytorch_model|model|consolidated)[^/]*\.(bin|pt|pth)$/],
    ['models:holdings.gguf', /\.gguf$/],
    ['models:holdings.onnx', /\.onnx(_data(_\d+)?)?$/],
    ['models:holdings.tf', /\.(h5|msgpack)$/],
  ];
  const parts: string[] = [];
  for (const [label, pattern] of kinds) {
    const found = files.filter((f) => pattern.test(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
    if (found.length === 0) continue;
    const names = found.slice(0, 3).map((f) => f.path).join(', ') + (found.length > 3 ? ', ...' : '');
    const bytes = found.reduce((sum, f) => sum + f.size, 0);
    parts.push(t('models:holdings.kind', { kind: t(label), names, count: found.length, size: sizeText(bytes) }));
  }
  if (parts.length > 0) return parts.join(t('models:holdings.and'));
  const names = files.slice(0, 5).map((f) => f.path).join(', ') + (files.length > 5 ? ', ...' : '');
  return files.length === 0 ? t('models:holdings.none') : t('models:holdings.no_weights', { count: files.length, names });
}

/** Bytes for people: "812 bytes", "3.4 kB", "1.4 GB" (decimal units, as the Hub shows them). */
export function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
