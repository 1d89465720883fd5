// The command line's entry. bin/ calls main(), which returns an exit code and
// never throws. `--version` is answered here, before the program (commander,
// every option and help text) is even loaded: scripts ask it often.
import type { CliIO } from './io.js';
import { VERSION } from '../support/version.js';

export async function main(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { runProgram } = await import('./program.js');
  return runProgram(argv, io);
}
