// The message catalogs, one module per namespace and language. Adding a namespace: a file in
// en/ and zh/ and a line in each table below; zh/'s files are typed `Translation<typeof en…>`,
// so a missing or extra key fails the type check (and test/i18n.test.ts says which).
import cacheEn from './en/cache.js';
import cacheZh from './zh/cache.js';
import cliEn from './en/cli.js';
import cliZh from './zh/cli.js';
import emitEn from './en/emit.js';
import emitZh from './zh/emit.js';
import pipelineEn from './en/pipeline.js';
import pipelineZh from './zh/pipeline.js';
import reportEn from './en/report.js';
import reportZh from './zh/report.js';
import reviewEn from './en/review.js';
import reviewZh from './zh/review.js';
import reviewioEn from './en/reviewio.js';
import reviewioZh from './zh/reviewio.js';
import xmpEn from './en/xmp.js';
import xmpZh from './zh/xmp.js';

export const en = {
  cache: cacheEn,
  cli: cliEn,
  emit: emitEn,
  pipeline: pipelineEn,
  report: reportEn,
  review: reviewEn,
  reviewio: reviewioEn,
  xmp: xmpEn,
};

export const zh: { [N in keyof typeof en]: Translation<(typeof en)[N]> } = {
  cache: cacheZh,
  cli: cliZh,
  emit: emitZh,
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
