// `glm-vision report CATALOG`: validated flags in, an HTML page (and its thumbnail folder) out.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UsageError } from '../support/errors.js';
import { isStdoutDash } from '../emit/sink.js';
import { writeReport, type ReportSummary } from '../report/build.js';
import { VERSION } from '../support/version.js';
import { fileSize, plural } from '../support/words.js';
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
    throw new UsageError(`--base ${flag}: no such folder`);
  }
  if (!isDir) throw new UsageError(`--base ${flag}: not a folder`);
  return dir;
}

function summaryLine(s: ReportSummary, output: string | undefined, thumbnails: boolean): string {
  const parts = [s.rows === s.total ? plural(s.rows, 'row') : `${s.rows} of ${plural(s.total, 'row')}`];
  if (thumbnails) {
    parts.push(plural(s.thumbnails, 'thumbnail'), `${plural(s.missing, 'image')} missing`);
    if (s.unreadable) parts.push(`${plural(s.unreadable, 'image')} without preview`);
    if (s.changed) parts.push(`${plural(s.changed, 'image')} changed since cataloguing`);
  }
  const folder = s.folder ? ` and ${plural(s.folder.files, 'thumbnail file')} in ${path.basename(s.folder.dir)}/ (${fileSize(s.folder.bytes)})` : '';
  return `glm-vision: report: ${parts.join(', ')}; wrote ${output ?? 'stdout'} (${fileSize(s.bytes)})${folder}\n`;
}

export async function reportCommand(catalog: string, given: ReportFlags, io: CliIO): Promise<number> {
  const flags = parseFlags('report', given);
  const { thumbSize: size, concurrency, maxInputPixels } = flags;
  const base = baseFolder(flags.base, io);
  // An explicit `-o -` asks for the page on stdout, even on a terminal.
  if (flags.output === undefined && io.stdout.isTTY) {
    throw new UsageError('The report is a whole HTML page: write it to a file with -o report.html (or redirect stdout, or -o - for stdout)');
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
    io.stderr.write(`glm-vision: ${String(stop.reason)}: stopped; ${output !== undefined ? `${output} was not written` : 'the page on stdout is incomplete'}\n`);
    return ExitCode.interrupted;
  } finally {
    release();
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
