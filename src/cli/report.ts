// `glm-vision report CATALOG`: validated flags in, an HTML page out.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UsageError } from '../support/errors.js';
import { isStdoutDash } from '../emit/sink.js';
import { writeReport, type ReportSummary } from '../report/build.js';
import { VERSION } from '../support/version.js';
import { fileSize, plural } from '../support/words.js';
import type { CliIO } from './io.js';
import { integer, positiveInt } from '../config/validate.js';

export interface ReportFlags {
  output?: string;
  base?: string;
  thumbSize: string;
  /** false with --no-thumbnails */
  thumbnails: boolean;
  concurrency: string;
  maxInputPixels: string;
  quiet?: boolean;
}

// In defaults.ts, which main.ts reads to build the options without loading this module.
export { REPORT_DEFAULTS } from './defaults.js';

const THUMB_MIN = 32;
const THUMB_MAX = 1024;

function thumbSize(value: string): number {
  return integer('--thumb-size', value, THUMB_MIN, `integer from ${THUMB_MIN} to ${THUMB_MAX}`, THUMB_MAX);
}

function baseFolder(flag: string | undefined, io: CliIO): string {
  if (flag === undefined) return io.cwd;
  const dir = path.resolve(io.cwd, flag);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`--base ${flag}: no such folder`);
  }
  if (!isDir) throw new UsageError(`--base ${flag}: not a folder`);
  return dir;
}

function summaryLine(s: ReportSummary, output: string | undefined, thumbnails: boolean): string {
  const parts = [plural(s.rows, 'row')];
  if (thumbnails) {
    parts.push(plural(s.thumbnails, 'thumbnail'), `${plural(s.missing, 'image')} missing`);
    if (s.unreadable) parts.push(`${plural(s.unreadable, 'image')} without preview`);
    if (s.changed) parts.push(`${plural(s.changed, 'image')} changed since cataloguing`);
  }
  return `glm-vision: report: ${parts.join(', ')}; wrote ${output ?? 'stdout'} (${fileSize(s.bytes)})\n`;
}

export async function reportCommand(catalog: string, flags: ReportFlags, io: CliIO): Promise<number> {
  const size = thumbSize(flags.thumbSize);
  const concurrency = positiveInt('--concurrency', flags.concurrency);
  const maxInputPixels = positiveInt('--max-input-pixels', flags.maxInputPixels);
  const base = baseFolder(flags.base, io);
  // An explicit `-o -` asks for the page on stdout, even on a terminal.
  if (flags.output === undefined && io.stdout.isTTY) {
    throw new UsageError('The report is a whole HTML page: write it to a file with -o report.html (or redirect stdout, or -o - for stdout)');
  }
  const output = isStdoutDash(flags.output) ? undefined : flags.output;
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => stop.abort(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary: ReportSummary;
  try {
    summary = await writeReport({
      catalog,
      base,
      output,
      thumbnails: flags.thumbnails ? { size, concurrency, maxInputPixels } : undefined,
      version: VERSION,
      now: new Date(),
      signal: stop.signal,
    }, io.stdout);
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    io.stderr.write(`glm-vision: ${String(stop.signal.reason)}: stopped; ${output !== undefined ? `${output} was not written` : 'the page on stdout is incomplete'}\n`);
    return ExitCode.interrupted;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!flags.quiet) {
    const hidden = summary.missing + summary.unreadable + summary.changed - summary.problems.length;
    for (const problem of summary.problems) io.stderr.write(`glm-vision: ${problem}\n`);
    if (hidden > 0) io.stderr.write(`glm-vision: and ${plural(hidden, 'more image problem', 'more image problems')} (the report marks each)\n`);
    if (flags.thumbnails && summary.missing > 0 && summary.missing === summary.rows - summary.errorRows) {
      io.stderr.write(`glm-vision: no image was found under ${base}: pass --base DIR, the folder the catalog run started in\n`);
    }
    io.stderr.write(summaryLine(summary, output, flags.thumbnails));
  }
  return 0;
}
