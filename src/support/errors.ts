// Error kinds the CLI maps to exit codes. Expected errors never print a stack.

/** Bad flags, bad templates, bad configuration: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An input path is missing or cannot be opened, or the inputs hold nothing to catalog: exit 66. */
export class NoInput extends Error {
  override name = 'NoInput';
}

/** Something outside our control stopped the whole run; cron may retry: exit 75. */
export class TemporaryFailure extends Error {
  override name = 'TemporaryFailure';
}

/** One file could not be processed; it becomes an error row and the run goes on. */
export class FileFailure extends Error {
  override name = 'FileFailure';
}

/**
 * A document went over a rendering limit (CPU time, memory): a failure of the
 * file itself under the current settings, not tried again with the same limits.
 */
export class DocumentLimit extends FileFailure {
  override name = 'DocumentLimit';

  constructor(
    message: string,
    /** Which limit: the flag that raises it is --render-cpu-limit or --render-memory; 'stall' is the hang backstop. */
    readonly limit: 'cpu' | 'memory' | 'stall',
  ) {
    super(message);
  }
}

/**
 * A file failed, but not for a reason of its own that would come back (say, its renderer was
 * stopped under it by another file): an error row this run, never remembered by the cache, so
 * the next run tries the file again. Any other FileFailure met while opening or rendering a
 * document is remembered (see `remembered` in run.ts).
 */
export class TransientFileFailure extends FileFailure {}

/** The documented exit codes (sysexits.h where one fits). */
export const ExitCode = {
  ok: 0,
  /** Some rows failed or were cut off at --max-tokens, or a folder could not be read. */
  someFailed: 1,
  usage: 2,
  noInput: 66,
  internal: 70,
  cantWrite: 74,
  tempFail: 75,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an error that ended a command; `main` prints it and the runs table records it. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof NoInput) return ExitCode.noInput;
  if (error instanceof TemporaryFailure) return ExitCode.tempFail;
  // By name: the output errors live with the sinks, which this module must not import.
  if (error instanceof Error && error.name === 'OutputError') return ExitCode.cantWrite;
  return ExitCode.internal;
}
