// The words of --help in the user's language: --lang on the command line, else the locale
// (LC_ALL, LC_MESSAGES, LANG), else English. Options' help comes from i18n/<lang>/options.ts,
// everything else --help says from i18n/<lang>/commands.ts; a key a language lacks falls back to English.
import { langFromEnv } from '../config/constants.js';
import type { Lang } from '../prompt/render.js';
import { helpCommandOf, type OptionSpec } from '../config/option-spec.js';
import enCommands from '../i18n/en/commands.js';
import enOptions from '../i18n/en/options.js';
import zhCommands from '../i18n/zh/commands.js';
import zhOptions from '../i18n/zh/options.js';

type Tree = { readonly [key: string]: string | Tree | readonly string[] };

const CATALOGS: Record<Lang, { commands: Tree; options: Tree }> = {
  en: { commands: enCommands, options: enOptions },
  zh: { commands: zhCommands as Tree, options: zhOptions as Tree },
};

/** --lang as given anywhere before `--` (checked by the command that has it), else the locale. */
export function helpLang(argv: readonly string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const arg = argv[i] as string;
    const value = arg === '--lang' ? argv[i + 1] : arg.startsWith('--lang=') ? arg.slice('--lang='.length) : undefined;
    if (value === 'zh' || value === 'en') return value;
  }
  return langFromEnv(env);
}

function lookup(tree: Tree, path: readonly string[]): string | undefined {
  let node: Tree | string | readonly string[] | undefined = tree;
  for (const part of path) node = typeof node === 'object' && !Array.isArray(node) ? (node as Tree)[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

const fill = (text: string, vars: Record<string, string>): string => text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);

export interface HelpText {
  readonly lang: Lang;
  /** commands:<command>.<what>, e.g. `catalog.description`, `help.usage`, `exitCodes.catalog.66`. */
  command(key: string, vars?: Record<string, string>): string;
  /** The help of a table entry, or of its --no- form. */
  option(o: OptionSpec, negated?: boolean): string;
  /** A command's exit codes (commands:exitCodes.<which>), in order. */
  exitCodes(which: 'catalog' | 'doctor' | 'batch'): [code: string, meaning: string][];
}

export function helpText(lang: Lang): HelpText {
  const find = (ns: 'commands' | 'options', path: string[]): string => {
    const text = lookup(CATALOGS[lang][ns], path) ?? lookup(CATALOGS.en[ns], path);
    if (text === undefined) throw new Error(`no ${ns} text ${path.join('.')}`);
    return text;
  };
  return {
    lang,
    command: (key, vars = {}) => fill(find('commands', key.split('.')), vars),
    option: (o, negated = false) => find('options', [helpCommandOf(o), negated ? `no-${o.key}` : o.key]),
    exitCodes: (which) => Object.keys(enCommands.exitCodes[which]).map((code) => [code, find('commands', ['exitCodes', which, code])]),
  };
}
