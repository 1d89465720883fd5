// `glm-vision review [CATALOG…]`: the rows of catalogs (or of a cache job) on a page served on this
// machine, where a person accepts, edits or rejects each answer. Runs until Ctrl-C; every decision
// is in the cache the moment the page shows it as saved, so stopping loses nothing.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { openExistingCache } from '../cache/existing.js';
import { loadJobs, resolveJobs, shortFingerprint } from '../cache/jobs.js';
import { defaultCachePath } from '../cache/open.js';
import { ReviewStore } from '../cache/reviews.js';
import { langFromEnv } from '../config/constants.js';
import type { ReviewFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { latestJob, rowsOfJob } from '../review/cache-rows.js';
import { jobsOf, rowsOfCatalogs } from '../review/rows.js';
import { startReviewServer } from '../review/server.js';
import { DEFAULT_MAX_INPUT_PIXELS } from '../config/constants.js';
import { UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';
import { sharedSettings } from './config.js';
import type { CliIO } from './io.js';
import { baseFolder } from './report.js';
import { trapInterrupts } from './signals.js';

export type { ReviewFlags };

function userName(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    // No entry in the password database (some containers): the environment's name, if any.
    return env.USER || env.LOGNAME || 'unknown';
  }
}

/** Best effort: the URL is printed anyway. */
function openBrowser(url: string, io: CliIO): void {
  const [command, ...args] = process.platform === 'darwin' ? ['open'] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""'] : ['xdg-open'];
  const child = spawn(command as string, [...args, url], { detached: true, stdio: 'ignore' });
  child.on('error', (error) => io.stderr.write(`glm-vision: ${t('cli:review.noBrowser', { why: error.message })}\n`));
  child.unref();
}

function listening(port: number, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') throw new UsageError(t('cli:review.portInUse', { port }));
  if (code === 'EACCES') throw new UsageError(t('cli:review.portDenied', { port }));
  throw error;
}

export async function reviewCommand(catalogs: string[], given: ReviewFlags, io: CliIO): Promise<number> {
  const flags = parseFlags('review', given);
  const base = baseFolder(flags.base, io);
  const { cache } = sharedSettings(flags, ['cache'], io);
  const file = path.resolve(io.cwd, cache ?? defaultCachePath(io.env));
  const db = openExistingCache(file);
  try {
    const jobs = loadJobs(db);
    const job = flags.job === undefined ? undefined : resolveJobs(jobs, [flags.job], file)[0];
    const rows = catalogs.length > 0
      ? rowsOfCatalogs(catalogs.map((c) => path.resolve(io.cwd, c)), job)
      : rowsOfJob(db, job ?? latestJob(db, file));
    if (rows.length === 0) {
      if (catalogs.length === 0) throw new UsageError(t('cli:review.noAnswers', { file, job: shortFingerprint(job ?? latestJob(db, file)) }));
      const values = { catalogs: catalogs.join(', '), job: job && shortFingerprint(job) };
      throw new UsageError(job ? t('cli:review.noRowsOfJob', values) : t('cli:review.noRows', values));
    }
    for (const other of jobsOf(rows).filter((j) => !jobs.has(j))) {
      io.stderr.write(`glm-vision: ${t('cli:review.foreignJob', { job: shortFingerprint(other), file })}\n`);
    }
    const reviewer = flags.reviewer ?? userName(io.env);
    const title = catalogs.length > 0 ? catalogs.map((c) => path.basename(c)).join(', ') : t('cli:review.titleJob', { job: shortFingerprint(rows[0]?.job ?? '') });
    const server = await startReviewServer({
      rows, store: new ReviewStore(db), jobs: new Map([...jobs].map(([fp, j]) => [fp, j.schema])), base, reviewer,
      lang: flags.lang ?? langFromEnv(io.env), port: flags.port, title, maxInputPixels: DEFAULT_MAX_INPUT_PIXELS,
      onError: (error) => io.stderr.write(`glm-vision: ${t('cli:review.internal', { message: (error as Error).stack ?? String(error) })}\n`),
    }).catch((error: unknown) => listening(flags.port, error));
    // A second Ctrl-C while the server closes (a PDF page still rendering) ends the process at once.
    const { stop, release } = trapInterrupts({
      second: (signal) => {
        release();
        process.kill(process.pid, signal);
      },
    });
    try {
      io.stdout.write(`${server.url}\n`);
      io.stderr.write(`glm-vision: ${t('cli:review.serving', { count: rows.length, title, file, reviewer })}\n`);
      if (flags.open) openBrowser(server.url, io);
      await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    } finally {
      release();
      await server.close();
    }
    io.stderr.write(`glm-vision: ${t('cli:review.stopped', { signal: String(stop.reason), file })}\n`);
    return 0;
  } finally {
    db.close();
  }
}
