// `glm-vision batch export|import|submit|status|fetch`: the catalog's requests as OpenAI batch
// files, for vllm run-batch or a /files + /batches service, and their results into the cache.
import { authorization, splitCredentials, batchUrl, normalizeEndpoint } from '../backends/openai/index.js';
import { readFile, rm, mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchApi } from '../batch/batch-api.js';
import { fileSource, importResults, type ImportReport } from '../batch/import-results.js';
import { fetchFinished, refreshBatches } from '../batch/track.js';
import { BatchStore, FINISHED_STATUSES, type BatchRecord } from '../cache/batches.js';
import { openDatabase } from '../cache/open.js';
import { lockCache } from '../cache/run-lock.js';
import type { BatchExportFlags, BatchFetchFlags, BatchImportFlags, BatchStatusFlags, BatchSubmitFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { ExitCode, NoInput, TemporaryFailure, UsageError } from '../support/errors.js';
import { table } from '../support/text-table.js';
import { plural } from '../support/words.js';
import { cachePath } from './cache.js';
import { sharedSettings } from './config.js';
import { describeExport, exportRequests } from './batch-export.js';
import { apiKeyFrom } from './defaults.js';
import type { CliIO } from './io.js';

export type { BatchExportFlags, BatchFetchFlags, BatchImportFlags, BatchStatusFlags, BatchSubmitFlags };

/** Problems listed in full before "and N more". */
const SHOWN_PROBLEMS = 100;

const say = (io: CliIO, lines: string[]): void => {
  for (const line of lines) io.stderr.write(`glm-vision: ${line}\n`);
};

export async function batchExportCommand(paths: string[], given: BatchExportFlags, io: CliIO): Promise<ExitCode> {
  const flags = { ...parseFlags('batch export', given), setFrom: given.setFrom };
  const output = flags.output ?? 'requests.jsonl';
  if (output === '-') throw new UsageError('batch export writes files (-o FILE): a batch may need several');
  return exportRequests(paths, flags, io, { first: output, cwd: io.cwd }, async (exported) => {
    if (exported.interrupted) return ExitCode.interrupted;
    for (const f of exported.files) io.stdout.write(`${f.file}\n`);
    if (!flags.quiet || exported.counts.failed.length) say(io, describeExport(exported, 'batch export: wrote'));
    return exported.counts.failed.length ? ExitCode.someFailed : ExitCode.ok;
  });
}

function reportImport(io: CliIO, label: string, r: ImportReport, quiet: boolean): void {
  const lines = [
    `${label}: stored ${plural(r.stored, 'answer')}` + (r.truncated.length ? ` (${r.truncated.length} cut off at max_tokens, stored as truncated)` : '') +
      `, ${plural(r.problems.length, 'line')} failed, ${r.skipped} skipped (already in the cache)`,
  ];
  const listed = [...r.problems, ...r.truncated];
  for (const p of listed.slice(0, SHOWN_PROBLEMS)) lines.push(`  ${p}`);
  if (listed.length > SHOWN_PROBLEMS) lines.push(`  … and ${listed.length - SHOWN_PROBLEMS} more`);
  if (!quiet || r.problems.length) say(io, lines);
}

export async function batchImportCommand(files: string[], flags: BatchImportFlags, io: CliIO): Promise<ExitCode> {
  const cache = cachePath(flags, io);
  for (const file of files) {
    const found = await stat(path.resolve(io.cwd, file)).catch(() => undefined);
    if (!found?.isFile()) throw new NoInput(`Cannot read the result file ${file}: ${found ? 'not a file' : 'no such file'}; nothing was imported`);
  }
  const db = openDatabase(cache);
  const unlock = await lockCache(cache, 'wait', () => say(io, [`waiting for another glm-vision run to finish with the cache ${cache}`]));
  try {
    const report = await importResults(files.map((f) => fileSource(path.resolve(io.cwd, f), f)), db);
    reportImport(io, 'batch import', report, !!flags.quiet);
    return report.problems.length ? ExitCode.someFailed : ExitCode.ok;
  } finally {
    db.close();
    await unlock();
  }
}

/** The client of a batch service at `endpoint`: the key as for the online backend, or the user:password of a configured endpoint. */
function apiMaker(flags: { apiKey?: string; endpoint?: string[]; timeout: string | number }, io: CliIO): (endpoint: string) => BatchApi {
  const apiKey = apiKeyFrom(flags, io.env);
  const configured = (flags.endpoint ?? []).map((e) => splitCredentials(normalizeEndpoint(e)));
  const apis = new Map<string, BatchApi>();
  return (endpoint) => {
    let api = apis.get(endpoint);
    if (!api) {
      const target = configured.find((c) => c.url === endpoint) ?? { url: endpoint, username: '', password: '' };
      const auth = authorization(apiKey, target);
      const secrets = [apiKey, target.password].filter((s): s is string => !!s);
      api = new BatchApi({ url: endpoint, headers: auth === undefined ? {} : { authorization: auth }, timeoutMs: Number(flags.timeout) * 1000, secrets });
      apis.set(endpoint, api);
    }
    return api;
  };
}

export async function batchSubmitCommand(paths: string[], given: BatchSubmitFlags, io: CliIO): Promise<ExitCode> {
  const flags = { ...parseFlags('batch submit', given), setFrom: given.setFrom };
  const raw = flags.endpoint[0];
  if (raw === undefined || flags.endpoint.length > 1) {
    throw new UsageError('batch submit needs one --endpoint URL: the batch service, e.g. https://api.openai.com/v1 or https://open.bigmodel.cn/api/paas/v4');
  }
  const endpoint = splitCredentials(normalizeEndpoint(raw)).url;
  const api = apiMaker(flags, io)(endpoint);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glm-vision-batch-'));
  try {
    return await exportRequests(paths, flags, io, { first: 'requests.jsonl', cwd: dir }, async (exported, { batches }) => {
      if (exported.interrupted) return ExitCode.interrupted;
      const url = batchUrl(exported.flavor);
      const job = exported.counts.job;
      for (const [i, f] of exported.files.entries()) {
        const name = `glm-vision-${job.slice(0, 12)}-${Date.now()}-${i + 1}.jsonl`;
        const fileId = await api.upload(name, await readFile(path.join(dir, f.file)));
        // Recorded before the batch is created: a run cut off now is found again by batch status.
        batches.recordUpload(fileId, endpoint, name, f.customIds, Date.now());
        const created = await api.create(fileId, url, { glm_vision_job: job });
        batches.recordCreated(fileId, created.id, created.status, Date.now());
        io.stdout.write(`${created.id}\n`);
      }
      say(io, describeExport(exported, `batch submit: ${endpoint}: submitted`).slice(0, flags.quiet ? 0 : undefined));
      return exported.counts.failed.length ? ExitCode.someFailed : ExitCode.ok;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function cells(b: BatchRecord): string[] {
  const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
  return [
    b.id ?? `(file ${b.fileId})`, b.importedAt !== null && b.status !== 'lost' ? `${b.status}, imported` : b.status, String(b.requests),
    String(b.counts?.completed ?? '-'), String(b.counts?.failed ?? '-'), when(b.submittedAt), b.endpoint,
  ];
}

export async function batchStatusCommand(given: BatchStatusFlags, io: CliIO): Promise<ExitCode> {
  const flags = sharedSettings(given, ['cache', 'endpoint', 'apiKey'], io) as BatchStatusFlags & { endpoint?: string[] };
  const db = openDatabase(cachePath(flags, io));
  try {
    const store = new BatchStore(db);
    let exitCode: ExitCode = ExitCode.ok;
    let all: BatchRecord[];
    try {
      all = flags.offline ? store.all() : await refreshBatches(store, apiMaker(flags, io), Date.now);
    } catch (error) {
      if (!(error instanceof TemporaryFailure)) throw error;
      say(io, [`${error.message}; showing what the cache last heard`]);
      all = store.all();
      exitCode = ExitCode.tempFail;
    }
    if (flags.json) io.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else if (all.length === 0) io.stdout.write('no batches\n');
    else io.stdout.write(`${table(['BATCH', 'STATUS', 'REQUESTS', 'DONE', 'FAILED', 'SUBMITTED', 'ENDPOINT'], all.map(cells), new Set([2, 3, 4])).join('\n')}\n`);
    return exitCode;
  } finally {
    db.close();
  }
}

export async function batchFetchCommand(given: BatchFetchFlags, io: CliIO): Promise<ExitCode> {
  const flags = sharedSettings(given, ['cache', 'endpoint', 'apiKey'], io) as BatchFetchFlags & { endpoint?: string[] };
  const cache = cachePath(flags, io);
  const db = openDatabase(cache);
  const unlock = await lockCache(cache, 'wait', () => say(io, [`waiting for another glm-vision run to finish with the cache ${cache}`]));
  try {
    const store = new BatchStore(db);
    const apiFor = apiMaker(flags, io);
    const all = await refreshBatches(store, apiFor, Date.now);
    const fetched = await fetchFinished(db, store, all, apiFor, Date.now);
    let failed = false;
    for (const { batch, report } of fetched) {
      reportImport(io, `batch fetch: ${batch.id} (${batch.status})`, report, !!flags.quiet);
      if (report.problems.length || batch.status !== 'completed') failed = true;
    }
    const waiting = store.all().filter((b) => b.importedAt === null && !FINISHED_STATUSES.has(b.status));
    if (!flags.quiet || waiting.length) {
      say(io, [`batch fetch: imported ${plural(fetched.length, 'batch', 'batches')}; ${plural(waiting.length, 'batch', 'batches')} still running`]);
    }
    if (failed) return ExitCode.someFailed;
    return waiting.length ? ExitCode.tempFail : ExitCode.ok;
  } finally {
    db.close();
    await unlock();
  }
}
