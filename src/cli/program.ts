// The command line's program: every command, its options and help, each command's
// module loaded only when it runs. main.ts hands argv here; it returns an exit code
// and never throws: expected errors print one line, never a stack.
import { Command, CommanderError, Option } from 'commander';
import { OutputClosed, whyWriteFailed } from '../emit/sink.js';
import { ExitCode, exitCodeFor } from '../support/errors.js';
import { VERSION } from '../support/version.js';
import { CATALOG_DEFAULTS } from '../config/defaults.js';
import { DEFAULT_RENDER_CPU_LIMIT_S, DEFAULT_RENDER_MEMORY_MB } from '../config/constants.js';
import { CACHE_LOCK_MODES, CONFIG_HELP, DOCTOR_DEFAULTS, DOCTOR_EXIT_CODES_HELP, REPORT_DEFAULTS } from './defaults.js';
// Only types from the command modules: each action imports its module when that command runs, so
// --help, --version and one command never load what the others need (sharp, SQLite, the backends).
import type { CatalogFlags } from './catalog.js';
import type { DoctorFlags } from './doctor.js';
import type { CacheFlags, ExportFlags, PruneFlags, WriteFlags } from './cache.js';
import type { CliIO } from './io.js';
import type { XmpFlags } from './xmp.js';
import type { ReportFlags } from './report.js';

