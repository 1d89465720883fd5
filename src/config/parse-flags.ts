// A command's option values checked and parsed by the option table's checks, once. Values from
// the environment or a config file were checked as they were read (naming their source); those
// from the command line are checked here, naming the flag.
import { runCheck } from './checks.js';
import { camel, type CommandName, type FlagsOf, type ParsedOf } from './option-spec.js';
import { optionsFor, type OPTIONS } from './options.js';

type Table = typeof OPTIONS;

export function parseFlags<C extends CommandName>(command: C, flags: FlagsOf<Table, C>): ParsedOf<Table, C> {
  const out: Record<string, unknown> = { ...flags };
  for (const { key, check } of optionsFor(command)) {
    const value = out[camel(key)];
    if (!check || (typeof value !== 'string' && !Array.isArray(value))) continue;
    const parse = (v: string): string | number => runCheck(check, `--${key}`, v);
    out[camel(key)] = Array.isArray(value) ? value.map((v: string) => parse(v)) : parse(value);
  }
  return out as ParsedOf<Table, C>;
}
