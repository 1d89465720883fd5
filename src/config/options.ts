// The option table: every command's options, each declared once (catalog-options.ts,
// command-options.ts). The command line's options, the settings, `glm-vision config`'s listing,
// the typed flags and the README's "Every setting" table are all made from it.
import { ASK_OPTIONS } from './ask-options.js';
import { BATCH_OPTIONS } from './batch-options.js';
import { CATALOG_OPTIONS } from './catalog-options.js';
import { COMMAND_OPTIONS } from './command-options.js';
import { REVIEW_IO_OPTIONS } from './review-io-options.js';
import { REVIEW_OPTIONS } from './review-options.js';
import type { CommandName, FlagsOf, OptionSpec, ParsedOf } from './option-spec.js';

export const OPTIONS = [
  { key: 'json', kind: 'boolean', commands: ['config'] },
  ...CATALOG_OPTIONS,
  ...COMMAND_OPTIONS,
  ...REVIEW_IO_OPTIONS,
  ...REVIEW_OPTIONS,
  ...BATCH_OPTIONS,
  ...ASK_OPTIONS,
] as const satisfies readonly OptionSpec[];

type Table = typeof OPTIONS;

/** A command's options, in --help order. */
export function optionsFor(command: CommandName): OptionSpec[] {
  return OPTIONS.filter((o: OptionSpec) => o.commands.includes(command));
}

export type CatalogFlags = FlagsOf<Table, 'catalog'> & {
  /** Where --set values came from when not the command line (a config file, GLM_VISION_SET). */
  setFrom?: string;
};
/** The catalog's flags once checked and parsed (parse-flags.ts). */
export type CatalogOptions = ParsedOf<Table, 'catalog'> & Pick<CatalogFlags, 'setFrom'>;
export type AskFlags = FlagsOf<Table, 'ask'> & Pick<CatalogFlags, 'setFrom'>;
/** ask's flags once checked and parsed. */
export type AskOptions = ParsedOf<Table, 'ask'> & Pick<CatalogFlags, 'setFrom'>;
export type ReportFlags = FlagsOf<Table, 'report'>;
export type XmpFlags = FlagsOf<Table, 'xmp'>;
export type DoctorFlags = FlagsOf<Table, 'doctor'>;
export type PromptsFlags = FlagsOf<Table, 'prompts list'>;
export type ModelsPullFlags = FlagsOf<Table, 'models pull'>;
export type CacheStatsFlags = FlagsOf<Table, 'cache stats'>;
export type ExportFlags = FlagsOf<Table, 'cache export'>;
export type PruneFlags = FlagsOf<Table, 'cache prune'>;
export type WriteFlags = FlagsOf<Table, 'cache vacuum'>;
export type ReviewImportFlags = FlagsOf<Table, 'review import'>;
export type ReviewExportFlags = FlagsOf<Table, 'review export'>;
export type ReviewFlags = FlagsOf<Table, 'review'>;
export type BatchExportFlags = FlagsOf<Table, 'batch export'> & Pick<CatalogFlags, 'setFrom'>;
/** batch export's and batch submit's flags once checked and parsed. */
export type BatchExportOptions = ParsedOf<Table, 'batch export'> & Pick<CatalogFlags, 'setFrom'>;
export type BatchSubmitFlags = FlagsOf<Table, 'batch submit'> & Pick<CatalogFlags, 'setFrom'>;
export type BatchImportFlags = FlagsOf<Table, 'batch import'>;
export type BatchStatusFlags = FlagsOf<Table, 'batch status'>;
export type BatchFetchFlags = FlagsOf<Table, 'batch fetch'>;
