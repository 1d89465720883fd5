// Error kinds the CLI maps to exit codes. Expected errors never print a stack.

/** Bad flags, bad templates, bad configuration: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Something outside our control stopped the whole run; cron may retry: exit 75. */
export class TemporaryFailure extends Error {
  override name = 'TemporaryFailure';
}

/** One file could not be processed; it becomes an error row and the run goes on. */
export class FileFailure extends Error {
  override name = 'FileFailure';
}

export const ExitCode = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  tempFail: 75,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an error that ended a run. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof TemporaryFailure) return ExitCode.tempFail;
  return ExitCode.someFailed;
}
