// The effective settings: command line over environment over config file over defaults.
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { envValue } from './env.js';
import { locateConfig, type ConfigLocation } from './find.js';
import { readConfigFile } from './read.js';
import { checkSetting, SETTINGS, type Setting, type Value } from './settings.js';

export type Source =
  | { kind: 'flag'; name: string }
  | { kind: 'env'; name: string }
  | { kind: 'config'; file: string }
  | { kind: 'default' };

export interface Resolved {
  setting: Setting;
  /** As commander would hold the flag; undefined when nothing sets it (the command decides). */
  value: Value | undefined;
  source: Source;
}

export interface SettingsInput {
  /** Values given on the command line, by commander attribute name (apiKey, maxPixels, ...). */
  cli?: Readonly<Record<string, unknown>>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --config FILE, or false for --no-config; undefined: $GLM_VISION_CONFIG, else the nearest glm-vision.config.json. */
  config?: string | false;
  /** Validate command-line values too (the commands themselves validate the ones they use). */
  checkCli?: boolean;
}

export interface Settings {
  /** The config file read, if any. */
  config?: ConfigLocation;
  /** By setting key, in SETTINGS order. */
  resolved: Map<string, Resolved>;
  /** By commander attribute name: ready to merge into a command's flags. */
  values: Record<string, Value | undefined>;
  /** For stderr, unless --quiet. */
  warnings: string[];
}

export function loadSettings(input: SettingsInput): Settings {
  const warnings: string[] = [];
  const warn = (message: string): void => void warnings.push(message);
  const config = locateConfig({ config: input.config, env: input.env, cwd: input.cwd, warn });
  let fileValues = new Map<string, Value>();
  if (config) {
    try {
      fileValues = readConfigFile(config.file, warn).values;
    } catch (error) {
      if (error instanceof UsageError && config.by === 'env') throw new UsageError(t('config:file.fromEnv', { message: error.message }));
      throw error;
    }
  }
  const resolved = new Map<string, Resolved>();
  const values: Record<string, Value | undefined> = {};
  for (const setting of SETTINGS) {
    let entry: Resolved;
    const cli = input.cli?.[setting.attr];
    if (cli !== undefined) {
      if (input.checkCli) checkSetting(setting, `--${setting.key}`, cli);
      entry = { setting, value: cli as Value, source: { kind: 'flag', name: `--${cli === false ? 'no-' : ''}${setting.key}` } };
    } else {
      const env = envValue(setting, input.env);
      const fromFile = fileValues.get(setting.key);
      if (env) entry = { setting, value: env.value, source: { kind: 'env', name: env.name } };
      else if (fromFile !== undefined && config) entry = { setting, value: fromFile, source: { kind: 'config', file: config.file } };
      else entry = { setting, value: setting.default, source: { kind: 'default' } };
    }
    resolved.set(setting.key, entry);
    values[setting.attr] = entry.value;
  }
  return { ...(config ? { config } : {}), resolved, values, warnings };
}
