// What --model means to the local engine: a folder, or a hub id (org/name,
// optionally @revision) that is looked up in the Hugging Face cache and
// pulled into it when missing.
import { statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Dtype } from './model-dir.js';
import { UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
import { createDownloadProgress, planLine } from './download-progress.js';
import { parseHubId } from './hub-cache.js';
import { pullModel } from './pull.js';

export { DEFAULT_MODEL } from './defaults.js';

export interface LocalModel {
  dir: string;
  /** What the folder's dtype 'auto' resolved to, for a hub model; undefined for a folder (the backend picks). */
  dtype?: Dtype;
  /** For a hub model: repo@commit, which names its exact files without hashing gigabytes. */
  hubIdentity?: string;
}

export async function resolveLocalModel(
  value: string,
  options: { env: NodeJS.ProcessEnv; dtype: Dtype | 'auto'; stderr: Writable & { isTTY?: boolean }; quiet: boolean; fetch?: typeof fetch;
    sleep?: (ms: number) => Promise<void> },
): Promise<LocalModel> {
  if (isDirectory(value)) return { dir: value };
  const id = parseHubId(value);
  if (!id) {
    throw new UsageError(t('models:id.not_found', { value }));
  }
  const pulled = await pullModel(id, {
    env: options.env, dtype: options.dtype, fetch: options.fetch, sleep: options.sleep,
    progress: createDownloadProgress(options.stderr, options.quiet),
    // Even under --quiet: a catalog run that fetches gigabytes (disk, bandwidth, minutes) must say so once.
    onPlan: (plan) => void options.stderr.write(planLine(plan, options.env.HOME)),
  });
  if (pulled.downloaded > 0 && !options.quiet) {
    options.stderr.write(`${t('models:pull.ready', { repo: id.repo, dtype: pulled.dtype, dir: pulled.dir })}\n`);
  }
  return { dir: pulled.dir, dtype: pulled.dtype, hubIdentity: `${id.repo}@${pulled.commit}:${pulled.files.join(',')}` };
}

/** Whether `value` names an existing folder (false when it cannot be stat'ed). */
export function isDirectory(value: string): boolean {
  try {
    return statSync(value).isDirectory();
  } catch {
    return false;
  }
}
