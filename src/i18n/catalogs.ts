// The message catalogs, one module per namespace and language. Adding a namespace: a file in
// en/ and zh/ and a line in each table below; zh/'s files are typed `Translation<typeof en…>`,
// so a missing or extra key fails the type check (and test/i18n.test.ts says which).
import askEn from './en/ask.js';
import cacheEn from './en/cache.js';
import cliEn from './en/cli.js';
import commandsEn from './en/commands.js';
import dryrunEn from './en/dryrun.js';
import emitEn from './en/emit.js';
import optionsEn from './en/options.js';
import pipelineEn from './en/pipeline.js';
import reportEn from './en/report.js';
import reviewEn from './en/review.js';
import reviewioEn from './en/reviewio.js';
import xmpEn from './en/xmp.js';
import askZh from './zh/ask.js';
import cacheZh from './zh/cache.js';
import cliZh from './zh/cli.js';
import commandsZh from './zh/commands.js';
import dryrunZh from './zh/dryrun.js';
import emitZh from './zh/emit.js';
import optionsZh from './zh/options.js';
import pipelineZh from './zh/pipeline.js';
import reportZh from './zh/report.js';
import reviewZh from './zh/review.js';
import reviewioZh from './zh/reviewio.js';
import xmpZh from './zh/xmp.js';

export const en = {
  ask: askEn,
  cache: cacheEn,
  cli: cliEn,
  commands: commandsEn,
  dryrun: dryrunEn,
  emit: emitEn,
  options: optionsEn,
  pipeline: pipelineEn,
  report: reportEn,
  review: reviewEn,
  reviewio: reviewioEn,
  xmp: xmpEn,
};

export const zh: { [N in keyof typeof en]: Translation<(typeof en)[N]> } = {
  ask: askZh,
  cache: cacheZh,
  cli: cliZh,
  commands: commandsZh,
  dryrun: dryrunZh,
  emit: emitZh,
  options: optionsZh,
  pipeline: pipelineZh,
  report: reportZh,
  review: reviewZh,
  reviewio: reviewioZh,
  xmp: xmpZh,
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
