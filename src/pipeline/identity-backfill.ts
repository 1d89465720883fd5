// Images answered by a glm-vision older than content identities (cache schema 7) have none
// recorded, so metadata written into them later would cost a request each. A run that finds such
// images unchanged reads them once more, after its catalog is written, and records their identity;
// once no answered image is left without one, the cache stops asking (a flag, not a scan per run).
import type { CacheHit } from '../cache/store.js';
import { t } from '../i18n/index.js';
import { readRegularFile, sha256 } from './hash.js';
import type { JobCache } from './job-cache.js';
import type { FileEntry } from './walk.js';

export class IdentityBackfill {
  private readonly active: boolean;
  private readonly waiting: { file: FileEntry; sha: string }[] = [];

  constructor(private readonly cache: JobCache) {
    this.active = cache.identitiesPending();
  }

  /** Notes the cache hits of a walked batch whose image has no identity yet. */
  note(files: readonly FileEntry[], hits: readonly (CacheHit | undefined)[]): void {
    if (!this.active) return;
    hits.forEach((hit, i) => {
      const file = files[i];
      if (hit && file && !this.cache.hasIdentity(hit.sha256)) this.waiting.push({ file, sha: hit.sha256 });
    });
  }

  /** Reads the noted images and records their identities; stops between files when `stopNow`. */
  async run(stopNow: () => boolean, say: (message: string) => void): Promise<number> {
    if (!this.active) return 0;
    if (this.waiting.length > 0) {
      say(t('pipeline:backfill.start', { count: this.waiting.length }));
    }
    let done = 0;
    for (const { file, sha } of this.waiting) {
      if (stopNow()) return done;
      const data = await readRegularFile(file.fsPath ?? file.path).catch(() => undefined);
      // Gone or changed since it was walked: the run that next reads it identifies it.
      if (!data || sha256(data) !== sha) continue;
      await this.cache.identify(sha, data);
      done++;
    }
    this.cache.settleIdentities();
    return done;
  }
}
