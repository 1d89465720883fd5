// Reads a config file into setting values: JSON errors with line and column,
// unknown keys with a suggestion, wrong types and bad values naming file and key.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../support/errors.js';
import { checkSetting, COMMAND_LINE_ONLY, SETTING_BY_KEY, SETTINGS, type Setting, type Value } from './settings.js';
import { closest } from './suggest.js';

export interface ConfigFile {
  file: string;
  /** By setting key; keys set to null are absent. */
  values: Map<string, Value>;
}

const shown = (raw: unknown): string => {
  const s = JSON.stringify(raw) ?? String(raw);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function lineColumn(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function parseJson(file: string, source: string): unknown {
  try {
    return JSON.parse(source);
  } catch (error) {
    const message = (error as Error).message;
    const at = /\s*in JSON at position (\d+)/.exec(message);
    const where = at ? ` at ${lineColumn(source, Number(at[1]))}` : '';
    const what = at ? message.replace(at[0], '') : message;
    throw new UsageError(`Invalid JSON in config file ${file}${where}: ${what}`);
  }
}

function asList(setting: Setting, raw: unknown, label: string): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw as string[];
  if (setting.key === 'set' && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    return Object.entries(raw).map(([k, v]) => {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new UsageError(`Expected a string for "${k}" in ${label} but received ${shown(v)}`);
      }
      return `${k}=${String(v)}`;
    });
  }
  const expected = setting.key === 'set' ? 'an object such as {"question": "..."}' : 'a string or an array of strings';
  throw new UsageError(`Expected ${expected} for ${label} but received ${shown(raw)}`);
}

/** The JSON value as the flag would hold it, or a type error. */
function toValue(setting: Setting, raw: unknown, label: string): Value {
  switch (setting.kind) {
    case 'boolean':
      if (typeof raw !== 'boolean') throw new UsageError(`Expected true or false for ${label} but received ${shown(raw)}`);
      return raw;
    case 'integer':
    case 'number':
      if (raw === 'auto' && setting.option.check?.type === 'intOrAuto') return raw;
      if (typeof raw !== 'number' && setting.option.check?.type === 'intOrAuto') {
        throw new UsageError(`Expected "auto" or a number for ${label} but received ${shown(raw)}`);
      }
      if (typeof raw !== 'number') throw new UsageError(`Expected a number for ${label} but received ${shown(raw)}`);
      return String(raw);
    case 'list':
      return asList(setting, raw, label);
    case 'string':
      if (typeof raw !== 'string' || raw.trim() === '') {
        throw new UsageError(`Expected a non-empty string for ${label} but received ${shown(raw)}`);
      }
      return raw;
  }
}

/** Runs the flag's validator; a number is shown as written (-3, not "-3"). */
function check(setting: Setting, value: Value, raw: unknown, label: string): void {
  try {
    checkSetting(setting, label, value);
  } catch (error) {
    if (error instanceof UsageError && typeof raw === 'number' && typeof value === 'string') {
      throw new UsageError(error.message.replace(`received ${JSON.stringify(value)}`, `received ${value}`));
    }
    throw error;
  }
}

function resolvePath(setting: Setting, value: Value, dir: string): Value {
  if (typeof value !== 'string' || path.isAbsolute(value)) return value;
  const relative =
    setting.path === 'always' ? value !== ':memory:'
      : setting.path === 'file' ? value.includes('/') || value.includes(path.sep) || value.endsWith('.md')
        : setting.path === 'dot' ? /^\.\.?([/\\]|$)/.test(value)
          : false;
  return relative ? path.resolve(dir, value) : value;
}

export function readConfigFile(file: string, warn: (message: string) => void): ConfigFile {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  const json = parseJson(file, source.replace(/^\uFEFF/, ''));
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`Expected a JSON object such as {"model": "..."} in config file ${file} but found ${shown(json)}`);
  }
  const values = new Map<string, Value>();
  for (const [key, raw] of Object.entries(json)) {
    if (key === '$schema') continue;
    const setting = SETTING_BY_KEY.get(key);
    if (!setting) {
      const why = COMMAND_LINE_ONLY[key];
      if (why) throw new UsageError(`"${key}" cannot be set in config file ${file}: ${why}`);
      const guess = closest(key, SETTINGS.map((s) => s.key));
      const hint = guess ? `did you mean "${guess}"?` : 'run glm-vision config to list the settings';
      throw new UsageError(`Unknown setting "${key}" in config file ${file} (${hint})`);
    }
    if (raw === null) continue;
    const label = `"${key}" in ${file}`;
    const value = toValue(setting, raw, label);
    check(setting, value, raw, label);
    values.set(key, resolvePath(setting, value, path.dirname(file)));
  }
  if (values.has('api-key') && process.platform !== 'win32' && (statSync(file).mode & 0o044) !== 0) {
    warn(`${file} holds an api-key that other users can read: chmod 600 it, or set $GLM_VISION_API_KEY instead`);
  }
  return { file, values };
}
