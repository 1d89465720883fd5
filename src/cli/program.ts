// The command line's program: every command and its help, each command's options made from the
// option table (config/options.ts), each command's module loaded only when it runs. main.ts hands
// argv here; it returns an exit code and never throws: expected errors print one line, never a stack.
import { Command, CommanderError, Option } from 'commander';
import { OutputClosed, whyWriteFailed } from '../emit/sink.js';
import { ExitCode } from '../support/errors.js';
import { VERSION } from '../support/version.js';
import { optionsFor, type CacheStatsFlags, type DoctorFlags, type ExportFlags, type ModelsPullFlags, type PromptsFlags, type PruneFlags, type ReportFlags, type ReviewFlags, type WriteFlags, type XmpFlags } from '../config/options.js';
import type { AskFlags, ReviewExportFlags, ReviewImportFlags } from '../config/options.js';
import type { BatchExportFlags, BatchFetchFlags, BatchImportFlags, BatchStatusFlags, BatchSubmitFlags } from '../config/options.js';
import { flagsOf, type CommandName, type OptionSpec } from '../config/option-spec.js';
import { BATCH_EXIT_CODES_HELP, CONFIG_HELP, DOCTOR_EXIT_CODES_HELP, EXIT_CODES_HELP } from './defaults.js';
import { commanderError, helpWords } from './commander-words.js';
import { tellError, wasTold, errorLine } from './error-line.js';
import type { CliIO } from './io.js';
import { langForArgs, t, withLang } from '../i18n/index.js';

export { EXIT_CODES_HELP };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The commander options of one table entry: the flag, and its --no- form. */
function commanderOptions(o: OptionSpec): Option[] {
  if (o.negatedOnly) return [new Option(flagsOf(o), o.help)];
  const option = new Option(flagsOf(o), o.help);
  if (o.repeatable) option.argParser(collect).default([]);
  else if (o.default !== undefined) option.default(o.default);
  if (o.commanderChoices && o.check?.type === 'choice') option.choices(o.check.of);
  const negated = o.negate !== undefined ? [new Option(`--no-${o.key}`, o.negate)] : [];
  return [option, ...negated];
}

/** A command with its options from the table. */
function withOptions(cmd: Command, name: CommandName): Command {
  for (const o of optionsFor(name)) for (const option of commanderOptions(o)) cmd.addOption(option);
  return cmd;
}

