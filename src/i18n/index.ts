// Every sentence a person reads goes through t(): English and Simplified Chinese catalogs
// (en/, zh/), i18next for interpolation and plural rules. The language of a CLI call is set
// once by runProgram (withLang) and follows its async work, so in-process tests can run
// commands in either language side by side.
import { AsyncLocalStorage } from 'node:async_hooks';
import i18next, { type TFunction } from 'i18next';
import type { Lang } from '../prompt/render.js';
import { catalogs, type MessageKey } from './catalogs.js';

export type { MessageKey };
export type { Lang };

const current = new AsyncLocalStorage<Lang>();

const instance = i18next.createInstance();
void instance.init({
  resources: catalogs,
  lng: 'en',
  fallbackLng: 'en',
  initAsync: false,
  // Flat keys ('pipeline:summary.files'): dots are part of the key, ':' ends the namespace.
  keySeparator: false,
  nsSeparator: ':',
  // Text goes to terminals, CSV comments and logs; HTML pages escape it themselves.
  interpolation: { escapeValue: false },
  returnNull: false,
});

const translators: Record<Lang, TFunction> = {
  en: instance.getFixedT('en'),
  zh: instance.getFixedT('zh'),
};

/** Values a message fills in; `count` also picks the plural form. */
export type MessageValues = Record<string, string | number | bigint | boolean | null | undefined>;

/** The message in the language of this call (see withLang). */
export function t(key: MessageKey, values?: MessageValues): string {
  return translators[currentLang()](key, values as Record<string, unknown>);
}

/** The message in a given language, whatever the call's own (a page built for --lang). */
export function tIn(lang: Lang, key: MessageKey, values?: MessageValues): string {
  return translators[lang](key, values as Record<string, unknown>);
}

export function currentLang(): Lang {
  return current.getStore() ?? 'en';
}

/** Runs fn (and everything it starts) in one language. */
export function withLang<T>(lang: Lang, fn: () => T): T {
  return current.run(lang, fn);
}

/** The language from the locale: LC_ALL, then LC_MESSAGES, then LANG; English otherwise. */
export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(locale) ? 'zh' : 'en';
}

/**
 * The language of a command line: its --lang (any command; read before commander so that
 * --help and commander's own errors are in it too), else the locale.
 */
export function langForArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    const value = arg === '--lang' ? argv[i + 1] : arg.startsWith('--lang=') ? arg.slice('--lang='.length) : undefined;
    if (value === 'en' || value === 'zh') return value;
  }
  return langFromEnv(env);
}
