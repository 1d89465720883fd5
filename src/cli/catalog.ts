// `glm-vision catalog`: turns validated flags into a job and runs it.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import type { Backend, GenerationParams } from '../backends/backend.js';
import { createOpenAIBackend, FLAVORS, type Flavor } from '../backends/openai/index.js';
import { createOnnxBackend, type Device } from '../backends/onnx/index.js';
import { DEFAULT_MODEL, resolveLocalModel } from '../models/resolve.js';
import { sha256, sha256File } from '../pipeline/hash.js';
import { OutputClosed } from '../emit/sink.js';
import { plural } from '../support/words.js';
import { newRunStats, writeMetrics, type MetricsFile, type RunStats } from '../pipeline/metrics.js';
import type { PageOptions } from '../pages/document.js';
import { openDatabase, defaultCachePath, isBusy } from '../cache/open.js';
import { lockCache, LOCK_MODES, type LockMode } from '../cache/run-lock.js';
import { CacheStore } from '../cache/store.js';
import { BACKENDS, DEVICES, LANGS } from '../config/defaults.js';
import { FORMATS, type Format } from '../emit/writers.js';
import { ExitCode, exitCodeFor, NoInput, TemporaryFailure, UsageError } from '../support/errors.js';
import { JPEG_QUALITY, type PreprocessOptions } from '../image/preprocess.js';
import { createProgress } from '../pipeline/progress.js';
import { langFromEnv, resolveTemplate } from '../prompt/library.js';
import { checkUnusedVariables, checkVariables, type Lang } from '../prompt/render.js';
import type { Template } from '../prompt/template.js';
import { runCatalog, type CatalogJob } from '../run.js';
import { planWalk, splitFileList } from '../pipeline/walk.js';
import { parsePages } from '../pages/select.js';
import { inShard, parseShard, shardOf } from '../pipeline/shard.js';
import type { CliIO } from './io.js';
import { apiKeyFrom, defaultBackend, defaultMaxPixels, defaultThreads, INFER_MODEL, ONNX_DEFAULT_MAX_PIXELS } from './defaults.js';
import {
  dpiFlag, dtypeFlag, httpUrl, keyValue, maxPixelsFlag, nonNegativeInt, numberIn, oneOf, positiveInt, renderCpuLimitFlag, renderMemoryFlag,
} from '../config/validate.js';
import { MIN_THREAD_MEMORY_MB } from '../pages/pdf-pool.js';

/** The raw option values commander hands over (strings, arrays, booleans). */
export interface CatalogFlags {
  filesFrom?: string;
  include: string[];
  exclude: string[];
  hidden?: boolean;
  shard?: string;
  followSymlinks?: boolean;
  prompt: string;
  lang?: string;
  question?: string;
  set: string[];
  temperature?: string;
  topP?: string;
  maxTokens?: string;
  seed?: string;
  backend?: string;
  dtype: string;
  device: string;
  threads?: string;
  batchSize: string;
  batchWaitMs: string;
  batchTokens: string;
  endpoint: string[];
  model?: string;
  apiKey?: string;
  flavor: string;
  concurrency: string;
  timeout: string;
  retries: string;
  maxPixels?: string;
  maxInputPixels: string;
  pages: string;
  dpi: string;
  maxPages: string;
  renderMemory?: string;
  renderCpuLimit?: string;
  groupPages?: boolean;
  output?: string;
  format?: string;
  bom?: boolean;
  cache?: string;
  refresh?: boolean;
  retryFailed?: boolean;
  lock: string;
  quiet?: boolean;
  allowEmpty?: boolean;
  metricsFile?: string;
  /** Where --set values came from when not the command line (a config file, GLM_VISION_SET). */
  setFrom?: string;
  /** --config FILE, or false for --no-config. */
  config?: string | false;
}


const GRACE_MS = 30_000;

// In defaults.ts, which `glm-vision config` and doctor use without loading this module.
export { apiKeyFrom, defaultBackend, defaultMaxPixels, defaultThreads, INFER_MODEL, ONNX_DEFAULT_MAX_PIXELS };

export type BackendKind = (typeof BACKENDS)[number];

/** The command line as recorded in the runs table: secrets replaced. */
export function redactArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--api-key') {
      out.push(a, '***');
      i++;
    } else if (a.startsWith('--api-key=')) {
      out.push('--api-key=***');
    } else {
      out.push(a);
    }
  }
  return out;
}

