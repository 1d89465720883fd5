// Reads a config file into setting values: JSON errors with line and column,
// unknown keys with a suggestion, wrong types and bad values naming file and key.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { t } from '../i18n/index.js';
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

function lineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

function parseJson(file: string, source: string): unknown {
  try {
    return JSON.parse(source);
  } catch (error) {
    const message = (error as Error).message;
    const at = /\s*in JSON at position (\d+)/.exec(message);
    if (!at) throw new UsageError(t('config:file.badJson', { file, why: message }));
    throw new UsageError(t('config:file.badJsonAt', { file, ...lineColumn(source, Number(at[1])), why: message.replace(at[0], '') }));
  }
}

function asList(setting: Setting, raw: unknown, label: string): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw as string[];
  if (setting.key === 'set' && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    return Object.entries(raw).map(([k, v]) => {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new UsageError(t('config:file.setItem', { item: k, label, value: shown(v) }));
      }
      return `${k}=${String(v)}`;
    });
  }
  throw new UsageError(t(setting.key === 'set' ? 'config:file.setObject' : 'config:file.list', { label, value: shown(raw) }));
}

/** The JSON value as the flag would hold it, or a type error. */
function toValue(setting: Setting, raw: unknown, label: string): Value {
  switch (setting.kind) {
    case 'boolean':
      if (typeof raw !== 'boolean') throw new UsageError(t('config:file.boolean', { label, value: shown(raw) }));
      return raw;
    case 'integer':
    case 'number':
      if (raw === 'auto' && setting.option.check?.type === 'intOrAuto') return raw;
      if (typeof raw !== 'number' && setting.option.check?.type === 'intOrAuto') {
        throw new UsageError(t('config:file.autoOrNumber', { label, value: shown(raw) }));
      }
      if (typeof raw !== 'number') throw new UsageError(t('config:file.number', { label, value: shown(raw) }));
      return String(raw);
    case 'list':
      return asList(setting, raw, label);
    case 'string':
      if (typeof raw !== 'string' || raw.trim() === '') {
        throw new UsageError(t('config:file.string', { label, value: shown(raw) }));
      }
      return raw;
  }
}

/** Runs the flag's validator; a number is shown as written (-3, not "-3"): the value ends each check's message. */
function check(setting: Setting, value: Value, raw: unknown, label: string): void {
  try {
    checkSetting(setting, label, value);
  } catch (error) {
    const quoted = JSON.stringify(value);
    if (error instanceof UsageError && typeof raw === 'number' && typeof value === 'string' && error.message.endsWith(quoted)) {
      throw new UsageError(error.message.slice(0, -quoted.length) + value);
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
    throw new UsageError(t('config:file.unreadable', { file, why: (error as Error).message }));
  }
  const json = parseJson(file, source.replace(/^\uFEFF/, ''));
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(t('config:file.notObject', { file, value: shown(json) }));
  }
  const values = new Map<string, Value>();
  for (const [key, raw] of Object.entries(json)) {
    if (key === '$schema') continue;
    const setting = SETTING_BY_KEY.get(key);
    if (!setting) {
      const why = (COMMAND_LINE_ONLY as Readonly<Record<string, (typeof COMMAND_LINE_ONLY)[keyof typeof COMMAND_LINE_ONLY]>>)[key];
      if (why) throw new UsageError(t(`config:commandLineOnly.${why}`, { key, file }));
      const guess = closest(key, SETTINGS.map((s) => s.key));
      throw new UsageError(guess ? t('config:file.unknownGuess', { key, file, guess }) : t('config:file.unknown', { key, file }));
    }
    if (raw === null) continue;
    const label = t('config:label.fileKey', { key, file });
    const value = toValue(setting, raw, label);
    check(setting, value, raw, label);
    values.set(key, resolvePath(setting, value, path.dirname(file)));
  }
  if (values.has('api-key') && process.platform !== 'win32' && (statSync(file).mode & 0o044) !== 0) {
    warn(t('config:file.readableKey', { file }));
  }
  return { file, values };
}