function buildProgram(io: CliIO, argv: string[], result: { code: number }): Command {
  const program = new Command('glm-vision')
    .description('Catalog folders of scans and photos with a vision-language model (GLM-4.6V-Flash and friends).')
    .version(VERSION, '-V, --version', t('commander:help.version'))
    // commander's own words in the call's language; subcommands copy these as they are made.
    .helpOption('-h, --help', t('commander:help.option'))
    .helpCommand('help [command]', t('commander:help.command'))
    .configureHelp(helpWords())
    .exitOverride()
    // A command's options belong to it, not to its parent: `review import F --cache X` (review has --cache too).
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .configureOutput({ outputError: (s, write) => write(commanderError(s)) })
    .showHelpAfterError(t('cli:help.afterError'))
    .addHelpText('after', EXIT_CODES_HELP);
  const command = (parent: Command, name: CommandName, description: string): Command =>
    withOptions(parent.command(name.split(' ').pop() as string).description(description), name);

  command(program, 'catalog', 'Describe every image under the given files and folders; write one catalog row per file.')
    .argument('[paths...]', 'image files and folders (walked recursively)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (paths: string[], _flags: unknown, cmd: Command) => {
      // Settings first: a bad config file or environment value fails before the catalog's modules load.
      const flags = (await import('./config.js')).catalogSettings(cmd, io);
      const { catalogCommand } = await import('./catalog.js');
      result.code = await catalogCommand(paths, flags, argv, io);
    });

  command(program, 'ask', t('ask:command.description'))
    .argument('<image>', t('ask:argument.image'))
    .argument('[question]', t('ask:argument.question'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (image: string, question: string | undefined, _flags: unknown, cmd: Command) => {
      const flags = (await import('./config.js')).catalogSettings<AskFlags>(cmd, io);
      const { askCommand } = await import('./ask.js');
      result.code = await askCommand(image, question, flags, cmd.getOptionValueSource('prompt') === 'cli', argv, io);
    });

  command(program, 'config', 'Print the settings a catalog run with the same options would use, and where each comes from: flag, environment, config file or default.')
    .argument('[paths...]', 'ignored, so that config can stand in for catalog in any command line')
    .addHelpText('after', CONFIG_HELP)
    .action(async (_paths: string[], _flags: unknown, cmd: Command) => {
      const { configCommand } = await import('./config.js');
      result.code = configCommand(cmd, io);
    });

  command(program, 'report', 'Make one HTML page from a catalog: a thumbnail beside each answer (for a big catalog, in a folder beside the page), filters by status, text search.')
    .argument('<catalog>', 'a catalog file written by catalog (JSONL or CSV)')
    .action(async (catalog: string, flags: ReportFlags) => {
      const { reportCommand } = await import('./report.js');
      result.code = await reportCommand(catalog, flags, io);
    });

  command(program, 'xmp', "Write a catalog's answers as XMP metadata (description, title, keywords) in sidecar files, or as a CSV for exiftool; images are never modified.")
    .argument('<catalog>', 'a catalog written by glm-vision catalog (.jsonl or .csv)')
    .action(async (catalog: string, flags: XmpFlags) => {
      const { xmpCommand } = await import('./xmp.js');
      result.code = await xmpCommand(catalog, flags, io);
    });

  const prompts = program.command('prompts').description('List and print prompt templates.');
  command(prompts, 'prompts list', 'list the built-in prompt templates')
    .action(async (flags: PromptsFlags) => {
      const { promptsList } = await import('./prompts.js');
      result.code = promptsList(flags, io);
    });
  command(prompts, 'prompts show', 'print a template (built-in name or file)')
    .argument('<name>')
    .action(async (name: string, flags: PromptsFlags) => {
      const { promptsShow } = await import('./prompts.js');
      result.code = promptsShow(name, flags, io);
    });

  const models = program.command('models').description("The local engine's models, in the shared Hugging Face cache ($HF_HUB_CACHE).");
  command(models, 'models list', 'list the models in the Hugging Face cache, with size, refs and complete dtypes')
    .action(async () => {
      const { modelsList } = await import('./models.js');
      result.code = modelsList(io);
    });
  command(models, 'models pull', 'download a model from the Hub ($HF_ENDPOINT) into the cache; prints its folder')
    .argument('<id>', 'org/name or org/name@revision')
    .action(async (id: string, flags: ModelsPullFlags) => {
      const { modelsPull } = await import('./models.js');
      result.code = await modelsPull(id, flags, io);
    });
  command(models, 'models info', "what the cache has of a model, and the Hub's download size for each dtype")
    .argument('<id>', 'org/name or org/name@revision')
    .action(async (id: string) => {
      const { modelsInfo } = await import('./models.js');
      result.code = await modelsInfo(id, io);
    });
  command(models, 'models rm', 'delete a model (every revision) from the Hugging Face cache')
    .argument('<id>', 'org/name')
    .action(async (id: string) => {
      const { modelsRm } = await import('./models.js');
      result.code = await modelsRm(id, io);
    });

  const cache = program.command('cache').description('Inspect and maintain the cache database: stats, export, prune, vacuum, merge.');
  command(cache, 'cache stats', 'what the cache holds: size, files, images, results by job, model and status, last runs')
    .action(async (flags: CacheStatsFlags) => {
      const { cacheStatsCommand } = await import('./cache.js');
      result.code = cacheStatsCommand(flags, io);
    });
  command(cache, 'cache export', 'every cached answer as JSONL, with its image hash, job, model and the paths it is known by')
    .action(async (flags: ExportFlags) => {
      const { cacheExportCommand } = await import('./cache.js');
      result.code = await cacheExportCommand(flags, io);
    });
  command(cache, 'cache prune', 'remove old or unused answers, or those of files that are gone')
    .action(async (flags: PruneFlags) => {
      const { cachePruneCommand } = await import('./cache.js');
      result.code = await cachePruneCommand(flags, io);
    });
  command(cache, 'cache vacuum', 'empty the WAL and rebuild the database file, giving the space of removed rows back')
    .action(async (flags: WriteFlags) => {
      const { cacheVacuumCommand } = await import('./cache.js');
      result.code = await cacheVacuumCommand(flags, io);
    });
  command(cache, 'cache merge', "add other caches' answers (e.g. from catalog --shard on other machines) to this one; the others are only read")
    .argument('<other...>', 'cache files to merge in')
    .action(async (others: string[], flags: WriteFlags) => {
      const { cacheMergeCommand } = await import('./cache.js');
      result.code = await cacheMergeCommand(others, flags, io);
    });

  // `review [CATALOG…]` serves the review page (its own action); `review import` and `review export`
  // are subcommands: commander runs a subcommand when the first operand names one, else the action.
  const review = command(program, 'review', 'Review answers on a local web page: accept, edit or reject each; decisions are saved in the cache and kept by later catalog runs. Also: review import, review export.')
    .enablePositionalOptions()
    .argument('[catalogs...]', 'catalogs written by catalog (JSONL or CSV); none: the rows of a cache job (--job)')
    .action(async (catalogs: string[], flags: ReviewFlags) => {
      const { reviewCommand } = await import('./review.js');
      result.code = await reviewCommand(catalogs, flags, io);
    });
  command(review, 'review import', 'record decisions made elsewhere (a spreadsheet edit of a catalog, a review export): all or none')
    .argument('<file>', 'a CSV or JSONL file with review, and SourceFile or sha256 (+ page), per row')
    .action(async (file: string, flags: ReviewImportFlags) => {
      const { reviewImportCommand } = await import('./review-io.js');
      result.code = reviewImportCommand(file, flags, io);
    });
  command(review, 'review export', "write the cache's decisions as CSV or JSONL, in the form review import reads")
    .action(async (flags: ReviewExportFlags) => {
      const { reviewExportCommand } = await import('./review-io.js');
      result.code = await reviewExportCommand(flags, io);
    });

  // The catalog's requests as OpenAI batch files, for vllm run-batch or a /files + /batches service.
  const batch = program.command('batch')
    .description("Catalog through offline batches: write the cache's missing requests as OpenAI batch files, or submit them to a /files + /batches service, and import the results into the cache.")
    .addHelpText('after', BATCH_EXIT_CODES_HELP);
  command(batch, 'batch export', 'write a request line for every image or page the cache does not answer (the same flags as catalog)')
    .argument('[paths...]', 'image files and folders, as for catalog')
    .action(async (paths: string[], _flags: unknown, cmd: Command) => {
      // The catalog's settings (config file, environment): the same job as the catalog run that follows.
      const flags = (await import('./config.js')).catalogSettings<BatchExportFlags>(cmd, io);
      const { batchExportCommand } = await import('./batch.js');
      result.code = await batchExportCommand(paths, flags, io);
    });
  command(batch, 'batch import', "store the answers of result files (vllm run-batch's output, a batch service's output and error files) in the cache")
    .argument('<results...>', 'result files (JSONL, one result per line)')
    .action(async (files: string[], flags: BatchImportFlags) => {
      const { batchImportCommand } = await import('./batch.js');
      result.code = await batchImportCommand(files, flags, io);
    });
  command(batch, 'batch submit', "export the cache's missing requests and hand them to a /files + /batches service (--endpoint); leaves out requests already in a pending batch")
    .argument('[paths...]', 'image files and folders, as for catalog')
    .action(async (paths: string[], _flags: unknown, cmd: Command) => {
      const flags = (await import('./config.js')).catalogSettings<BatchSubmitFlags>(cmd, io);
      const { batchSubmitCommand } = await import('./batch.js');
      result.code = await batchSubmitCommand(paths, flags, io);
    });
  command(batch, 'batch status', 'every batch submitted from this cache, as its service reports it now')
    .action(async (flags: BatchStatusFlags) => {
      const { batchStatusCommand } = await import('./batch.js');
      result.code = await batchStatusCommand(flags, io);
    });
  command(batch, 'batch fetch', 'download the results of finished batches and import them into the cache')
    .action(async (flags: BatchFetchFlags) => {
      const { batchFetchCommand } = await import('./batch.js');
      result.code = await batchFetchCommand(flags, io);
    });

  command(program, 'doctor', 'Check this machine before a catalog run (Node, image decoders, ONNX Runtime, cache, endpoints, model); print a fix for each problem.')
    .addHelpText('after', DOCTOR_EXIT_CODES_HELP)
    .action(async (flags: DoctorFlags) => {
      const { doctorCommand } = await import('./doctor.js');
      result.code = await doctorCommand(flags, io);
    });
  return program;
}
export async function runProgram(argv: string[], io: CliIO): Promise<number> {
  return withLang(langForArgs(argv, io.env), () => runIn(argv, io));
}

async function runIn(argv: string[], io: CliIO): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, argv, result);
  const fail = (code: number, message: string): number => {
    io.stderr.write(`${t('cli:error.prefix', { message })}\n`);
    return code;
  };
  // `glm-vision config | head`: the reader leaving is not an error. Other stdout failures are,
  // for the commands that print straight to it (catalog and its sinks report their own).
  let stdoutFailure: NodeJS.ErrnoException | undefined;
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    stdoutFailure ??= error;
  };
  // Stays attached: an EPIPE can still be emitted while the process exits.
  io.stdout.on('error', onStdoutError);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    // A failed write is reported after the command returns: wait until what it printed is out.
    await new Promise<void>((resolve) => io.stdout.write('', () => resolve()));
    if (stdoutFailure && stdoutFailure.code !== 'EPIPE' && result.code === 0) {
      return fail(ExitCode.cantWrite, t('cli:error.stdout', { why: whyWriteFailed(stdoutFailure) }));
    }
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : ExitCode.usage;
    }
    if (error instanceof OutputClosed) return result.code; // the reader went away (`| head`)
    // A catalog run prints its error before its summary.
    if (!wasTold(error)) tellError(error, io);
    return errorLine(error).code;
  }
}
