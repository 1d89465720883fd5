// The message catalogs, one module per namespace and language. Adding a namespace: a file in
// en/ and zh/ and a line in each table below; zh/'s files are typed `Translation<typeof en…>`,
// so a missing or extra key fails the type check (and test/i18n.test.ts says which).
import askEn from './en/ask.js';
import batchEn from './en/batch.js';
import cacheEn from './en/cache.js';
import cliEn from './en/cli.js';
import commanderEn from './en/commander.js';
import commandsEn from './en/commands.js';
import configEn from './en/config.js';
import doctorEn from './en/doctor.js';
import dryrunEn from './en/dryrun.js';
import emitEn from './en/emit.js';
import engineEn from './en/engine.js';
import imageEn from './en/image.js';
import modelsEn from './en/models.js';
import optionsEn from './en/options.js';
import pagesEn from './en/pages.js';
import pipelineEn from './en/pipeline.js';
import progressEn from './en/progress.js';
import promptEn from './en/prompt.js';
import reportEn from './en/report.js';
import reviewEn from './en/review.js';
import reviewioEn from './en/reviewio.js';
import scriptsEn from './en/scripts.js';
import serverEn from './en/server.js';
import xmpEn from './en/xmp.js';
import askZh from './zh/ask.js';
import batchZh from './zh/batch.js';
import cacheZh from './zh/cache.js';
import cliZh from './zh/cli.js';
import commanderZh from './zh/commander.js';
import commandsZh from './zh/commands.js';
import configZh from './zh/config.js';
import doctorZh from './zh/doctor.js';
import dryrunZh from './zh/dryrun.js';
import emitZh from './zh/emit.js';
import engineZh from './zh/engine.js';
import imageZh from './zh/image.js';
import modelsZh from './zh/models.js';
import optionsZh from './zh/options.js';
import pagesZh from './zh/pages.js';
import pipelineZh from './zh/pipeline.js';
import progressZh from './zh/progress.js';
import promptZh from './zh/prompt.js';
import reportZh from './zh/report.js';
import reviewZh from './zh/review.js';
import reviewioZh from './zh/reviewio.js';
import scriptsZh from './zh/scripts.js';
import serverZh from './zh/server.js';
import xmpZh from './zh/xmp.js';

export const en = {
  ask: askEn,
  batch: batchEn,
  cache: cacheEn,
  cli: cliEn,
  commander: commanderEn,
  commands: commandsEn,
  config: configEn,
  doctor: doctorEn,
  dryrun: dryrunEn,
  emit: emitEn,
  engine: engineEn,
  image: imageEn,
  models: modelsEn,
  options: optionsEn,
  pages: pagesEn,
  pipeline: pipelineEn,
  progress: progressEn,
  prompt: promptEn,
  report: reportEn,
  review: reviewEn,
  reviewio: reviewioEn,
  scripts: scriptsEn,
  server: serverEn,
  xmp: xmpEn,
};

export const zh: { [N in keyof typeof en]: Translation<(typeof en)[N]> } = {
  ask: askZh,
  batch: batchZh,
  cache: cacheZh,
  cli: cliZh,
  commander: commanderZh,
  commands: commandsZh,
  config: configZh,
  doctor: doctorZh,
  dryrun: dryrunZh,
  emit: emitZh,
  engine: engineZh,
  image: imageZh,
  models: modelsZh,
  options: optionsZh,
  pages: pagesZh,
  pipeline: pipelineZh,
  progress: progressZh,
  prompt: promptZh,
  report: reportZh,
  review: reviewZh,
  reviewio: reviewioZh,
  scripts: scriptsZh,
  server: serverZh,
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
