// A loopback stand-in for the Hugging Face Hub, shaped after what huggingface_hub
// (file_download.py, utils/_http.py, hf_api.py) reads from the real one. Facts and
// sources: the hub-facts notes written alongside this helper.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HubFile { path: string; data: Buffer; lfs?: boolean }
export interface HubRepo { id: string; commit: string; files: HubFile[]; revisions?: Record<string, string> }
export interface FakeHubOptions { repos: HubRepo[]; token?: string }
export interface HubRequest { method: string; path: string; range?: string; auth?: string }

export interface FakeHub {
  /** http://127.0.0.1:PORT, to use as HF_ENDPOINT. */
  url: string;
  /** Every request, including refused ones and CDN ones, with `path` as sent (query included). */
  requests: HubRequest[];
  /** The GETs that ask for a file's bytes (`resolve` URLs and CDN URLs), not the API's. */
  fileRequests(): HubRequest[];
  /** The next GET that sends the bytes of `path` stops after `bytes` bytes and drops the connection. */
  cutNext(path: string, bytes: number): void;
  /** The next GET that sends the bytes of `path` sends them with one byte flipped (same length). */
  corruptNext(path: string): void;
  /** 'reset' drops every request's connection (network down); 503 answers everything with 503. */
  offline(on: boolean, how?: 'reset' | 503): void;
  close(): Promise<void>;
}

