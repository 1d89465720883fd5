// `glm-vision review import FILE` and `glm-vision review export`: decisions made elsewhere (a
// spreadsheet, another machine) into the cache, and the cache's decisions out, in one form.
import os from 'node:os';
import path from 'node:path';
import { openExistingCache } from '../cache/existing.js';
import { loadJobs, resolveJobs } from '../cache/jobs.js';
import { wantsBom } from '../emit/bom.js';
import { isStdoutDash, outputSink, type Sink } from '../emit/sink.js';
import { readDecisionFile } from '../review-io/decision-file.js';
import { exportReviews } from '../review-io/export.js';
import { ImportPlanner, saveImport, type ImportCounts } from '../review-io/import.js';
import { ExitCode, UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
import type { ReviewExportFlags, ReviewImportFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { cachePath } from './cache.js';
import type { CliIO } from './io.js';

export type { ReviewExportFlags, ReviewImportFlags };

/** Problems listed in full before "and N more". */
const SHOWN_PROBLEMS = 20;

/** The user running the command: the reviewer of rows that name none. */
function osUser(io: CliIO): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry (a container): the environment's name, if any.
  }
  return io.env.USER ?? io.env.LOGNAME ?? 'unknown';
}

function describe(c: ImportCounts, dryRun: boolean): string {
  const counts = {
    count: c.accepted + c.edited + c.rejected, accepted: c.accepted, edited: c.edited, rejected: c.rejected,
    skipped: t('cli:reviewImport.skipped', { count: c.skipped }),
  };
  const lines = [t(dryRun ? 'cli:reviewImport.wouldImport' : 'cli:reviewImport.imported', counts)];
  if (c.unchanged) lines.push(t('cli:reviewImport.unchanged', { count: c.unchanged }));
  if (c.stale) lines.push(t('cli:reviewImport.stale', { count: c.stale }));
  return lines.map((l) => `glm-vision: ${l}\n`).join('');
}

export function reviewImportCommand(file: string, flags: ReviewImportFlags, io: CliIO): number {
  const cache = cachePath(flags, io);
  const decisions = readDecisionFile(path.resolve(io.cwd, file), file);
  const db = openExistingCache(cache);
  try {
    const jobs = loadJobs(db);
    const job = flags.job === undefined ? undefined : resolveJobs(jobs, [flags.job], cache)[0];
    const planner = new ImportPlanner(db, { jobs, job, reviewer: flags.reviewer ?? osUser(io), now: Date.now(), cwd: io.cwd });
    // Checked and saved in one write transaction: nothing changes between the two, and a problem saves nothing.
    const run = db.transaction(() => {
      const plan = planner.plan(decisions);
      if (plan.problems.length === 0 && !flags.dryRun) saveImport(db, plan);
      return plan;
    });
    const plan = flags.dryRun ? run.deferred() : run.immediate();
    if (plan.problems.length > 0) {
      const shown = plan.problems.slice(0, SHOWN_PROBLEMS).map((p) => `  ${p}`);
      if (plan.problems.length > SHOWN_PROBLEMS) shown.push(`  ${t('cli:reviewImport.more', { count: plan.problems.length - SHOWN_PROBLEMS })}`);
      throw new UsageError(t('cli:reviewImport.problems', { file, count: plan.problems.length, cache, problems: shown.join('\n') }));
    }
    if (!flags.quiet) io.stderr.write(describe(plan.counts, !!flags.dryRun));
    return ExitCode.ok;
  } finally {
    db.close();
  }
}

export async function reviewExportCommand(flags: ReviewExportFlags, io: CliIO): Promise<number> {
  const cache = cachePath(flags, io);
  const parsed = parseFlags('review export', flags);
  const toFile = flags.output !== undefined && !isStdoutDash(flags.output);
  const format = parsed.format ?? (toFile && path.extname(flags.output as string).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  const db = openExistingCache(cache);
  let sink: Sink | undefined;
  try {
    const jobs = loadJobs(db);
    const only = resolveJobs(jobs, flags.job, cache);
    sink = await outputSink(flags.output, io.stdout, { cwd: io.cwd });
    const count = await exportReviews(db, sink, { jobs, only, format, bom: wantsBom(flags.bom, sink) });
    await sink.commit();
    if (!flags.quiet) {
      const message = toFile ? t('cli:reviewExport.exportedTo', { count, cache, output: flags.output }) : t('cli:reviewExport.exported', { count, cache });
      io.stderr.write(`glm-vision: ${message}\n`);
    }
    return ExitCode.ok;
  } catch (error) {
    await sink?.discard();
    throw error;
  } finally {
    db.close();
  }
}
