// The local engine's model: a folder that loads, or a Hugging Face id that
// is complete in the shared cache for some dtype. Nothing is downloaded.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { completeDtypes, loadModelDir, pickDtype } from '../models/model-dir.js';
import { hubCacheDir, isOffline, parseHubId, RepoCache } from '../models/hub-cache.js';
import { isDirectory } from '../models/resolve.js';
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
  const unused = endpoints ? ' (only used without --endpoint)' : '';
  if (options.folder ?? isDirectory(model)) return checkFolder(model, unused);
  const id = parseHubId(model);
  if (!id) {
    return fail(NAME, `${model}: no such folder, and not a Hugging Face model id (org/name or org/name@revision)`,
      'give --model a model folder or a Hugging Face id, e.g. --model onnx-community/Qwen2-VL-2B-Instruct');
  }
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
      return (endpoints ? warn : fail)(NAME, `${label} (commit ${commit.slice(0, 8)}) is in the cache but does not load: ${problem}${unused}`,
        `pull it again: glm-vision models rm ${id.repo} && glm-vision models pull ${model}`);
    }
    return ok(NAME, `${label} (commit ${commit.slice(0, 8)}) in ${cacheDir}: ${modelType}, complete for --dtype ${complete.join(', ')}${unused}`);
  }
  const what = !cache.exists()
    ? `${label} is not in the Hugging Face cache at ${cacheDir}`
    : commit === undefined
      ? `${label} is in the Hugging Face cache at ${cacheDir}, but revision ${id.revision} was never resolved there (no refs/${id.revision})`
      : `${label} is incomplete in the Hugging Face cache at ${cacheDir}: no dtype has all its files`;
  const pull = `glm-vision models pull ${model}`;
  if (isOffline(options.env)) {
    const fix = `HF_HUB_OFFLINE is set: run ${pull} where the Hub is reachable and copy the cache folder here (or point HF_HUB_CACHE at one that has it)`;
    return endpoints ? warn(NAME, `${what}${unused}`, fix) : fail(NAME, what, fix);
  }
  const fix = `${pull} (or point HF_HUB_CACHE at a cache that has it)`;
  if (endpoints) return warn(NAME, `${what}${unused}`, fix);
  return fail(NAME, `${what}; the first catalog run would download it`, fix);
}

function checkFolder(dir: string, unused: string): CheckResult {
  const complete = completeDtypes(listFiles(dir));
  const { modelType, problem } = tryLoad(dir);
  if (complete.length === 0) {
    return fail(NAME, `folder ${dir}: ${problem ?? 'no dtype has all its files'}`,
      'give --model a folder in the transformers.js layout (config.json, tokenizer files, onnx/*.onnx), or a Hugging Face id');
  }
  if (problem !== undefined) return fail(NAME, `folder ${dir}: ${problem}`, 'repair or re-export the model folder, or use a Hugging Face id');
  return ok(NAME, `folder ${dir}: ${modelType}, complete for --dtype ${complete.join(', ')}${unused}`);
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
