// The shape of one option in the option table (options.ts), and the types derived from it.
// Data only: the command line builds --help from the table before it knows which command
// runs, so nothing here (or in the table) may import sharp, SQLite, PDFium or the backends.

export type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'list';

/** How a value is checked; config/checks.ts runs it. Bounds are data so the README table can say them. */
export type Check =
  | { type: 'int'; min: number; max?: number }
  /** `auto`, or an integer of at least min (--concurrency). */
  | { type: 'intOrAuto'; min: number }
  | { type: 'maxPixels' }
  | { type: 'number'; min: number; max: number; minOpen?: boolean }
  | { type: 'choice'; of: readonly string[] }
  | { type: 'url' }
  | { type: 'keyValue' }
  | { type: 'pages' };

/** catalog --help's option groups, in the order they are printed (the headings: cli/help-groups.ts). */
export const HELP_GROUPS = ['inputs', 'model', 'prompt', 'images', 'documents', 'output', 'cache', 'run'] as const;
export type HelpGroup = (typeof HELP_GROUPS)[number];

export type CommandName =
  | 'catalog' | 'ask' | 'config' | 'report' | 'xmp' | 'prompts list' | 'prompts show' | 'models list' | 'models pull' | 'models info' | 'models rm'
  | 'cache stats' | 'cache export' | 'cache prune' | 'cache vacuum' | 'cache merge' | 'doctor' | 'message'
  | 'review' | 'review import' | 'review export'
  | 'batch export' | 'batch import' | 'batch submit' | 'batch status' | 'batch fetch';

/** What the README's "Every setting" table says where the other fields cannot. */
export interface SettingDoc {
  /** The default in words, where it is worked out (`openai` with an endpoint, ...). */
  default?: string;
  /** What a config file may hold, where the check does not say it. */
  file?: string;
  /** After the variable's name: how its value is written. */
  env?: string;
  /** The value's name in the flag column (`--endpoint URL`). */
  value?: string;
}

export interface OptionSpec {
  /** The long flag without its dashes; also the config key. */
  key: string;
  short?: string;
  /** Where --help lists it; options without one are listed under "Options:". */
  group?: HelpGroup;
  /** commander's value name, `<n>`; none for a switch. */
  value?: string;
  /** Also `--no-KEY`. The help of both is in the options catalogs (i18n/<lang>/options.ts). */
  negate?: true;
  /** Values the help fills in (`{{model}}`), where they come from constants. */
  helpValues?: Readonly<Record<string, string>>;
  /** Only `--no-KEY` (commander then defaults KEY to true). */
  negatedOnly?: boolean;
  kind: Kind;
  /** The value when nothing sets it, as commander holds it. */
  default?: string | readonly string[];
  /** Repeatable: each use adds to a list. */
  repeatable?: boolean;
  check?: Check;
  /** commander refuses other values itself (--backend). */
  commanderChoices?: boolean;
  commands: readonly CommandName[];
  /** The command whose help text (i18n/<lang>/options.ts) this entry shares: batch export's copies of catalog's. */
  helpOf?: CommandName;
  /** A catalog setting a config file and the environment may give: its place in `glm-vision config`'s listing. */
  setting?: number;
  /** Environment variables, the first set one wins (default GLM_VISION_<KEY>). */
  env?: readonly string[];
  secret?: boolean;
  /** How a relative path in a config file is resolved: always, file (looks like a file), dot (./x). */
  path?: 'always' | 'file' | 'dot';
  /** Split on commas and white space when read from the environment. */
  splitEnv?: boolean;
  doc?: SettingDoc;
}

/** Where an entry's help is found in the options catalogs: `options:<command>.<key>`. */
export const helpCommandOf = (o: OptionSpec): CommandName => o.helpOf ?? (o.commands[0] as CommandName);

/** commander's attribute name of a key: max-pixels → maxPixels. */
export type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

export const camel = (key: string): string => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
export const envName = (key: string): string => `GLM_VISION_${key.toUpperCase().replace(/-/g, '_')}`;

/** commander's flags string: `-j, --concurrency <n>`. */
export function flagsOf(o: OptionSpec): string {
  const long = `--${o.negatedOnly ? 'no-' : ''}${o.key}`;
  return `${o.short ? `${o.short}, ` : ''}${long}${o.value ? ` ${o.value}` : ''}`;
}

type Raw<O> = O extends { kind: 'boolean' }
  ? boolean
  : O extends { repeatable: true }
    ? string[]
    : O extends { negate: true }
      ? string | false
      : string;

type Key<O> = O extends { key: infer K extends string } ? K : never;

type Given<O> = O extends { default: unknown } ? true : O extends { repeatable: true } ? true : O extends { negatedOnly: true } ? true : false;

type OfCommand<T extends readonly OptionSpec[], C extends CommandName> = T[number] extends infer O
  ? O extends { commands: readonly (infer N)[] } ? (C extends N ? O : never) : never
  : never;

/** The option values commander hands a command (strings, string lists, booleans), typed from the table. */
export type FlagsOf<T extends readonly OptionSpec[], C extends CommandName> = {
  [O in OfCommand<T, C> as Given<O> extends true ? Camel<Key<O>> : never]: Raw<O>;
} & {
  [O in OfCommand<T, C> as Given<O> extends true ? never : Camel<Key<O>>]?: Raw<O>;
};

type Checked<O, Else> = O extends { check: { type: 'int' | 'number' | 'maxPixels' } }
  ? number
  : O extends { check: { type: 'intOrAuto' } }
    ? number | 'auto'
    : O extends { check: { type: 'choice'; of: readonly (infer V)[] } }
    ? V
    : Else;

// A repeatable option is checked value by value (parse-flags.ts): a list of parsed values.
type Parsed<O> = O extends { repeatable: true } ? Checked<O, string>[] : Checked<O, Raw<O>>;

/** The same values checked and parsed by the table's checks: numbers as numbers, choices as their union. */
export type ParsedOf<T extends readonly OptionSpec[], C extends CommandName> = {
  [O in OfCommand<T, C> as Given<O> extends true ? Camel<Key<O>> : never]: Parsed<O>;
} & {
  [O in OfCommand<T, C> as Given<O> extends true ? never : Camel<Key<O>>]?: Parsed<O>;
};
