// Getting a hub model into the shared Hugging Face cache: only the files the
// chosen dtype needs, each written whole or not at all, resumable, checked,
// and safe when two glm-vision runs pull the same model at once.
import { mkdir, readlink, rename, rm, stat, symlink, copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { chooseDtype, filesFor, type Dtype } from '../backends/onnx/model-dir.js';
import { UsageError } from '../errors.js';
import { HubClient, HubUnreachable, type HubFile } from './hub-client.js';
import { hubCacheDir, hubEndpoint, isCommit, isOffline, RepoCache, type HubId } from './hub-cache.js';

/** Progress of one run's downloads (a bar per file on a TTY). */
export interface DownloadProgress {
  file(name: string, total: number): { update(done: number): void; done(): void };
  stop(): void;
}

export const NO_PROGRESS: DownloadProgress = { file: () => ({ update: () => undefined, done: () => undefined }), stop: () => undefined };

export interface PullOptions {
  env: NodeJS.ProcessEnv;
  dtype: Dtype | 'auto';
  progress?: DownloadProgress;
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
    throw new UsageError(
      `HF_HUB_OFFLINE is set and ${id.repo}@${id.revision} is not complete in the Hugging Face cache at ${cache.cacheDir}` +
        `${options.dtype === 'auto' ? '' : ` for --dtype ${options.dtype}`}. Pull it where the Hub is reachable (glm-vision models pull ${id.repo}) ` +
        'and copy the cache folder here, or unset HF_HUB_OFFLINE.',
    );
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
  if (missing.length > 0) {
    throw new UsageError(`${id.repo}@${id.revision} has no ${missing.join(', ')} (needed for --dtype ${dtype}); is it an ONNX export of a supported model?`);
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

function unreachableMessage(id: HubId, endpoint: string, cacheDir: string, why: string): string {
  return `Cannot reach the Hugging Face Hub at ${endpoint} to download ${id.repo} (${why}). Three ways out: ` +
    `(1) on a machine that can reach it, run "glm-vision models pull ${id.repo}" and copy its Hugging Face cache ` +
    `(~/.cache/huggingface/hub) to ${cacheDir} here; ` +
    `(2) use a mirror, e.g. HF_ENDPOINT=https://hf-mirror.com; ` +
    `(3) run the model on a server and pass --endpoint URL.`;
}
