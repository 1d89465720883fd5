// The one line an error that ends a command prints, and whether it has been printed already: a
// catalog run tells its error before its summary, and the program must not tell it twice.
import { t } from '../i18n/index.js';
import { ExitCode, exitCodeFor } from '../support/errors.js';
import type { CliIO } from './io.js';

const told = new WeakSet<object>();

/** The exit code and the message (without its "glm-vision: ") for an error that ended a command. */
export function errorLine(error: unknown): { code: ExitCode; text: string } {
  const code = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  return { code, text: code === ExitCode.internal ? t('cli:error.internal', { message }) : message };
}

/** Prints the error now (with its stack under GLM_VISION_DEBUG, for internal errors) and remembers that it was. */
export function tellError(error: unknown, io: Pick<CliIO, 'stderr' | 'env'>): void {
  const { code, text } = errorLine(error);
  // The stack is for developers, as it is: no message of ours.
  if (code === ExitCode.internal && io.env.GLM_VISION_DEBUG) io.stderr.write(String((error as Error).stack ?? error) + '\n');
  io.stderr.write(`${t('cli:error.prefix', { message: text })}\n`);
  if (typeof error === 'object' && error !== null) told.add(error);
}

export function wasTold(error: unknown): boolean {
  return typeof error === 'object' && error !== null && told.has(error);
}
