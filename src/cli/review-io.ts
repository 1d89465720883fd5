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
import { plural } from '../support/words.js';
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

function describe(c: ImportCounts, verb: string): string {
  const lines = [
    `${verb} ${plural(c.accepted + c.edited + c.rejected, 'decision')} (${c.accepted} accepted, ${c.edited} edited, ${c.rejected} rejected), ` +
      `skipped ${plural(c.skipped, 'unreviewed row')}`,
  ];
  if (c.unchanged) lines.push(`${plural(c.unchanged, 'row')} already in the cache as they are (left alone)`);
  if (c.stale) {
    lines.push(`${plural(c.stale, 'decision')} made on another answer than the cache holds now (the job was asked again?): only an edit applies to it`);
  }
  return lines.map((l) => `glm-vision: review import: ${l}\n`).join('');
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
      if (plan.problems.length > SHOWN_PROBLEMS) shown.push(`  and ${plan.problems.length - SHOWN_PROBLEMS} more`);
      throw new UsageError(`review import: ${file}: ${plural(plan.problems.length, 'problem')}; nothing was imported into ${cache}:\n${shown.join('\n')}`);
    }
    if (!flags.quiet) io.stderr.write(describe(plan.counts, flags.dryRun ? 'dry run: would import' : 'imported'));
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
    if (!flags.quiet) io.stderr.write(`glm-vision: review export: exported ${plural(count, 'decision')} from ${cache}${toFile ? ` to ${flags.output}` : ''}\n`);
    return ExitCode.ok;
  } catch (error) {
    await sink?.discard();
    throw error;
  } finally {
    db.close();
  }
}
