// The Hugging Face cache, laid out exactly as huggingface_hub lays it out, so
// models pulled by huggingface-cli or transformers are found here and ours
// are found there:
//   <cache>/models--org--name/blobs/<etag>               file contents
//   <cache>/models--org--name/snapshots/<commit>/<path>  relative symlinks to the blobs
//   <cache>/models--org--name/refs/<revision>            the commit a branch or tag pointed to
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';
const COMMIT = /^[0-9a-f]{40}$/;
const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface HubId {
  repo: string;
  revision: string;
}

/** `org/name` or `org/name@revision`; undefined when `value` does not look like a hub id. */
export function parseHubId(value: string): HubId | undefined {
  const at = value.indexOf('@');
  const repo = at < 0 ? value : value.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : value.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => REPO_PART.test(p) && !p.includes('--') && !p.endsWith('.'))) return undefined;
  if (!revision || revision.includes('..') || /[\s\\]/.test(revision)) return undefined;
  return { repo, revision };
}

export function isCommit(revision: string): boolean {
  return COMMIT.test(revision);
}

/** HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return path.resolve(env.HF_HUB_CACHE);
  if (env.HF_HOME) return path.resolve(env.HF_HOME, 'hub');
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(env.HOME ?? os.homedir(), '.cache');
  return path.join(base, 'huggingface', 'hub');
}

/** HF_ENDPOINT without a trailing slash. */
export function hubEndpoint(env: NodeJS.ProcessEnv): string {
  const value = env.HF_ENDPOINT || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(t('models:endpoint.invalid', { value }));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(t('models:endpoint.invalid', { value }));
  }
  return value.replace(/\/+$/, '');
}

export function isOffline(env: NodeJS.ProcessEnv): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').toUpperCase());
}

/** One model's folder in the cache. */
export class RepoCache {
  readonly dir: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
  ) {
    this.dir = path.join(cacheDir, `models--${repo.replace('/', '--')}`);
  }

  blob(etag: string): string {
    return path.join(this.dir, 'blobs', etag);
  }

  snapshot(commit: string): string {
    return path.join(this.dir, 'snapshots', commit);
  }

  /** Where huggingface_hub keeps this blob's lock; ours sits beside it under another name. */
  lock(etag: string): string {
    return path.join(this.cacheDir, '.locks', path.basename(this.dir), `${etag}.glm-vision.lock`);
  }

  refFile(revision: string): string {
    return path.join(this.dir, 'refs', revision);
  }

  /** The commit a revision resolves to without asking the Hub: itself if a commit hash, else refs/<revision>. */
  commitFor(revision: string): string | undefined {
    if (isCommit(revision)) return revision;
    try {
      const commit = readFileSync(this.refFile(revision), 'utf8').trim();
      return isCommit(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** Paths present in a snapshot (following its links; a dangling link is not present). */
  files(commit: string): Set<string> {
    const root = this.snapshot(commit);
    const out = new Set<string>();
    const walk = (dir: string, prefix: string): void => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of names) {
        const full = path.join(dir, name);
        const rel = prefix ? `${prefix}/${name}` : name;
        try {
          const st = statSync(full);
          if (st.isDirectory()) walk(full, rel);
          else if (st.isFile()) out.add(rel);
        } catch {
          // dangling link: not downloaded
        }
      }
    };
    walk(root, '');
    return out;
  }

  exists(): boolean {
    return existsSync(this.dir);
  }
}

export interface CachedModel {
  repo: string;
  dir: string;
  /** Revision → commit, from refs/. */
  refs: Record<string, string>;
  snapshots: string[];
  /** Bytes in blobs/. */
  bytes: number;
}

/** Every model in the cache, as huggingface-cli scan-cache would list it. */
export function listCachedModels(cacheDir: string): CachedModel[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  const out: CachedModel[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith('models--')) continue;
    const repo = name.slice('models--'.length).replace('--', '/');
    const dir = path.join(cacheDir, name);
    const refs: Record<string, string> = {};
    const refsDir = path.join(dir, 'refs');
    const readRefs = (sub: string): void => {
      for (const entry of safeList(path.join(refsDir, sub))) {
        const full = path.join(refsDir, sub, entry);
        const key = sub ? `${sub}/${entry}` : entry;
        try {
          if (statSync(full).isDirectory()) readRefs(key);
          else refs[key] = readFileSync(full, 'utf8').trim();
        } catch {
          // unreadable ref: skip
        }
      }
    };
    readRefs('');
    let bytes = 0;
    for (const blob of safeList(path.join(dir, 'blobs'))) {
      try {
        bytes += statSync(path.join(dir, 'blobs', blob)).size;
      } catch {
        // vanished meanwhile
      }
    }
    out.push({ repo, dir, refs, snapshots: safeList(path.join(dir, 'snapshots')), bytes });
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
