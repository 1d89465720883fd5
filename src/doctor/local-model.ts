// The local engine's model: a folder that loads, or a Hugging Face id that
// is complete in the shared cache for some dtype. Nothing is downloaded.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { completeDtypes, loadModelDir, pickDtype } from '../models/model-dir.js';
import { hubCacheDir, isOffline, parseHubId, RepoCache } from '../models/hub-cache.js';
import { isDirectory } from '../models/resolve.js';
import { t } from '../i18n/index.js';
import { fail, ok, warn, type CheckResult } from './check.js';

const NAME = 'local model';

export interface LocalModelOptions {
  /** --model, or DEFAULT_MODEL (with endpoints --model names the server's model, so only a folder is passed on). */
  model: string;
  /** Whether `model` is a folder, when the caller has already looked; undefined: look here. */
  folder?: boolean;
  /** --endpoint was given: catalog runs use the server, so a missing local model is only a warning. */
  endpoints: boolean;
  env: NodeJS.ProcessEnv;
}

export function checkLocalModel(options: LocalModelOptions): CheckResult {
  const { model, endpoints } = options;
  const unused = (detail: string): string => (endpoints ? t('doctor:model.unused', { detail }) : detail);
  if (options.folder ?? isDirectory(model)) return checkFolder(model, unused);
  const id = parseHubId(model);
  if (!id) return fail(NAME, t('doctor:model.not_an_id', { model }), t('doctor:model.not_an_id.fix'));
  const cacheDir = hubCacheDir(options.env);
  const cache = new RepoCache(cacheDir, id.repo);
  const commit = cache.commitFor(id.revision);
  const present = commit === undefined ? new Set<string>() : cache.files(commit);
  const complete = completeDtypes([...present]);
  const label = `${id.repo}@${id.revision}`;
  if (commit !== undefined && complete.length > 0) {
    const dir = cache.snapshot(commit);
    const { modelType, problem } = tryLoad(dir);
    if (problem !== undefined) {
      return (endpoints ? warn : fail)(NAME, unused(t('doctor:model.broken', { label, commit: commit.slice(0, 8), problem })),
        t('doctor:model.broken.fix', { repo: id.repo, model }));
    }
    return ok(NAME, unused(t('doctor:model.cached', { label, commit: commit.slice(0, 8), cache: cacheDir, type: modelType, dtypes: complete.join(', ') })));
  }
  const what = !cache.exists()
    ? t('doctor:model.not_cached', { label, cache: cacheDir })
    : commit === undefined
      ? t('doctor:model.unresolved', { label, cache: cacheDir, revision: id.revision, ref: id.revision })
      : t('doctor:model.incomplete', { label, cache: cacheDir });
  if (isOffline(options.env)) {
    const fix = t('doctor:model.offline.fix', { model });
    return endpoints ? warn(NAME, unused(what), fix) : fail(NAME, what, fix);
  }
  const fix = t('doctor:model.pull.fix', { model });
  if (endpoints) return warn(NAME, unused(what), fix);
  return fail(NAME, t('doctor:model.download', { detail: what }), fix);
}

function checkFolder(dir: string, unused: (detail: string) => string): CheckResult {
  const complete = completeDtypes(listFiles(dir));
  const { modelType, problem } = tryLoad(dir);
  if (complete.length === 0) {
    const detail = problem === undefined ? t('doctor:model.folder_incomplete', { dir }) : t('doctor:model.folder_problem', { dir, problem });
    return fail(NAME, detail, t('doctor:model.folder_incomplete.fix'));
  }
  if (problem !== undefined) return fail(NAME, t('doctor:model.folder_problem', { dir, problem }), t('doctor:model.folder_problem.fix'));
  return ok(NAME, unused(t('doctor:model.folder_ok', { dir, type: modelType, dtypes: complete.join(', ') })));
}

/** Reads the folder as the engine would (configs and graph files, no weights): its model type, or why it fails. */
function tryLoad(dir: string): { modelType?: string; problem?: string } {
  try {
    return { modelType: loadModelDir(dir, pickDtype(dir, 'auto')).modelType };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** The files a model folder's dtypes are made of: its top level and onnx/. */
function listFiles(dir: string): string[] {
  const list = (sub: string): string[] => {
    try {
      return readdirSync(path.join(dir, sub), { withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => (sub ? `${sub}/${e.name}` : e.name));
    } catch {
      return [];
    }
  };
  return [...list(''), ...list('onnx')];
}
