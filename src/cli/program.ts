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
import { CONFIG_NAME } from '../config/find.js';
import { helpConfiguration, helpWidth, wrapText } from './help-layout.js';
import { helpText, type HelpText } from './help-text.js';
import { commanderError } from './commander-words.js';
import { tellError, wasTold, errorLine } from './error-line.js';
import type { CliIO } from './io.js';
import { langForArgs, t, withLang } from '../i18n/index.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The commander options of one table entry: the flag, and its --no- form, in --help's language and group. */
function commanderOptions(o: OptionSpec, text: HelpText): Option[] {
  const grouped = (option: Option): Option => (o.group ? option.helpGroup(text.command(`groups.${o.group}`)) : option);
  if (o.negatedOnly) return [grouped(new Option(flagsOf(o), text.option(o)))];
  const option = grouped(new Option(flagsOf(o), text.option(o)));
  if (o.repeatable) option.argParser(collect).default([]);
  else if (o.default !== undefined) option.default(o.default);
  if (o.commanderChoices && o.check?.type === 'choice') option.choices(o.check.of);
  const negated = o.negate !== undefined ? [grouped(new Option(`--no-${o.key}`, text.option(o, true)))] : [];
  return [option, ...negated];
}

/** A command with its options from the table; where they are grouped, -h goes in the last group. */
function withOptions(cmd: Command, name: CommandName, text: HelpText): Command {
  const options = optionsFor(name);
  for (const o of options) for (const option of commanderOptions(o, text)) cmd.addOption(option);
  const last = options.findLast((o) => o.group)?.group;
  if (last) cmd.addHelpOption(new Option('-h, --help', text.command('help.helpOption')).helpGroup(text.command(`groups.${last}`)));
  return cmd;
}

/** Text after a command's options, wrapped to the width of the stream it goes to. */
function after(io: CliIO, make: (width: number) => string): (context: { error: boolean }) => string {
  return ({ error }) => make(helpWidth(error ? io.stderr : io.stdout));
}

/** "Exit codes:" and a line (or more) per code. */
function exitCodes(text: HelpText, which: 'catalog' | 'doctor' | 'batch'): (width: number) => string {
  return (width) => {
    const rows = text.exitCodes(which).map(([code, meaning]) =>
      wrapText(meaning, width - 7).split('\n').map((line, i) => `  ${(i ? '' : code).padEnd(5)}${line}`).join('\n'));
    return `\n${text.command('help.exitCodes')}\n${rows.join('\n')}\n`;
  };
}

function examples(text: HelpText, key: string): (width: number) => string {
  return () => `\n${text.command('help.examples')}\n${text.command(key).replace(/^/gm, '  ')}\n`;
}

