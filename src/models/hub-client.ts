// The Hugging Face Hub over HTTP, the way huggingface_hub talks to it: the
// model API for the file list and commit, `resolve` URLs for the bytes
// (following redirects to the CDN), Range requests to resume, and a check of
// every file against the size and hash the Hub published for it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TemporaryFailure, UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
import { isRetryableStatus, parseRetryAfter, realSleep, retryDelay, type Backoff } from '../support/retry-policy.js';

export interface HubFile {
  path: string;
  size: number;
  /** The blob's name in the cache: the LFS sha256 for LFS files, the git blob sha1 for the rest. */
  etag: string;
  lfs: boolean;
}

export interface RepoInfo {
  commit: string;
  files: HubFile[];
}

export interface HubClientOptions {
  endpoint: string;
  token?: string;
  fetch?: typeof fetch;
  /** A request that sends nothing for this long is abandoned (and retried). */
  idleTimeoutMs?: number;
  retries?: number;
  /** Injected by tests, so that no test waits: the pause before a retry, the jitter, and the time for an HTTP-date Retry-After. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** The Hub (or the mirror in HF_ENDPOINT) could not be reached at all. */
export class HubUnreachable extends TemporaryFailure {
  override name = 'HubUnreachable';
  override readonly code: string = 'hub_unreachable';
}

/** Thrown by a request; retried when `retry` is set, after `retryAfterMs` when the Hub said so. */
class Attempt extends Error {
  constructor(message: string, readonly retry: boolean, readonly unreachable = false, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** Downloads are long and the Hub is shared: a slower start than the openai backend's (1, 2, 4, 8 s ceilings). */
const HUB_BACKOFF: Backoff = { baseMs: 1000, capMs: 30_000 };

export class HubClient {
  private readonly fetch: typeof fetch;
  private readonly idleTimeoutMs: number;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: HubClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.retries = options.retries ?? 4;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** The commit a revision points to and every file in it, with sizes and hashes. */
  async repoInfo(repo: string, revision: string): Promise<RepoInfo> {
    const url = `${this.options.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
    const body = await this.withRetries(t('models:hub.what.list', { repo, revision }), async () => {
      const res = await this.request(url, {}, repo, revision);
      try {
        return (await res.json()) as unknown;
      } catch {
        throw new Attempt(t('models:hub.not_json', { url }), true);
      }
    });
    const info = body as { sha?: unknown; siblings?: unknown };
    if (typeof info.sha !== 'string' || !Array.isArray(info.siblings)) throw new UsageError(t('models:hub.not_api', { url }));
    const files: HubFile[] = [];
    for (const s of info.siblings as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: { sha256?: unknown; size?: unknown } }[]) {
      if (typeof s.rfilename !== 'string') continue;
      const lfs = s.lfs && typeof s.lfs.sha256 === 'string' ? s.lfs : undefined;
      const size = Number(lfs?.size ?? s.size);
      const etag = lfs ? String(lfs.sha256) : typeof s.blobId === 'string' ? s.blobId : '';
      if (!etag || !Number.isFinite(size)) continue;
      files.push({ path: s.rfilename, size, etag, lfs: !!lfs });
    }
    return { commit: info.sha, files };
  }

  /**
   * Downloads one file of a commit into `partial`, resuming what is already there, then checks its size and
   * hash; a file that fails the check is fetched once more from the start.
   */
  async download(repo: string, commit: string, file: HubFile, partial: string, onBytes: (done: number) => void): Promise<void> {
    const url = `${this.options.endpoint}/${repo}/resolve/${commit}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
    for (let pass = 0; pass < 2; pass++) {
      await this.withRetries(`${repo}/${file.path}`, () => this.fetchInto(url, file, partial, onBytes, repo, commit));
      const problem = await verify(partial, file);
      if (!problem) return;
      await truncate(partial, 0);
      if (pass === 1) throw new TemporaryFailure(t('models:hub.check_twice', { file: `${repo}/${file.path}`, problem }));
    }
  }

  private async fetchInto(url: string, file: HubFile, partial: string, onBytes: (done: number) => void, repo: string, commit: string): Promise<void> {
    let have = await stat(partial).then((s) => s.size, () => 0);
    if (have > file.size) {
      await truncate(partial, 0);
      have = 0;
    }
    onBytes(have);
    if (have === file.size) return;
    const res = await this.resolve(url, have > 0 ? { Range: `bytes=${have}-` } : {}, file, repo, commit);
    // A server that ignores Range sends the whole file: start over.
    const resumed = res.status === 206;
    if (!resumed) have = 0;
    let done = have;
    // Written chunk by chunk, so whatever arrived before a connection breaks is on disk for the next Range.
    const out = await open(partial, resumed ? 'a' : 'w');
    try {
      for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
        await out.write(chunk as Uint8Array);
        done += (chunk as Uint8Array).length;
        onBytes(done);
      }
    } catch (error) {
      throw new Attempt(t('models:hub.broke_off', { url, done, size: file.size, why: describe(error) }), true);
    } finally {
      await out.close();
    }
  }

  /**
   * GET of a resolve URL, following its redirects by hand: the Hub's own answer carries the file's published
   * hash and size (X-Linked-Etag / X-Linked-Size for LFS files, ETag for the rest), which must match the file
   * list's; the CDN's answer does not carry them. The token goes to the Hub only, not to another host.
   */
  private async resolve(url: string, headers: Record<string, string>, file: HubFile, repo: string, commit: string): Promise<Response> {
    let res = await this.request(url, headers, repo, commit, 'manual');
    const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
    const size = res.headers.get('x-linked-size');
    if ((etag && etag !== file.etag) || (size !== null && Number(size) !== file.size)) {
      await res.body?.cancel().catch(() => undefined);
      throw new TemporaryFailure(t('models:hub.published', {
        file: `${repo}/${file.path}`, etag: etag || file.etag, size: size ?? file.size, listedEtag: file.etag, listedSize: file.size,
      }));
    }
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      const location = res.headers.get('location');
      if (!location || hops >= 5) throw new Attempt(t('models:hub.redirect', { url }), true);
      const next = new URL(location, url);
      const sameHost = next.origin === new URL(this.options.endpoint).origin;
      res = await this.request(next.href, headers, repo, commit, 'manual', sameHost);
    }
    return res;
  }

