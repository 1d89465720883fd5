// `glm-vision report CATALOG`: validated flags in, an HTML page (and its thumbnail folder) out.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UsageError } from '../support/errors.js';
import { isStdoutDash } from '../emit/sink.js';
import { writeReport, type ReportSummary } from '../report/build.js';
import { VERSION } from '../support/version.js';
import { currentLang, t } from '../i18n/index.js';
import { fileSize } from '../support/words.js';
import type { CliIO } from './io.js';
import type { ReportFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { trapInterrupts } from './signals.js';

export type { ReportFlags };

const say = (message: string): string => t('cli:error.prefix', { message });

export function baseFolder(flag: string | undefined, io: CliIO): string {
  if (flag === undefined) return io.cwd;
  const dir = path.resolve(io.cwd, flag);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(t('report:base.missing', { folder: flag }));
  }
  if (!isDir) throw new UsageError(t('report:base.notFolder', { folder: flag }));
  return dir;
}

function summaryLine(s: ReportSummary, output: string | undefined, thumbnails: boolean): string {
  // A list of counts, each its own phrase with its own plural.
  const parts = [s.rows === s.total ? t('report:summary.rows', { count: s.rows }) : t('report:summary.rowsOf', { shown: s.rows, count: s.total })];
  if (thumbnails) {
    parts.push(t('report:summary.thumbnails', { count: s.thumbnails }), t('report:summary.missing', { count: s.missing }));
    if (s.unreadable) parts.push(t('report:summary.unreadable', { count: s.unreadable }));
    if (s.changed) parts.push(t('report:summary.changed', { count: s.changed }));
  }
  const values = { parts: parts.join(t('report:summary.separator')), output: output ?? 'stdout', size: fileSize(s.bytes) };
  const line = s.folder
    ? t('report:summary.wroteWithFolder', { ...values, count: s.folder.files, folder: `${path.basename(s.folder.dir)}/`, folderSize: fileSize(s.folder.bytes) })
    : t('report:summary.wrote', values);
  return `${line}\n`;
}

export async function reportCommand(catalog: string, given: ReportFlags, io: CliIO): Promise<number> {
  const flags = parseFlags('report', given);
  const { thumbSize: size, concurrency, maxInputPixels } = flags;
  const base = baseFolder(flags.base, io);
  // An explicit `-o -` asks for the page on stdout, even on a terminal.
  if (flags.output === undefined && io.stdout.isTTY) {
    throw new UsageError(t('report:usage.terminal'));
  }
  const output = isStdoutDash(flags.output) ? undefined : flags.output;
  const { stop, release } = trapInterrupts();
  let summary: ReportSummary;
  try {
    summary = await writeReport({
      catalog,
      base,
      output,
      thumbnails: flags.thumbnails ? { size, concurrency, maxInputPixels } : undefined,
      place: flags.thumbnailsIn,
      selection: { only: flags.only, limit: flags.limit },
      version: VERSION,
      lang: currentLang(),
      now: new Date(),
      signal: stop,
    }, io.stdout);
  } catch (error) {
    if (!stop.aborted) throw error;
    const stopped = output !== undefined ? t('report:stopped.file', { signal: String(stop.reason), output }) : t('report:stopped.stdout', { signal: String(stop.reason) });
    io.stderr.write(`${say(stopped)}\n`);
    return ExitCode.interrupted;
  } finally {
    release();
  }
  if (!flags.quiet) {
    const hidden = summary.missing + summary.unreadable + summary.changed - summary.problems.length;
    for (const problem of summary.problems) io.stderr.write(`${say(problem)}\n`);
    if (hidden > 0) io.stderr.write(`${say(t('report:problem.more', { count: hidden }))}\n`);
    if (flags.thumbnails && summary.missing > 0 && summary.missing === summary.rows - summary.errorRows) {
      io.stderr.write(`${say(t('report:problem.noImages', { base }))}\n`);
    }
    io.stderr.write(summaryLine(summary, output, flags.thumbnails));
  }
  return 0;
}