const hex = (algo: 'sha1' | 'sha256', ...parts: (string | Buffer)[]): string => {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
/** What git (and so the Hub's blobId/ETag for non-LFS files) calls this content. */
export const gitBlobSha1 = (data: Buffer): string => hex('sha1', `blob ${data.length}\0`, data);
export const sha256Hex = (data: Buffer): string => hex('sha256', data);

interface Entry { file: HubFile; sha256: string; blobId: string; pointerSize?: number }

function entryOf(file: HubFile): Entry {
  const sha256 = sha256Hex(file.data);
  if (!file.lfs) return { file, sha256, blobId: gitBlobSha1(file.data) };
  // For LFS files git stores the pointer, so blobId is the pointer's sha1, not the content's.
  const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${file.data.length}\n`);
  return { file, sha256, blobId: gitBlobSha1(pointer), pointerSize: pointer.length };
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined means "ignore the header", as servers do with one they can't parse. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  const [from, to] = [m?.[1] ?? '', m?.[2] ?? ''];
  if (!m || (from === '' && to === '')) return undefined;
  if (from === '') return Number(to) === 0 ? 'unsatisfiable' : [Math.max(0, size - Number(to)), size - 1];
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (to !== '' && Number(to) < start) return undefined;
  return start >= size ? 'unsatisfiable' : [start, end];
}

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const repos = new Map(options.repos.map((r) => [r.id, { repo: r, files: new Map(r.files.map((f) => [f.path, entryOf(f)])) }]));
  const cdn = new Map<string, Entry>();
  for (const { files } of repos.values()) for (const e of files.values()) if (e.file.lfs) cdn.set(e.sha256, e);
  const requests: HubRequest[] = [];
  const cuts = new Map<string, number>();
  const corrupt = new Set<string>();
  const sockets = new Set<Socket>();
  let down: false | 'reset' | 503 = false;
  let origin = '';

  const fail = (res: ServerResponse, status: number, code?: string, message?: string, extra: Record<string, string> = {}): void => {
    const body = JSON.stringify({ error: message ?? code ?? `HTTP ${status}` });
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      ...(code ? { 'X-Error-Code': code } : {}),
      ...(message ? { 'X-Error-Message': message } : {}),
      ...extra,
    });
    res.end(body);
  };

  const json = (res: ServerResponse, value: unknown): void => {
    const body = JSON.stringify(value);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  function sendBytes(req: IncomingMessage, res: ServerResponse, e: Entry, headers: Record<string, string>): void {
    const size = e.file.data.length;
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') return fail(res, 416, undefined, 'Range Not Satisfiable', { 'Content-Range': `bytes */${size}` });
    let body = range ? e.file.data.subarray(range[0], range[1] + 1) : e.file.data;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${range[0]}-${range[1]}/${size}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const path = e.file.path;
    const cut = cuts.get(path);
    if (corrupt.delete(path) && body.length > 0) {
      // Flip a byte that is actually sent, so a corruption combined with a cut is not lost past the cut.
      const at = Math.min(body.length, cut ?? body.length) >> 1;
      body = Buffer.from(body);
      body[at] = (body[at] ?? 0) ^ 0xff;
    }
    if (cut === undefined) return void res.end(body);
    cuts.delete(path);
    // Content-Length already promised the whole body, so the client sees a premature close, not a short file.
    res.write(body.subarray(0, cut), () => res.socket?.destroy());
  }

  function resolveCommit(repo: HubRepo, rev: string): string | undefined {
    const named = repo.revisions?.[rev];
    if (named) return named;
    if (rev === 'main' || rev === 'HEAD' || rev === repo.commit) return repo.commit;
    return Object.values(repo.revisions ?? {}).includes(rev) ? rev : undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://hub');
    requests.push({ method, path: req.url ?? '/', range: req.headers.range, auth: req.headers.authorization });
    if (down === 'reset') return void req.socket.destroy();
    if (down === 503) return fail(res, 503, undefined, 'Service Unavailable');
    if (method !== 'GET' && method !== 'HEAD') return fail(res, 405);

    // The CDN is another host on the real Hub and its URLs are signed, so it asks for no token.
    const cdnMatch = /^\/cdn\/([0-9a-f]{64})\//.exec(url.pathname);
    if (cdnMatch) {
      const e = cdn.get(cdnMatch[1] ?? '');
      return e ? sendBytes(req, res, e, { ETag: `"${e.sha256}"` }) : fail(res, 404, undefined, 'NoSuchKey');
    }

    const auth = req.headers.authorization;
    if (options.token !== undefined && auth !== `Bearer ${options.token}`) {
      // The Hub says RepoNotFound to anonymous callers so as not to reveal that a private repo exists.
      return auth
        ? fail(res, 401, undefined, 'Invalid credentials in Authorization header')
        : fail(res, 401, 'RepoNotFound', 'Invalid username or password.');
    }

    const m =
      /^\/api\/models\/(.+?)\/tree\/([^/]+)(?:\/(.*))?$/.exec(url.pathname) ??
      /^\/api\/models\/(.+?)(?:\/revision\/([^/]+))?$/.exec(url.pathname) ??
      /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return fail(res, 404, undefined, 'Not Found');
    const kind = url.pathname.startsWith('/api/') ? (m[0].includes('/tree/') ? 'tree' : 'info') : 'resolve';
    const [id, rev, filePath] = [decode(m[1] ?? ''), decode(m[2] ?? 'main'), decode(m[3] ?? '')];
    const found = repos.get(id);
    // Missing repos are 401 without a token and 404 with one, as on the real Hub.
    if (!found) return fail(res, auth ? 404 : 401, 'RepoNotFound', 'Repository not found');
    const commit = resolveCommit(found.repo, rev);
    if (!commit) return fail(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const entries = [...found.files.values()];

    if (kind === 'info') {
      // Sizes, blob ids and LFS details only come with ?blobs=true, as on the real API.
      const blobs = url.searchParams.get('blobs') === 'true';
      const siblings = entries.map((e) =>
        blobs
          ? { rfilename: e.file.path, size: e.file.data.length, blobId: e.blobId, ...(e.pointerSize !== undefined ? { lfs: { sha256: e.sha256, size: e.file.data.length, pointerSize: e.pointerSize } } : {}) }
          : { rfilename: e.file.path },
      );
      return json(res, { _id: id, id, modelId: id, sha: commit, private: options.token !== undefined, siblings });
    }
    if (kind === 'tree') {
      // Answers as if recursive=true and in one page: enough for downloaders, which want every file.
      const under = filePath ? `${filePath.replace(/\/$/, '')}/` : '';
      const tree = entries
        .filter((e) => e.file.path.startsWith(under))
        .map((e) => ({
          type: 'file', oid: e.blobId, size: e.file.data.length, path: e.file.path,
          ...(e.pointerSize !== undefined ? { lfs: { oid: e.sha256, size: e.file.data.length, pointerSize: e.pointerSize } } : {}),
        }));
      return json(res, tree);
    }

    const e = found.files.get(filePath);
    if (!e) return fail(res, 404, 'EntryNotFound', `${filePath} does not exist on "${rev}"`, { 'X-Repo-Commit': commit });
    if (!e.file.lfs) return sendBytes(req, res, e, { 'X-Repo-Commit': commit, ETag: `"${e.blobId}"` });
    // Absolute Location: huggingface_hub follows *relative* redirects itself, as renamed-repo hops.
    const location = `${origin}/cdn/${e.sha256}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
    const body = `Found. Redirecting to ${location}`;
    res.writeHead(302, {
      Location: location,
      'X-Repo-Commit': commit,
      ETag: `"${e.sha256}"`,
      'X-Linked-Etag': `"${e.sha256}"`,
      'X-Linked-Size': String(e.file.data.length),
      'Accept-Ranges': 'bytes',
      // The length of this redirect text, not of the file: X-Linked-Size is the file's.
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }

  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    requests,
    fileRequests: () => requests.filter((r) => r.method === 'GET' && !r.path.startsWith('/api/')),
    cutNext: (path, bytes) => void cuts.set(path, bytes),
    corruptNext: (path) => void corrupt.add(path),
    offline: (on, how = 'reset') => {
      down = on ? how : false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
