// The message catalogs, one module per namespace and language. Adding a namespace: a file in
// en/ and zh/ and a line in each table below; zh/'s files are typed `Translation<typeof en…>`,
// so a missing or extra key fails the type check (and test/i18n.test.ts says which).
import askEn from './en/ask.js';
import cliEn from './en/cli.js';
import dryrunEn from './en/dryrun.js';
import askZh from './zh/ask.js';
import cliZh from './zh/cli.js';
import commanderEn from './en/commander.js';
import commanderZh from './zh/commander.js';
import configEn from './en/config.js';
import configZh from './zh/config.js';
import dryrunZh from './zh/dryrun.js';
import promptEn from './en/prompt.js';
import promptZh from './zh/prompt.js';

export const en = {
  cli: cliEn,
  ask: askEn,
  commander: commanderEn,
  config: configEn,
  dryrun: dryrunEn,
  prompt: promptEn,
};

export const zh: { [N in keyof typeof en]: Translation<(typeof en)[N]> } = {
  cli: cliZh,
  ask: askZh,
  commander: commanderZh,
  config: configZh,
  dryrun: dryrunZh,
  prompt: promptZh,
};

export const catalogs = { en, zh };

type PluralSuffix = 'zero' | 'one' | 'two' | 'few' | 'many' | 'other';
type Base<K> = K extends `${infer B}_${PluralSuffix}` ? B : K;

/**
 * A catalog's translation: every key of the English one, where a plural message needs only the
 * forms of the other language (Chinese has just `_other`).
 */
export type Translation<E> = {
  [K in keyof E as K extends `${string}_${Exclude<PluralSuffix, 'other'>}` ? never : K]: string;
};

/** 'namespace:key', plural forms named once by their base. */
export type MessageKey = {
  [N in keyof typeof en & string]: `${N}:${Base<keyof (typeof en)[N] & string>}`;
}[keyof typeof en & string];
