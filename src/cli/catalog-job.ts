// What a catalog run asks, and how it walks and shows the files, from its checked flags: the
// prompt, its variables, the sampling, the image and page settings. batch export makes its job
// here too, so that the answers of a batch file are the catalog's cache hits.
import type { GenerationParams } from '../backends/backend.js';
import type { CatalogOptions } from '../config/options.js';
import { t } from '../i18n/index.js';
import { keyValue } from '../config/validate.js';
import { JPEG_QUALITY, type PreprocessOptions } from '../image/preprocess.js';
import type { PageOptions } from '../pages/document.js';
import { parsePages } from '../pages/select.js';
import { parseShard, shardLabel, type Shard } from '../pipeline/shard.js';
import type { WalkOptions } from '../pipeline/walk.js';
import { langFromEnv, resolveTemplate } from '../prompt/library.js';
import { checkUnusedVariables, checkVariables, type Lang } from '../prompt/render.js';
import type { Template } from '../prompt/template.js';
import type { BackendKind } from './catalog-backend.js';
import { defaultMaxPixels } from './defaults.js';
import type { CliIO } from './io.js';

/** The flags a job is made of: catalog's, and the same ones of batch export and batch submit. */
export type JobFlags = Pick<
  CatalogOptions,
  | 'prompt' | 'lang' | 'set' | 'setFrom' | 'question' | 'maxTokens' | 'temperature' | 'topP' | 'seed'
  | 'maxPixels' | 'maxInputPixels' | 'shard' | 'include' | 'exclude' | 'hidden' | 'followSymlinks'
  | 'pages' | 'dpi' | 'maxPages' | 'renderMemory' | 'renderCpuLimit'
>;

export interface JobSettings {
  lang: Lang;
  template: Template;
  variables: Record<string, string>;
  generation: GenerationParams;
  preprocess: PreprocessOptions;
  shard: Shard | undefined;
  walkOptions: Pick<WalkOptions, 'include' | 'exclude' | 'hidden' | 'followSymlinks'>;
  pages: PageOptions;
}

/** Where each template variable came from, for the message about one that no template uses. */
function variableOrigin(flags: JobFlags): (name: string) => string {
  return (name) => {
    if (name === 'question' && flags.question !== undefined) return '--question';
    const pair = flags.set.find((p) => p.startsWith(`${name}=`)) ?? `${name}=…`;
    return flags.setFrom ? t('cli:catalog.setFrom', { pair, from: flags.setFrom }) : `--set ${pair}`;
  };
}

export function jobSettings(flags: JobFlags, kind: BackendKind, io: CliIO, warn: (message: string) => void): JobSettings {
  const lang: Lang = flags.lang ?? langFromEnv(io.env);
  const template = resolveTemplate(flags.prompt, lang);
  const variables: Record<string, string> = {};
  for (const pair of flags.set) {
    const [k, v] = keyValue('--set', pair);
    variables[k] = v;
  }
  if (flags.question !== undefined) variables.question = flags.question;
  checkVariables(template, variables);
  checkUnusedVariables(template, variables, variableOrigin(flags));

  const generation: GenerationParams = {
    maxTokens: flags.maxTokens ?? template.maxTokens,
    temperature: flags.temperature ?? template.temperature,
    topP: flags.topP ?? template.topP,
    seed: flags.seed,
  };
  const preprocess: PreprocessOptions = {
    maxPixels: flags.maxPixels ?? defaultMaxPixels(kind),
    maxInputPixels: flags.maxInputPixels,
    jpegQuality: JPEG_QUALITY,
  };
  const pages: PageOptions = {
    pages: parsePages(flags.pages),
    dpi: flags.dpi,
    maxPages: flags.maxPages,
    maxPixels: preprocess.maxPixels,
    maxInputPixels: preprocess.maxInputPixels,
    renderMemoryMb: flags.renderMemory,
    renderCpuLimitS: flags.renderCpuLimit,
    // What the PDF libraries print, with the file's name; nothing under -q.
    onWarning: (file, message) => warn(t('cli:catalog.pdfWarning', { file, message })),
  };
  const shard = flags.shard !== undefined ? parseShard(flags.shard, io.env) : undefined;
  if (shard?.from !== undefined) warn(t('cli:catalog.shardAuto', { part: shardLabel(shard), from: shard.from }));
  return {
    lang, template, variables, generation, preprocess, pages, shard,
    walkOptions: { include: flags.include, exclude: flags.exclude, hidden: !!flags.hidden, followSymlinks: !!flags.followSymlinks },
  };
}