function outputFormat(flags: CatalogFlags): Format {
  if (flags.format) return oneOf('--format', flags.format, FORMATS);
  if (!flags.output || flags.output === '-') return 'jsonl';
  const ext = path.extname(flags.output).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  // A device, FIFO or /dev/fd/N has no extension to go by: like stdout.
  if (isSpecialFile(flags.output)) return 'jsonl';
  throw new UsageError(`Cannot tell the catalog format from ${flags.output}: name it .csv or .jsonl, or pass --format csv|jsonl|exiftool`);
}

function isSpecialFile(file: string): boolean {
  try {
    return !statSync(file).isFile();
  } catch {
    return false;
  }
}

async function inputPaths(paths: string[], flags: CatalogFlags, io: CliIO): Promise<string[]> {
  const all = [...paths];
  if (flags.filesFrom !== undefined) {
    let listing: string;
    try {
      listing = flags.filesFrom === '-' ? await text(io.stdin) : readFileSync(flags.filesFrom, 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read --files-from ${flags.filesFrom}: ${(error as Error).message}`);
    }
    all.push(...splitFileList(listing));
  }
  if (all.length === 0) throw new UsageError('Nothing to catalog: give files or folders, or --files-from FILE|-');
  return all;
}

/** The SHA-256 of a model file, remembered in the cache's file index between runs. */
function fileDigest(store: CacheStore): (file: string) => Promise<string> {
  return async (file) => {
    const st = statSync(file);
    const stamp = { path: path.resolve(file), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    const known = store.knownHash(stamp);
    if (known) return known;
    const sha = await sha256File(file);
    store.rememberHash(stamp, sha);
    return sha;
  };
}

function backendKind(flags: CatalogFlags): BackendKind {
  return oneOf('--backend', defaultBackend(flags.backend, flags.endpoint), BACKENDS);
}

async function makeBackend(
  kind: BackendKind, flags: CatalogFlags, io: CliIO, warn: (m: string) => void, image: PreprocessOptions, store: CacheStore, template: Template,
): Promise<Backend> {
  if (kind === 'onnx') {
    if (flags.endpoint.length) throw new UsageError('--endpoint is for --backend openai; the onnx backend runs the model in-process');
    const dtype = dtypeFlag(flags.dtype);
    const model = await resolveLocalModel(flags.model ?? template.model ?? DEFAULT_MODEL, {
      env: io.env, dtype, stderr: io.stderr, quiet: !!flags.quiet,
    });
    return createOnnxBackend({
      dir: model.dir,
      identity: model.hubIdentity,
      dtype: model.dtype ?? dtype,
      device: oneOf<Device>('--device', flags.device, DEVICES),
      threads: flags.threads ? positiveInt('--threads', flags.threads) : defaultThreads(),
      batchSize: positiveInt('--batch-size', flags.batchSize),
      batchWaitMs: nonNegativeInt('--batch-wait-ms', flags.batchWaitMs),
      batchTokens: positiveInt('--batch-tokens', flags.batchTokens),
      maxPixels: image.maxPixels,
      maxInputPixels: image.maxInputPixels,
      warn,
      digest: fileDigest(store),
    });
  }
  if (flags.endpoint.length === 0) throw new UsageError('--backend openai needs --endpoint URL, e.g. --endpoint http://localhost:8000/v1');
  const flavor = oneOf<Flavor>('--flavor', flags.flavor, FLAVORS);
  const model = flags.model ?? (flavor === 'infer' ? INFER_MODEL : undefined);
  if (!model) {
    throw new UsageError('--model NAME is required with --endpoint: the model name the server serves, e.g. --model zai-org/GLM-4.6V-Flash');
  }
  return createOpenAIBackend({
    endpoints: flags.endpoint.map((e) => httpUrl('--endpoint', e)),
    model,
    apiKey: apiKeyFrom(flags, io.env),
    flavor,
    concurrency: positiveInt('--concurrency', flags.concurrency),
    timeoutMs: numberIn('--timeout', flags.timeout, 0, 86_400, true) * 1000,
    retries: nonNegativeInt('--retries', flags.retries),
    warn,
    image,
  });
}

/** Where each template variable came from, for the message about one that no template uses. */
function variableOrigin(flags: CatalogFlags): (name: string) => string {
  return (name) => {
    if (name === 'question' && flags.question !== undefined) return '--question';
    const pair = flags.set.find((p) => p.startsWith(`${name}=`)) ?? `${name}=…`;
    return flags.setFrom ? `--set ${pair} (from ${flags.setFrom})` : `--set ${pair}`;
  };
}

/** The inputs as a person named them: for messages and the metrics' label. */
function inputsLabel(paths: string[], flags: CatalogFlags): string {
  const parts = [...paths, ...(flags.filesFrom !== undefined ? [`--files-from ${flags.filesFrom}`] : [])];
  const label = parts.join(' ');
  return label.length > 200 ? `${label.slice(0, 199)}…` : label;
}

/** The same inputs, walked the same way, on any night: what "the last run over these inputs" means. */
function inputsKey(inputs: string[], flags: CatalogFlags, cwd: string): string {
  const key = {
    inputs: inputs.map((p) => path.resolve(cwd, p)).sort(),
    include: flags.include, exclude: flags.exclude, hidden: !!flags.hidden, shard: flags.shard ?? null,
  };
  return sha256(Buffer.from(JSON.stringify(key)));
}

/** The folder must exist now, not only when the run ends hours later. */
function checkMetricsFile(file: string, cwd: string): string {
  const dir = path.dirname(path.resolve(cwd, file));
  let ok: boolean;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`Cannot write --metrics-file ${file}: the folder ${dir} does not exist`);
  return file;
}

export async function catalogCommand(paths: string[], flags: CatalogFlags, argv: string[], io: CliIO): Promise<ExitCode> {
  const stats = newRunStats(Date.now());
  const label = inputsLabel(paths, flags);
  const metrics = flags.metricsFile === undefined
    ? undefined
    : { file: checkMetricsFile(flags.metricsFile, io.cwd), inputs: label };
  let exitCode: ExitCode = ExitCode.internal;
  try {
    exitCode = await catalog(paths, label, flags, argv, io, stats);
    return exitCode;
  } catch (error) {
    exitCode = error instanceof OutputClosed ? ExitCode.ok : exitCodeFor(error);
    throw error;
  } finally {
    if (metrics) await saveMetrics(metrics, stats, exitCode, io);
  }
}

/** A run that worked but whose metrics cannot be written is a failure (74); a failed run keeps its own code. */
async function saveMetrics(target: MetricsFile, stats: RunStats, exitCode: ExitCode, io: CliIO): Promise<void> {
  try {
    await writeMetrics(target, stats, exitCode, Date.now());
  } catch (error) {
    if (exitCode === ExitCode.ok || exitCode === ExitCode.someFailed) throw error;
    io.stderr.write(`glm-vision: ${(error as Error).message}\n`);
  }
}

async function catalog(
  paths: string[], label: string, flags: CatalogFlags, argv: string[], io: CliIO, stats: RunStats,
): Promise<ExitCode> {
  const warn = (message: string): void => {
    if (!flags.quiet) io.stderr.write(`glm-vision: ${message}\n`);
  };
  const loud = (message: string): void => void io.stderr.write(`glm-vision: ${message}\n`);
  const lang: Lang = flags.lang ? oneOf('--lang', flags.lang, LANGS) : langFromEnv(io.env);
  const template = resolveTemplate(flags.prompt, lang);
  const variables: Record<string, string> = {};
  for (const pair of flags.set) {
    const [k, v] = keyValue('--set', pair);
    variables[k] = v;
  }
  if (flags.question !== undefined) variables.question = flags.question;
  checkVariables(template, variables);
  checkUnusedVariables(template, variables, variableOrigin(flags));

  const generation: GenerationParams = {
    maxTokens: flags.maxTokens ? positiveInt('--max-tokens', flags.maxTokens) : template.maxTokens,
    temperature: flags.temperature ? numberIn('--temperature', flags.temperature, 0, 2) : template.temperature,
    topP: flags.topP ? numberIn('--top-p', flags.topP, 0, 1, true) : template.topP,
    seed: flags.seed ? nonNegativeInt('--seed', flags.seed) : undefined,
  };
  const kind = backendKind(flags);
  const preprocess: PreprocessOptions = {
    maxPixels: flags.maxPixels ? maxPixelsFlag('--max-pixels', flags.maxPixels) : defaultMaxPixels(kind),
    maxInputPixels: positiveInt('--max-input-pixels', flags.maxInputPixels),
    jpegQuality: JPEG_QUALITY,
  };
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  const toStdout = flags.output === undefined || flags.output === '-';
  const walkOptions = { include: flags.include, exclude: flags.exclude, hidden: !!flags.hidden, followSymlinks: !!flags.followSymlinks };
  const pages: PageOptions = {
    pages: parsePages(flags.pages),
    dpi: dpiFlag('--dpi', flags.dpi),
    maxPages: positiveInt('--max-pages', flags.maxPages),
    maxPixels: preprocess.maxPixels,
    maxInputPixels: preprocess.maxInputPixels,
    ...(flags.renderMemory !== undefined ? { renderMemoryMb: renderMemoryFlag('--render-memory', flags.renderMemory, MIN_THREAD_MEMORY_MB) } : {}),
    ...(flags.renderCpuLimit !== undefined ? { renderCpuLimitS: renderCpuLimitFlag('--render-cpu-limit', flags.renderCpuLimit) } : {}),
    // What the PDF libraries print, with the file's name; nothing under -q.
    onWarning: (file, message) => warn(`${file}: PDF reader: ${message}`),
  };
  const output = { ...(toStdout ? {} : { file: flags.output }), format: outputFormat(flags), bom: !!flags.bom };
  const inputs = await inputPaths(paths, flags, io);
  const lockMode = oneOf<LockMode>('--lock', flags.lock, LOCK_MODES);
  const dbPath = flags.cache ?? defaultCachePath(io.env);
  const store = new CacheStore(openDatabase(dbPath));
  let backend: Backend;
  let job: CatalogJob;
  let unlock: () => Promise<void> = async () => undefined;
  try {
    unlock = await lockCache(dbPath, lockMode, () => warn(`waiting for another glm-vision run to finish with the cache ${dbPath}`));
    // Walked before the model is loaded or a request sent: a missing or empty input ends the run here.
    const unreadable: CatalogJob['unreadable'] = [];
    const walk = await planWalk(inputs, {
      ...walkOptions,
      onSkip: (p, why) => warn(`skipping ${p}: ${why}`),
      onUnreadable: (dir, reason) => void unreadable.push({ dir, reason }),
    });
    // The first pass counts (names only); the run streams the second.
    const found = await walk.count(shard ? (rel) => inShard(rel, shard) : undefined);
    stats.unreadableFolders = unreadable.length;
    if (found.found === 0 && !flags.allowEmpty) throw new NoInput(nothingFound(label, flags, unreadable.length));
    job = {
      files: shard ? shardOf(walk.files(), shard) : walk.files(),
      expectedFiles: found.kept,
      unreadable,
      inputsKey: inputsKey(inputs, flags, io.cwd),
      inputsLabel: label,
      template,
      lang,
      variables,
      generation,
      preprocess,
      refresh: !!flags.refresh,
      retryFailed: !!flags.retryFailed,
      output,
      args: redactArgs(argv),
      graceMs: GRACE_MS,
      pages,
      groupPages: !!flags.groupPages,
    };
    backend = await makeBackend(kind, flags, io, warn, job.preprocess, store, template);
  } catch (error) {
    await unlock();
    store.close();
    throw error;
  }
  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      const keep = toStdout ? '' : `; ${output.file} is left as it was`;
      warn(`${signal}: finishing requests in flight (up to ${GRACE_MS / 1000} s), then saving them to the cache${keep}; press Ctrl-C again to stop now`);
      stop.abort(signal);
    } else {
      abort.abort(signal);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { exitCode } = await runCatalog(job, {
      backend, store, stdout: io.stdout, warn, loud, stats,
      progress: createProgress(io.stderr, !!flags.quiet),
      stop: stop.signal, abort: abort.signal,
    });
    return exitCode;
  } catch (error) {
    if (isBusy(error)) throw new TemporaryFailure(`The cache is locked by another process: ${(error as Error).message}`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.close();
    store.close();
    await unlock();
  }
}

function nothingFound(label: string, flags: CatalogFlags, unreadable: number): string {
  const why = [
    ...(flags.include.length || flags.exclude.length ? ['--include/--exclude may leave nothing'] : []),
    ...(unreadable ? [`${plural(unreadable, 'folder')} could not be read`] : []),
  ];
  return `found no image or PDF in ${label}${why.length ? ` (${why.join('; ')})` : ''}; is a share unmounted? ` +
    'Nothing was written. Pass --allow-empty if an empty catalog is what you want.';
}
