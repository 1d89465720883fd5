// The settings a config file or the environment may give: the catalog options the option table
// marks `setting`, in `glm-vision config`'s order. Values are held the way commander holds flags:
// strings (numbers too), string lists, booleans.
import { CATALOG_OPTIONS } from './catalog-options.js';
import { runCheck, usePagesParser } from './checks.js';
import { parsePages } from '../pages/select.js';
import { camel, envName, type Kind, type OptionSpec } from './option-spec.js';

export type { Kind };
export type Value = string | string[] | boolean;

export interface Setting {
  /** The config key: the long flag without its dashes. */
  key: string;
  /** commander's attribute name for the flag. */
  attr: string;
  kind: Kind;
  /** Environment variables, the first set one wins. */
  env: readonly string[];
  default?: Value;
  path?: OptionSpec['path'];
  secret?: boolean;
  splitEnv?: boolean;
  /** Throws UsageError naming `label`; for lists, called for each item. */
  check?: (label: string, value: string) => void;
  /** The table entry it comes from. */
  option: OptionSpec;
}

/** Runs the setting's check on a value, on each item of a list; booleans (and anything else) have none. */
export function checkSetting(setting: Setting, label: string, value: unknown): void {
  if (!setting.check) return;
  const items: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  for (const item of items) setting.check(label, String(item));
}

function toSetting(o: OptionSpec): Setting {
  const { check } = o;
  const fallback: Value | undefined = typeof o.default === 'string' ? o.default : o.default || o.repeatable ? [...(o.default ?? [])] : undefined;
  return {
    key: o.key,
    attr: camel(o.key),
    kind: o.kind,
    env: o.env ?? [envName(o.key)],
    ...(fallback !== undefined ? { default: fallback } : {}),
    ...(o.path ? { path: o.path } : {}),
    ...(o.secret ? { secret: true } : {}),
    ...(o.splitEnv ? { splitEnv: true } : {}),
    ...(check ? { check: (label: string, value: string) => void runCheck(check, label, value) } : {}),
    option: o,
  };
}

usePagesParser(parsePages);

type Listed = OptionSpec & { setting: number };

/** In the order `glm-vision config` prints them. */
export const SETTINGS: readonly Setting[] = (CATALOG_OPTIONS as readonly OptionSpec[])
  .filter((o): o is Listed => typeof o.setting === 'number')
  .sort((a, b) => a.setting - b.setting)
  .map(toSetting);

/** Catalog flags that stay on the command line; a config file naming one is told why (config:commandLineOnly.*). */
export const COMMAND_LINE_ONLY = {
  paths: 'inputs',
  'files-from': 'inputs',
  output: 'output',
  format: 'format',
  shard: 'shard',
  refresh: 'refresh',
  question: 'question',
  config: 'config',
} as const satisfies Readonly<Record<string, string>>;

export const SETTING_BY_KEY: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));