  /** One GET that must answer 2xx (or 3xx when following by hand); idle for idleTimeoutMs means abandoned. */
  private async request(
    url: string, headers: Record<string, string>, repo: string, revision: string, redirect: 'follow' | 'manual' = 'follow', auth = true,
  ): Promise<Response> {
    const controller = new AbortController();
    // Unref'd: a body that broke off never reaches flush() to clear its watchdog, and a leftover
    // watchdog must not keep the process alive for idleTimeoutMs after the pull is done.
    const watchdog = (ms: number): NodeJS.Timeout => setTimeout(() => controller.abort(new Error(t('models:hub.stalled', { seconds: ms / 1000 }))), ms).unref();
    let timer = watchdog(this.idleTimeoutMs);
    let res: Response;
    try {
      res = await this.fetch(url, {
        headers: { ...headers, ...(this.options.token && auth ? { Authorization: `Bearer ${this.options.token}` } : {}), 'User-Agent': 'glm-vision' },
        signal: controller.signal,
        redirect,
      });
    } catch (error) {
      clearTimeout(timer);
      throw new Attempt(t('models:hub.cannot_reach', { origin: new URL(url).origin, why: describe(error) }), true, true);
    }
    clearTimeout(timer);
    if (redirect === 'manual' && res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      return res;
    }
    if (res.ok && res.body) {
      // Keep the idle watchdog running while the body streams.
      const reader = res.body;
      const idle = this.idleTimeoutMs;
      const watch = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl): void {
          clearTimeout(timer);
          timer = watchdog(idle);
          ctl.enqueue(chunk);
        },
        flush(): void {
          clearTimeout(timer);
        },
      });
      timer = watchdog(idle);
      return new Response(reader.pipeThrough(watch), { status: res.status, headers: res.headers });
    }
    await res.body?.cancel().catch(() => undefined);
    const code = res.headers.get('x-error-code') ?? '';
    if (res.status === 401 || res.status === 403) {
      const values = { repo, endpoint: this.options.endpoint, status: `${res.status}${code ? `, ${code}` : ''}` };
      throw new UsageError(this.options.token ? t('models:hub.private', values) : t('models:hub.private.no_token', values));
    }
    if (res.status === 404) {
      throw new UsageError(
        code === 'RevisionNotFound'
          ? t('models:hub.no_revision', { repo, revision, endpoint: this.options.endpoint })
          : code === 'EntryNotFound'
            ? t('models:hub.no_file', { url })
            : t('models:hub.no_model', { repo, endpoint: this.options.endpoint, status: `404${code ? `, ${code}` : ''}` }),
      );
    }
    const retry = isRetryableStatus(res.status);
    const unreachable = res.status === 502 || res.status === 503 || res.status === 504;
    throw new Attempt(t('models:hub.status', { url, status: res.status }), retry, unreachable, retry ? parseRetryAfter(res.headers, this.now()) : undefined);
  }

  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof Attempt)) throw error;
        if (!error.retry || n >= this.retries) {
          if (error.unreachable) throw new HubUnreachable(error.message);
          throw new TemporaryFailure(t('models:hub.failed', { what, why: error.message }));
        }
        await this.sleep(retryDelay(n, this.random, error.retryAfterMs, HUB_BACKOFF));
      }
    }
  }
}

/** Why a downloaded file does not match what the Hub published, or undefined when it does. */
export async function verify(file: string, expected: HubFile): Promise<string | undefined> {
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size !== expected.size) return `${size} bytes, expected ${expected.size}`;
  const hash = createHash(expected.lfs ? 'sha256' : 'sha1');
  // Git hashes a blob with a header; LFS hashes the bytes alone.
  if (!expected.lfs) hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  return actual === expected.etag ? undefined : t('models:hub.mismatch', { algorithm: expected.lfs ? 'sha256' : 'git sha1', actual, expected: expected.etag });
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}
