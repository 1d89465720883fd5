// The words of --help, in the language of this command line (runProgram's withLang): commander's
// headings and each command's texts from the `commands` catalog, each option's from `options`.
import { optionHelp } from '../config/option-help.js';
import type { OptionSpec } from '../config/option-spec.js';
import { t, type MessageKey, type MessageValues } from '../i18n/index.js';
import commands from '../i18n/en/commands.js';

export interface HelpText {
  /** commands:<key>, e.g. `catalog.description`, `help.usage`, `exitCodes.catalog.66`. */
  command(key: string, vars?: MessageValues): string;
  /** The help of a table entry, or of its --no- form. */
  option(o: OptionSpec, negated?: boolean): string;
  /** A command's exit codes (commands:exitCodes.<which>.<code>), in order. */
  exitCodes(which: 'catalog' | 'doctor' | 'batch'): [code: string, meaning: string][];
}

export const helpText: HelpText = {
  command: (key, vars) => t(`commands:${key}` as MessageKey, vars),
  option: (o, negated = false) => optionHelp(o, negated),
  exitCodes: (which) => Object.keys(commands)
    .filter((key) => key.startsWith(`exitCodes.${which}.`))
    .map((key) => [key.slice(`exitCodes.${which}.`.length), t(`commands:${key}` as MessageKey)]),
};