function buildProgram(io: CliIO, argv: string[], result: { code: number }): Command {
  const text = helpText;
  const program = new Command('glm-vision')
    .description(text.command('glm-vision.description'))
    .version(VERSION, '-V, --version', text.command('help.version'))
    .helpOption('-h, --help', text.command('help.helpOption'))
    .helpCommand('help [command]', text.command('help.helpCommand'))
    .configureHelp(helpConfiguration(text))
    .exitOverride()
    // A command's options belong to it, not to its parent: `review import F --cache X` (review has --cache too).
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
    })
    .configureOutput({ outputError: (s, write) => write(commanderError(s)) })
    .showHelpAfterError(t('cli:help.afterError'))
    .addHelpText('after', after(io, exitCodes(text, 'catalog')));
  const command = (parent: Command, name: CommandName): Command =>
    withOptions(parent.command(name.split(' ').pop() as string).description(text.command(`${name}.description`)), name, text);

  command(program, 'catalog')
    .argument('[paths...]', text.command('catalog.paths'))
    .addHelpText('after', after(io, (width) => examples(text, 'catalog.examples')(width) + exitCodes(text, 'catalog')(width)))
    .action(async (paths: string[], _flags: unknown, cmd: Command) => {
      // Settings first: a bad config file or environment value fails before the catalog's modules load.
      const flags = (await import('./config.js')).catalogSettings(cmd, io);
      const { catalogCommand } = await import('./catalog.js');
      result.code = await catalogCommand(paths, flags, argv, io);
    });

  command(program, 'ask')
    .argument('<image>', text.command('ask.image'))
    .argument('[question]', text.command('ask.question'))
    .addHelpText('after', after(io, exitCodes(text, 'catalog')))
    .action(async (image: string, question: string | undefined, _flags: unknown, cmd: Command) => {
      const flags = (await import('./config.js')).catalogSettings<AskFlags>(cmd, io);
      const { askCommand } = await import('./ask.js');
      result.code = await askCommand(image, question, flags, cmd.getOptionValueSource('prompt') === 'cli', argv, io);
    });

  command(program, 'config')
    .argument('[paths...]', text.command('config.paths'))
    .addHelpText('after', after(io, (width) => `\n${wrapText(text.command('config.after', { file: CONFIG_NAME }), width)}\n`))
    .action(async (_paths: string[], _flags: unknown, cmd: Command) => {
      const { configCommand } = await import('./config.js');
      result.code = configCommand(cmd, io);
    });

  command(program, 'report')
    .argument('<catalog>', text.command('report.catalog'))
    .action(async (catalog: string, flags: ReportFlags) => {
      const { reportCommand } = await import('./report.js');
      result.code = await reportCommand(catalog, flags, io);
    });

  command(program, 'xmp')
    .argument('<catalog>', text.command('xmp.catalog'))
    .action(async (catalog: string, flags: XmpFlags) => {
      const { xmpCommand } = await import('./xmp.js');
      result.code = await xmpCommand(catalog, flags, io);
    });

  const prompts = program.command('prompts').description(text.command('prompts.description'));
  command(prompts, 'prompts list')
    .action(async (flags: PromptsFlags) => {
      const { promptsList } = await import('./prompts.js');
      result.code = promptsList(flags, io);
    });
  command(prompts, 'prompts show')
    .argument('<name>')
    .action(async (name: string, flags: PromptsFlags) => {
      const { promptsShow } = await import('./prompts.js');
      result.code = promptsShow(name, flags, io);
    });

  const models = program.command('models').description(text.command('models.description'));
  command(models, 'models list')
    .action(async () => {
      const { modelsList } = await import('./models.js');
      result.code = modelsList(io);
    });
  command(models, 'models pull')
    .argument('<id>', text.command('models.id'))
    .action(async (id: string, flags: ModelsPullFlags) => {
      const { modelsPull } = await import('./models.js');
      result.code = await modelsPull(id, flags, io);
    });
  command(models, 'models info')
    .argument('<id>', text.command('models.id'))
    .action(async (id: string) => {
      const { modelsInfo } = await import('./models.js');
      result.code = await modelsInfo(id, io);
    });
  command(models, 'models rm')
    .argument('<id>', text.command('models rm.id'))
    .action(async (id: string) => {
      const { modelsRm } = await import('./models.js');
      result.code = await modelsRm(id, io);
    });

  const cache = program.command('cache').description(text.command('cache.description'));
  command(cache, 'cache stats')
    .action(async (flags: CacheStatsFlags) => {
      const { cacheStatsCommand } = await import('./cache.js');
      result.code = cacheStatsCommand(flags, io);
    });
  command(cache, 'cache export')
    .action(async (flags: ExportFlags) => {
      const { cacheExportCommand } = await import('./cache.js');
      result.code = await cacheExportCommand(flags, io);
    });
  command(cache, 'cache prune')
    .action(async (flags: PruneFlags) => {
      const { cachePruneCommand } = await import('./cache.js');
      result.code = await cachePruneCommand(flags, io);
    });
  command(cache, 'cache vacuum')
    .action(async (flags: WriteFlags) => {
      const { cacheVacuumCommand } = await import('./cache.js');
      result.code = await cacheVacuumCommand(flags, io);
    });
  command(cache, 'cache merge')
    .argument('<other...>', text.command('cache merge.other'))
    .action(async (others: string[], flags: WriteFlags) => {
      const { cacheMergeCommand } = await import('./cache.js');
      result.code = await cacheMergeCommand(others, flags, io);
    });

  // `review [CATALOG…]` serves the review page (its own action); `review import` and `review export`
  // are subcommands: commander runs a subcommand when the first operand names one, else the action.
  const review = command(program, 'review')
    .enablePositionalOptions()
    .argument('[catalogs...]', text.command('review.catalogs'))
    .action(async (catalogs: string[], flags: ReviewFlags) => {
      const { reviewCommand } = await import('./review.js');
      result.code = await reviewCommand(catalogs, flags, io);
    });
  command(review, 'review import')
    .argument('<file>', text.command('review import.file'))
    .action(async (file: string, flags: ReviewImportFlags) => {
      const { reviewImportCommand } = await import('./review-io.js');
      result.code = reviewImportCommand(file, flags, io);
    });
  command(review, 'review export')
    .action(async (flags: ReviewExportFlags) => {
      const { reviewExportCommand } = await import('./review-io.js');
      result.code = await reviewExportCommand(flags, io);
    });

  // The catalog's requests as OpenAI batch files, for vllm run-batch or a /files + /batches service.
  const batch = program.command('batch')
    .description(text.command('batch.description'))
    .addHelpText('after', after(io, exitCodes(text, 'batch')));
  command(batch, 'batch export')
    .argument('[paths...]', text.command('batch.paths'))
    .action(async (paths: string[], _flags: unknown, cmd: Command) => {
      // The catalog's settings (config file, environment): the same job as the catalog run that follows.
      const flags = (await import('./config.js')).catalogSettings<BatchExportFlags>(cmd, io);
      const { batchExportCommand } = await import('./batch.js');
      result.code = await batchExportCommand(paths, flags, io);
    });
  command(batch, 'batch import')
    .argument('<results...>', text.command('batch import.results'))
    .action(async (files: string[], flags: BatchImportFlags) => {
      const { batchImportCommand } = await import('./batch.js');
      result.code = await batchImportCommand(files, flags, io);
    });
  command(batch, 'batch submit')
    .argument('[paths...]', text.command('batch.paths'))
    .action(async (paths: string[], _flags: unknown, cmd: Command) => {
      const flags = (await import('./config.js')).catalogSettings<BatchSubmitFlags>(cmd, io);
      const { batchSubmitCommand } = await import('./batch.js');
      result.code = await batchSubmitCommand(paths, flags, io);
    });
  command(batch, 'batch status')
    .action(async (flags: BatchStatusFlags) => {
      const { batchStatusCommand } = await import('./batch.js');
      result.code = await batchStatusCommand(flags, io);
    });
  command(batch, 'batch fetch')
    .action(async (flags: BatchFetchFlags) => {
      const { batchFetchCommand } = await import('./batch.js');
      result.code = await batchFetchCommand(flags, io);
    });

  command(program, 'doctor')
    .addHelpText('after', after(io, exitCodes(text, 'doctor')))
    .action(async (flags: DoctorFlags) => {
      const { doctorCommand } = await import('./doctor.js');
      result.code = await doctorCommand(flags, io);
    });

  command(program, 'message')
    .argument('<name>', text.command('message.name'))
    .argument('[values...]', text.command('message.values'))
    .action(async (name: string, values: string[]) => {
      const { messageCommand } = await import('./message.js');
      result.code = messageCommand(name, values, io);
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
