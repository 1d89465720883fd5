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
import { t } from '../i18n/index.js';
import { cachePath } from './cache.js';
import { sharedSettings } from './config.js';
import { describeExport, exportRequests } from './batch-export.js';
import { apiKeyFrom } from './defaults.js';
import type { CliIO } from './io.js';

export type { BatchExportFlags, BatchFetchFlags, BatchImportFlags, BatchStatusFlags, BatchSubmitFlags };

const HEADERS = [
  'batch:header.batch', 'batch:header.status', 'batch:header.requests', 'batch:header.done', 'batch:header.failed', 'batch:header.submitted',
  'batch:header.endpoint',
] as const;

/** The table's columns of counts, right-aligned. */
const NUMBERS = new Set([2, 3, 4]);

/** Problems listed in full before "and N more". */
const SHOWN_PROBLEMS = 100;

const say = (io: CliIO, lines: string[]): void => {
  for (const line of lines) io.stderr.write(`glm-vision: ${line}\n`);
};

export async function batchExportCommand(paths: string[], given: BatchExportFlags, io: CliIO): Promise<ExitCode> {
  const flags = { ...parseFlags('batch export', given), setFrom: given.setFrom };
  const output = flags.output ?? 'requests.jsonl';
  if (output === '-') throw new UsageError(t('batch:export.stdout'));
  return exportRequests(paths, flags, io, { first: output, cwd: io.cwd }, async (exported) => {
    if (exported.interrupted) return ExitCode.interrupted;
    for (const f of exported.files) io.stdout.write(`${f.file}\n`);
    if (!flags.quiet || exported.counts.failed.length) say(io, describeExport(exported));
    return exported.counts.failed.length ? ExitCode.someFailed : ExitCode.ok;
  });
}

function reportImport(io: CliIO, label: string, r: ImportReport, quiet: boolean): void {
  const lines = [
    t('batch:import.report', {
      label, answers: t('batch:import.answers', { count: r.stored }),
      truncated: r.truncated.length ? t('batch:import.truncated', { count: r.truncated.length }) : '',
      failed: t('batch:import.lines', { count: r.problems.length }), skipped: r.skipped,
    }),
  ];
  const listed = [...r.problems, ...r.truncated];
  for (const p of listed.slice(0, SHOWN_PROBLEMS)) lines.push(`  ${p}`);
  if (listed.length > SHOWN_PROBLEMS) lines.push(t('batch:more', { count: listed.length - SHOWN_PROBLEMS }));
  if (!quiet || r.problems.length) say(io, lines);
}

export async function batchImportCommand(files: string[], flags: BatchImportFlags, io: CliIO): Promise<ExitCode> {
  const cache = cachePath(flags, io);
  for (const file of files) {
    const found = await stat(path.resolve(io.cwd, file)).catch(() => undefined);
    if (!found?.isFile()) throw new NoInput(t(found ? 'batch:import.no_file' : 'batch:import.missing_file', { file }));
  }
  const db = openDatabase(cache);
  const unlock = await lockCache(cache, 'wait', () => say(io, [t('batch:export.waiting', { cache })]));
  try {
    const report = await importResults(files.map((f) => fileSource(path.resolve(io.cwd, f), f)), db);
    reportImport(io, t('batch:import.label'), report, !!flags.quiet);
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
    throw new UsageError(t('batch:submit.endpoint'));
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
      say(io, describeExport(exported, endpoint).slice(0, flags.quiet ? 0 : undefined));
      return exported.counts.failed.length ? ExitCode.someFailed : ExitCode.ok;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function cells(b: BatchRecord): string[] {
  const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
  return [
    b.id ?? t('batch:status.file', { id: b.fileId }), b.importedAt !== null && b.status !== 'lost' ? t('batch:status.imported', { status: b.status }) : b.status, String(b.requests),
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
      say(io, [t('batch:status.stale', { error: error.message })]);
      all = store.all();
      exitCode = ExitCode.tempFail;
    }
    if (flags.json) io.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else if (all.length === 0) io.stdout.write(`${t('batch:status.none')}\n`);
    else io.stdout.write(`${table(HEADERS.map((h) => t(h)), all.map(cells), NUMBERS).join('\n')}\n`);
    return exitCode;
  } finally {
    db.close();
  }
}

export async function batchFetchCommand(given: BatchFetchFlags, io: CliIO): Promise<ExitCode> {
  const flags = sharedSettings(given, ['cache', 'endpoint', 'apiKey'], io) as BatchFetchFlags & { endpoint?: string[] };
  const cache = cachePath(flags, io);
  const db = openDatabase(cache);
  const unlock = await lockCache(cache, 'wait', () => say(io, [t('batch:export.waiting', { cache })]));
  try {
    const store = new BatchStore(db);
    const apiFor = apiMaker(flags, io);
    const all = await refreshBatches(store, apiFor, Date.now);
    const fetched = await fetchFinished(db, store, all, apiFor, Date.now);
    let failed = false;
    for (const { batch, report } of fetched) {
      reportImport(io, t('batch:fetch.label', { id: batch.id, status: batch.status }), report, !!flags.quiet);
      if (report.problems.length || batch.status !== 'completed') failed = true;
    }
    const waiting = store.all().filter((b) => b.importedAt === null && !FINISHED_STATUSES.has(b.status));
    if (!flags.quiet || waiting.length) {
      say(io, [t('batch:fetch.summary', { imported: t('batch:fetch.batches', { count: fetched.length }), running: t('batch:fetch.batches', { count: waiting.length }) })]);
    }
    if (failed) return ExitCode.someFailed;
    return waiting.length ? ExitCode.tempFail : ExitCode.ok;
  } finally {
    db.close();
    await unlock();
  }
}
