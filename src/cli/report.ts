// `glm-vision report CATALOG`: validated flags in, an HTML page (and its thumbnail folder) out.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UsageError } from '../support/errors.js';
import { isStdoutDash } from '../emit/sink.js';
import { writeReport, type ReportSummary } from '../report/build.js';
import { VERSION } from '../support/version.js';
import { fileSize } from '../support/words.js';
import { t } from '../i18n/index.js';
import type { CliIO } from './io.js';
import type { ReportFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { trapInterrupts } from './signals.js';

export type { ReportFlags };

export function baseFolder(flag: string | undefined, io: CliIO): string {
  if (flag === undefined) return io.cwd;
  const dir = path.resolve(io.cwd, flag);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(t('cli:report.noBase', { dir: flag }));
  }
  if (!isDir) throw new UsageError(t('cli:report.baseNotFolder', { dir: flag }));
  return dir;
}

function summaryLine(s: ReportSummary, output: string | undefined, thumbnails: boolean): string {
  const parts = [s.rows === s.total ? t('cli:report.rows', { count: s.rows }) : t('cli:report.rowsOf', { shown: s.rows, count: s.total })];
  if (thumbnails) {
    parts.push(t('cli:report.thumbnails', { count: s.thumbnails }), t('cli:report.missing', { count: s.missing }));
    if (s.unreadable) parts.push(t('cli:report.unreadable', { count: s.unreadable }));
    if (s.changed) parts.push(t('cli:report.changed', { count: s.changed }));
  }
  const values = { parts: parts.join(t('cli:list.separator')), output: output ?? t('cli:report.stdout'), size: fileSize(s.bytes) };
  const message = s.folder
    ? t('cli:report.summaryFolder', { ...values, count: s.folder.files, dir: path.basename(s.folder.dir), folderSize: fileSize(s.folder.bytes) })
    : t('cli:report.summary', values);
  return `${t('cli:error.prefix', { message })}\n`;
}

export async function reportCommand(catalog: string, given: ReportFlags, io: CliIO): Promise<number> {
  const flags = parseFlags('report', given);
  const { thumbSize: size, concurrency, maxInputPixels } = flags;
  const base = baseFolder(flags.base, io);
  // An explicit `-o -` asks for the page on stdout, even on a terminal.
  if (flags.output === undefined && io.stdout.isTTY) {
    throw new UsageError(t('cli:report.toTerminal'));
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
      now: new Date(),
      signal: stop,
    }, io.stdout);
  } catch (error) {
    if (!stop.aborted) throw error;
    const signal = String(stop.reason);
    const message = output !== undefined ? t('cli:report.stoppedFile', { signal, file: output }) : t('cli:report.stoppedStdout', { signal });
    io.stderr.write(`${t('cli:error.prefix', { message })}\n`);
    return ExitCode.interrupted;
  } finally {
    release();
  }
  if (!flags.quiet) {
    const hidden = summary.missing + summary.unreadable + summary.changed - summary.problems.length;
    for (const problem of summary.problems) io.stderr.write(`glm-vision: ${problem}\n`);
    if (hidden > 0) io.stderr.write(`${t('cli:error.prefix', { message: t('cli:report.moreProblems', { count: hidden }) })}\n`);
    if (flags.thumbnails && summary.missing > 0 && summary.missing === summary.rows - summary.errorRows) {
      io.stderr.write(`${t('cli:error.prefix', { message: t('cli:report.noImages', { dir: base }) })}\n`);
    }
    io.stderr.write(summaryLine(summary, output, flags.thumbnails));
  }
  return 0;
}