/** Written in --help and the README; keep the two in step. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    every file ok or cached
  1    the run finished but some rows failed or were cut off at --max-tokens (see the status and
       error columns), or a folder below an input could not be read (listed in the summary)
  2    usage or configuration error, also when the server says the model name, URL, a parameter
       or the API key is wrong (the run stops at the first such answer)
  66   no input: a path is missing or cannot be opened, or holds no image or PDF (--allow-empty)
  70   internal error (a bug: please report it with GLM_VISION_DEBUG=1 output)
  74   the catalog could not be written (-o path unwritable, disk full); the cache keeps finished results
  75   a temporary failure stopped the run (every endpoint or the model hub unreachable, cache in use with --lock skip); cron may retry
  130  interrupted by SIGINT/SIGTERM: finished answers are saved in the cache, an existing -o file
       is left as it was (the next run writes the whole catalog from the cache in seconds)
`;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function buildProgram(io: CliIO, argv: string[], result: { code: number }): Command {
  const program = new Command('glm-vision')
    .description('Catalog folders of scans and photos with a vision-language model (GLM-4.6V-Flash and friends).')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  const catalog = program
    .command('catalog')
    .description('Describe every image under the given files and folders; write one catalog row per file.')
    .argument('[paths...]', 'image files and folders (walked recursively)')
    .option('--files-from <file>', 'read paths from FILE, or - for stdin (newline- or NUL-separated)')
    .option('--include <glob>', 'only files matching GLOB (repeatable)', collect, [])
    .option('--exclude <glob>', 'skip files and folders matching GLOB (repeatable)', collect, [])
    .option('--hidden', 'include hidden files and folders')
    .option('--no-hidden', 'skip hidden files and folders (overrides a config file or the environment)')
    .option('--follow-symlinks', 'follow symbolic links inside folders (loops are detected)')
    .option('--no-follow-symlinks', 'do not follow symbolic links (overrides a config file or the environment)')
    .option('--shard <i/n>', 'catalog only part i of n of the files (split by path), for n machines sharing one archive')
    .option('-p, --prompt <name|file>', 'built-in prompt name or a template file', CATALOG_DEFAULTS.prompt)
    .option('--lang <en|zh>', 'language of built-in prompts (default: from LANG, else en)')
    .option('--question <text>', 'the question for --prompt qa (same as --set question=TEXT)')
    .option('--set <key=value>', 'set a template variable (repeatable)', collect, [])
    .option('--temperature <n>', "sampling temperature (default: the template's)")
    .option('--top-p <n>', "nucleus sampling (default: the template's)")
    .option('--max-tokens <n>', "answer length limit (default: the template's)")
    .option('--seed <n>', 'sampling seed, where the server supports it')
    .addOption(new Option('--backend <name>', 'inference backend (default: openai with --endpoint, else onnx)').choices(['openai', 'onnx']))
    .option('--dtype <name>', 'onnx: graph variant auto|fp32|fp16|q4|q4f16|int8|uint8|q8|bnb4', CATALOG_DEFAULTS.dtype)
    .option('--device <name>', 'onnx: cpu|cuda|auto (auto: CUDA when its provider is installed, else CPU)', CATALOG_DEFAULTS.device)
    .option('--threads <n>', 'onnx: CPU threads for the model (default: all cores)')
    .option('--batch-size <n>', 'onnx: most images in one batch', CATALOG_DEFAULTS.batchSize)
    .option('--batch-wait-ms <n>', 'onnx: how long a request waits for a fuller batch', CATALOG_DEFAULTS.batchWaitMs)
    .option('--batch-tokens <n>', 'onnx: most visual tokens in one batch', CATALOG_DEFAULTS.batchTokens)
    .option('--endpoint <url>', 'OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (repeatable)', collect, [])
    .option('-m, --model <name|dir>', 'model name as the server knows it, or (onnx) a folder or a Hugging Face id org/name[@revision]')
    .option('--api-key <key>', 'API key (default: $GLM_VISION_API_KEY, $OPENAI_API_KEY, $ZHIPUAI_API_KEY)')
    .option('--flavor <name>', 'server quirks: auto|vllm|sglang|zhipu|ollama|llamacpp|openai|infer', CATALOG_DEFAULTS.flavor)
    .option('-j, --concurrency <n>', 'requests in flight', CATALOG_DEFAULTS.concurrency)
    .option('--timeout <seconds>', 'per-request timeout', CATALOG_DEFAULTS.timeout)
    .option('--retries <n>', 'retries for 408/409/429/5xx, resets and timeouts', CATALOG_DEFAULTS.retries)
    .option('--max-pixels <n>', 'resize images to at most N pixels (default: 1003520 for servers, 100352 for the onnx engine)')
    .option('--max-input-pixels <n>', 'refuse images larger than N pixels (decompression-bomb guard)', CATALOG_DEFAULTS.maxInputPixels)
    .option('--pages <spec>', 'pages of PDFs and multi-page TIFFs: all, first, N, N-M, N- or a list such as 1-3,7', CATALOG_DEFAULTS.pages)
    .option('--dpi <n>', 'render PDF pages at N dots per inch (then fit to --max-pixels)', CATALOG_DEFAULTS.dpi)
    .option('--max-pages <n>', 'a document with more pages selected than N is one error row (PDF-bomb guard)', CATALOG_DEFAULTS.maxPages)
    .option('--render-memory <MB>', 'memory for rendering PDFs, all threads together (each of N threads gets MB/N); a document needing more is one error row', String(DEFAULT_RENDER_MEMORY_MB))
    .option('--render-cpu-limit <seconds>', 'CPU time opening a PDF or rendering one page may take; a document over it is one error row', String(DEFAULT_RENDER_CPU_LIMIT_S))
    .option('--group-pages', "one row per document, its pages' answers joined (JSONL: an array), instead of one row per page")
    .option('--no-group-pages', 'one row per page (overrides a config file or the environment)')
    .option('-o, --output <file>', 'write the catalog to FILE instead of stdout (- is stdout). A file is replaced only when the run completes: an interrupted or failed run leaves it as it was, with the finished answers in the cache. A device or FIFO is written into directly')
    .option('--format <csv|jsonl|exiftool>', 'catalog format (default: from the -o extension, else jsonl); exiftool: a CSV for exiftool -csv= (XMP description, title, keywords)')
    .option('--bom', 'start CSV with a UTF-8 byte-order mark (for Excel)')
    .option('--no-bom', 'no byte-order mark (overrides a config file or the environment)')
    .option('--cache <file>', 'cache database (default: $GLM_VISION_CACHE or ~/.cache/glm-vision/cache.db)')
    .option('--refresh', 'ignore cached results: infer again and replace them (the same --refresh run again after an interrupt carries on where it stopped)')
    .option('--retry-failed', 'open again the documents the cache remembers as failed for a reason of their own (encrypted, corrupt, over a limit); --refresh does too')
    .option('--no-retry-failed', 'use remembered failures (overrides a config file or the environment)')
    .option('--allow-empty', 'write an empty catalog (exit 0) when the inputs hold no image or PDF, instead of exit 66')
    .option('--no-allow-empty', 'exit 66 when the inputs hold nothing (overrides a config file or the environment)')
    .option('--metrics-file <file>', "write the run's metrics in Prometheus text format to FILE (node_exporter's textfile collector), atomically, at the end of every run")
    .option('--lock <wait|skip|none>', 'another run on the same cache: wait for it, skip this run (exit 75), or none (no lock)', CATALOG_DEFAULTS.lock)
    .option('-q, --quiet', 'no progress, warnings or summary on stderr')
    .option('--no-quiet', 'progress, warnings and summary (overrides a config file or the environment)')
    .option('--config <file>', 'read settings from FILE (default: $GLM_VISION_CONFIG, else the nearest glm-vision.config.json here or above; see glm-vision config)')
    .option('--no-config', 'read no config file')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (paths: string[], _flags: CatalogFlags, cmd: Command) => {
      // Settings first: a bad config file or environment value fails before the catalog's modules load.
      const flags = (await import('./config.js')).catalogSettings(cmd, io);
      const { catalogCommand } = await import('./catalog.js');
      result.code = await catalogCommand(paths, flags, argv, io);
    });

  const config = program
    .command('config')
    .description('Print the settings a catalog run with the same options would use, and where each comes from: flag, environment, config file or default.')
    .argument('[paths...]', 'ignored, so that config can stand in for catalog in any command line')
    .option('--json', 'print JSON: {config, settings: {KEY: {value, source, from?, note?}}}')
    .addHelpText('after', CONFIG_HELP)
    .action(async (_paths: string[], _flags: unknown, cmd: Command) => {
      const { configCommand } = await import('./config.js');
      result.code = configCommand(cmd, io);
    });
  for (const option of catalog.options) config.addOption(option);

  program
    .command('report')
    .description('Make one self-contained HTML page from a catalog: a thumbnail beside each answer, filters by status, text search.')
    .argument('<catalog>', 'a catalog file written by catalog (JSONL or CSV)')
    .option('-o, --output <file>', 'write the page to FILE instead of stdout (- is stdout). A regular file is replaced atomically, only once the page is complete: a failed or interrupted run leaves it as it was. A device or FIFO is written into directly')
    .option('--base <dir>', 'the folder the catalog run started in: SourceFile paths are relative to it (default: the current folder)')
    .option('--thumb-size <px>', 'longest side of the thumbnails, 32 to 1024', REPORT_DEFAULTS.thumbSize)
    .option('--no-thumbnails', 'no thumbnails: do not read the images at all')
    .option('-j, --concurrency <n>', 'images decoded at once', REPORT_DEFAULTS.concurrency)
    .option('--max-input-pixels <n>', 'no thumbnail for images larger than N pixels (decompression-bomb guard)', REPORT_DEFAULTS.maxInputPixels)
    .option('-q, --quiet', 'no warnings or summary on stderr')
    .action(async (catalog: string, flags: ReportFlags) => {
      const { reportCommand } = await import('./report.js');
      result.code = await reportCommand(catalog, flags, io);
    });

  program
    .command('xmp')
    .description("Write a catalog's answers as XMP metadata (description, title, keywords) in sidecar files, or as a CSV for exiftool; images are never modified.")
    .argument('<catalog>', 'a catalog written by glm-vision catalog (.jsonl or .csv)')
    .option('--sidecars', 'write an XMP sidecar beside each image, merged into one that exists')
    .option('--csv', 'write the CSV that `exiftool -csv=FILE -sep "; " DIR` applies (to -o FILE or stdout)')
    .option('--sidecar-name <photo.jpg.xmp|photo.xmp>', 'sidecar naming: photo.jpg.xmp (darktable, digiKam) or photo.xmp (Lightroom)', 'photo.jpg.xmp')
    .option('--base <dir>', 'the folder the catalog run started in, which SourceFile paths are relative to (default: the current folder)')
    .option('--title <fields>', 'catalog fields for the title, first non-empty wins (default: title,caption)')
    .option('--description <fields>', 'catalog fields for the description (default: description,summary,caption; text jobs: the answer)')
    .option('--keywords <fields>', 'catalog fields whose lists become keywords (default: tags,keywords,subjects,subject,objects)')
    .option('--overwrite', 'replace a title, description or note that someone else wrote (default: keep it)')
    .option('--dry-run', 'report what would change; write nothing')
    .option('-o, --output <file>', 'with --csv: write to FILE instead of stdout (- is stdout). A regular file is replaced atomically, only once the CSV is complete: a failed run leaves it as it was. A device or FIFO is written into directly')
    .option('-q, --quiet', 'no summary on stderr unless something failed')
    .action(async (catalog: string, flags: XmpFlags) => {
      const { xmpCommand } = await import('./xmp.js');
      result.code = await xmpCommand(catalog, flags, io);
    });

  const prompts = program.command('prompts').description('List and print prompt templates.');
  prompts
    .command('list')
    .description('list the built-in prompt templates')
    .option('--lang <en|zh>', 'language (default: from LANG, else en)')
    .action(async (flags: { lang?: string }) => {
      const { promptsList } = await import('./prompts.js');
      result.code = promptsList(flags, io);
    });
  prompts
    .command('show')
    .description('print a template (built-in name or file)')
    .argument('<name>')
    .option('--lang <en|zh>', 'language (default: from LANG, else en)')
    .action(async (name: string, flags: { lang?: string }) => {
      const { promptsShow } = await import('./prompts.js');
      result.code = promptsShow(name, flags, io);
    });
  const models = program.command('models').description("The local engine's models, in the shared Hugging Face cache ($HF_HUB_CACHE).");
  models
    .command('list')
    .description('list the models in the Hugging Face cache, with size, refs and complete dtypes')
    .action(async () => {
      const { modelsList } = await import('./models.js');
      result.code = modelsList(io);
    });
  models
    .command('pull')
    .description('download a model from the Hub ($HF_ENDPOINT) into the cache; prints its folder')
    .argument('<id>', 'org/name or org/name@revision')
    .option('--dtype <name>', 'graph variant auto|fp32|fp16|q4|q4f16|int8|uint8|q8|bnb4', 'auto')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (id: string, flags: { dtype?: string; quiet?: boolean }) => {
      const { modelsPull } = await import('./models.js');
      result.code = await modelsPull(id, flags, io);
    });
  models
    .command('info')
    .description("what the cache has of a model, and the Hub's download size for each dtype")
    .argument('<id>', 'org/name or org/name@revision')
    .action(async (id: string) => {
      const { modelsInfo } = await import('./models.js');
      result.code = await modelsInfo(id, io);
    });
  models
    .command('rm')
    .description('delete a model (every revision) from the Hugging Face cache')
    .argument('<id>', 'org/name')
    .action(async (id: string) => {
      const { modelsRm } = await import('./models.js');
      result.code = await modelsRm(id, io);
    });
  const cacheHelp = '(default: $GLM_VISION_CACHE, the config file\'s "cache", or ~/.cache/glm-vision/cache.db)';
  const lockHelp = `another run on the same cache: ${CACHE_LOCK_MODES.join(' for it, or ')} (exit 75)`;
  const cache = program.command('cache').description('Inspect and maintain the cache database: stats, export, prune, vacuum, merge.');
  cache
    .command('stats')
    .description('what the cache holds: size, files, images, results by job, model and status, last runs')
    .option('--cache <file>', `cache database ${cacheHelp}`)
    .option('--runs <n>', 'how many recent runs to list', '5')
    .option('--json', 'print one JSON object instead of tables')
    .action(async (flags: CacheFlags & { runs: string }) => {
      const { cacheStatsCommand } = await import('./cache.js');
      result.code = cacheStatsCommand(flags, io);
    });
  cache
    .command('export')
    .description('every cached answer as JSONL, with its image hash, job, model and the paths it is known by')
    .option('--cache <file>', `cache database ${cacheHelp}`)
    .option('-o, --output <file>', 'write to FILE instead of stdout (- is stdout). A regular file is replaced atomically, only once the export is complete: a failed run leaves it as it was. A device or FIFO is written into directly')
    .option('--job <fingerprint>', 'only this job (a fingerprint prefix from cache stats; repeatable)', collect, [])
    .option('--model <name>', 'only answers from this model (repeatable)', collect, [])
    .option('-q, --quiet', 'no summary on stderr')
    .action(async (flags: ExportFlags) => {
      const { cacheExportCommand } = await import('./cache.js');
      result.code = await cacheExportCommand(flags, io);
    });
  cache
    .command('prune')
    .description('remove old or unused answers, or those of files that are gone')
    .option('--cache <file>', `cache database ${cacheHelp}`)
    .option('--older-than <age>', 'remove answers inferred before AGE ago (90d, 12h, 2w, 1y) or before a date (YYYY-MM-DD)')
    .option('--unused-for <age>', 'remove the answers of jobs no run has used for AGE')
    .option('--missing', 'forget indexed files that no longer exist, then the answers no indexed file has')
    .option('--relative-to <dir>', 'with --missing: the folder relative paths in the index are relative to (else they are kept)')
    .option('--force', 'with --missing: prune even when every indexed file is missing (an unmounted archive looks like that)')
    .option('--job <fingerprint>', 'only answers of this job; alone: all its answers (repeatable)', collect, [])
    .option('--dry-run', 'report what would be removed; remove nothing')
    .option('--lock <wait|skip>', lockHelp, 'wait')
    .option('--json', 'print the report as JSON')
    .action(async (flags: PruneFlags) => {
      const { cachePruneCommand } = await import('./cache.js');
      result.code = await cachePruneCommand(flags, io);
    });
  cache
    .command('vacuum')
    .description('empty the WAL and rebuild the database file, giving the space of removed rows back')
    .option('--cache <file>', `cache database ${cacheHelp}`)
    .option('--lock <wait|skip>', lockHelp, 'wait')
    .option('--json', 'print the report as JSON')
    .action(async (flags: WriteFlags) => {
      const { cacheVacuumCommand } = await import('./cache.js');
      result.code = await cacheVacuumCommand(flags, io);
    });
  cache
    .command('merge')
    .description("add other caches' answers (e.g. from catalog --shard on other machines) to this one; the others are only read")
    .argument('<other...>', 'cache files to merge in')
    .option('--cache <file>', `cache database to merge into, created if missing ${cacheHelp}`)
    .option('--lock <wait|skip>', lockHelp, 'wait')
    .option('--json', 'print the report as JSON')
    .action(async (others: string[], flags: WriteFlags) => {
      const { cacheMergeCommand } = await import('./cache.js');
      result.code = await cacheMergeCommand(others, flags, io);
    });
  // Every cache tool finds its cache as catalog does, config file included.
  for (const sub of cache.commands) {
    sub
      .option('--config <file>', 'the config file whose "cache" to use (default: the nearest glm-vision.config.json)')
      .option('--no-config', 'read no config file');
  }
  program
    .command('doctor')
    .description('Check this machine before a catalog run (Node, image decoders, ONNX Runtime, cache, endpoints, model); print a fix for each problem.')
    .option('--endpoint <url>', 'also check this OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (repeatable)', collect, [])
    .option('-m, --model <name|dir>', `with --endpoint: the model the servers must serve; without: the local model (folder or Hugging Face id) to look for (default: ${DOCTOR_DEFAULTS.model})`)
    .option('--api-key <key>', 'API key for the endpoints (default: $GLM_VISION_API_KEY, $OPENAI_API_KEY, $ZHIPUAI_API_KEY)')
    .option('--cache <file>', 'cache database to check (default: $GLM_VISION_CACHE or ~/.cache/glm-vision/cache.db)')
    .option('--config <file>', 'take endpoints, model, key and cache from FILE, as catalog does (default: the nearest glm-vision.config.json)')
    .option('--no-config', 'read no config file')
    .option('--timeout <seconds>', 'time limit for each endpoint', DOCTOR_DEFAULTS.timeout)
    .option('--json', 'print the checks as a JSON array of {check, status, detail, fix}')
    .addHelpText('after', DOCTOR_EXIT_CODES_HELP)
    .action(async (flags: DoctorFlags) => {
      const { doctorCommand } = await import('./doctor.js');
      result.code = await doctorCommand(flags, io);
    });
  return program;
}

export async function runProgram(argv: string[], io: CliIO): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, argv, result);
  const fail = (code: number, message: string): number => {
    io.stderr.write(`glm-vision: ${message}\n`);
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
      return fail(ExitCode.cantWrite, `Cannot write to stdout: ${whyWriteFailed(stdoutFailure)}`);
    }
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : ExitCode.usage;
    }
    if (error instanceof OutputClosed) return result.code; // the reader went away (`| head`)
    const code = exitCodeFor(error);
    if (code !== ExitCode.internal) return fail(code, (error as Error).message);
    if (io.env.GLM_VISION_DEBUG) io.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return fail(ExitCode.internal, `internal error: ${(error as Error).message ?? String(error)} (set GLM_VISION_DEBUG=1 for details)`);
  }
}
