// Error kinds the CLI maps to exit codes. Expected errors never print a stack.
// Each class has a stable `code` (below) for scripts and logs: messages may be
// reworded, codes are not. A subclass elsewhere may set a finer code of its own
// (the openai backend's errors: rate_limit, timeout, …; ConfigurationError: auth, model, …).

/** The `code` of each class here. */
export const ErrorCode = {
  usage: 'usage',
  noInput: 'no_input',
  temporaryFailure: 'temporary_failure',
  fileFailure: 'file_failure',
  documentLimit: 'document_limit',
  transientFileFailure: 'transient_file_failure',
  unusableAnswer: 'unusable_answer',
} as const;

/** Bad flags, bad templates, bad configuration: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code: string = ErrorCode.usage;
}

/** An input path is missing or cannot be opened, or the inputs hold nothing to catalog: exit 66. */
export class NoInput extends Error {
  override name = 'NoInput';
  readonly code: string = ErrorCode.noInput;
}

/** Something outside our control stopped the whole run; cron may retry: exit 75. */
export class TemporaryFailure extends Error {
  override name = 'TemporaryFailure';
  readonly code: string = ErrorCode.temporaryFailure;
}

/** One file could not be processed; it becomes an error row and the run goes on. */
export class FileFailure extends Error {
  override name = 'FileFailure';
  readonly code: string = ErrorCode.fileFailure;
}

/**
 * A document went over a rendering limit (CPU time, memory): a failure of the
 * file itself under the current settings, not tried again with the same limits.
 */
export class DocumentLimit extends FileFailure {
  override name = 'DocumentLimit';
  override readonly code: string = ErrorCode.documentLimit;

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
export class TransientFileFailure extends FileFailure {
  // Its name stays 'FileFailure' (as shown to users); the code tells it apart.
  override readonly code: string = ErrorCode.transientFileFailure;
}

/** What the model said, as the row of an answer that could not be used keeps it. */
export interface RawReply {
  text: string;
  model: string;
  tokensIn: number | null;
  tokensOut: number | null;
  latencyMs: number | null;
}

/**
 * The model answered, twice, but not in a usable form (empty, not JSON, or failing the template's
 * schema): an error row that keeps the answer (raw_output), its model and tokens. Never cached.
 */
export class UnusableAnswer extends FileFailure {
  override name = 'UnusableAnswer';
  override readonly code: string = ErrorCode.unusableAnswer;

  constructor(message: string, readonly reply: RawReply) {
    super(message);
  }
}

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
