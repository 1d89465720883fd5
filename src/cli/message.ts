// `glm-vision message NAME [KEY=VALUE…]`: one message of the `scripts` catalog in the user's
// language, for the shell scripts in examples/ (git's shell scripts get theirs from git the same
// way). Strict, so that a script's typo fails its test instead of logging half a sentence.
import { en } from '../i18n/catalogs.js';
import { t, type MessageKey, type MessageValues } from '../i18n/index.js';
import { closest } from '../config/suggest.js';
import { UsageError } from '../support/errors.js';
import type { CliIO } from './io.js';

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Each message name, with the placeholders of all its forms. */
export function scriptMessages(): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  for (const [key, text] of Object.entries(en.scripts)) {
    const name = key.replace(PLURAL, '');
    const slots = names.get(name) ?? new Set<string>();
    for (const m of text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)) slots.add(m[1] as string);
    names.set(name, slots);
  }
  return names;
}

export function messageCommand(name: string, pairs: readonly string[], io: CliIO): number {
  const known = scriptMessages();
  const slots = known.get(name);
  if (!slots) {
    const guess = closest(name, [...known.keys()]);
    throw new UsageError(guess ? t('cli:message.didYouMean', { name, guess }) : t('cli:message.unknown', { name, names: [...known.keys()].join(t('cli:list.names')) }));
  }
  const values: MessageValues = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    if (eq <= 0 || !slots.has(key)) {
      throw new UsageError(t('cli:message.badValue', { pair, name, keys: [...slots].join(t('cli:list.names')) || '-' }));
    }
    const value = pair.slice(eq + 1);
    if (key === 'count') {
      // The plural form depends on it, so it must be a number.
      if (!/^\d+$/.test(value)) throw new UsageError(t('cli:message.badCount', { value, name }));
      values[key] = Number(value);
    } else values[key] = value;
  }
  const missing = [...slots].filter((slot) => !(slot in values));
  if (missing.length > 0) throw new UsageError(t('cli:message.missing', { name, keys: missing.join(t('cli:list.names')) }));
  io.stdout.write(`${t(`scripts:${name}` as MessageKey, values)}\n`);
  return 0;
}
