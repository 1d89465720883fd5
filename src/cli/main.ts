// The command line. bin/ calls main(), which returns an exit code and never
// throws: expected errors print one line, never a stack.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { OutputError } from '../emit/sink.js';
import { ExitCode, TemporaryFailure, UsageError } from '../errors.js';
import { WalkError } from '../walk.js';
import { CATALOG_DEFAULTS, catalogCommand, type CatalogFlags } from './catalog.js';
import type { CliIO } from './io.js';
import { modelsInfo, modelsList, modelsPull, modelsRm } from './models.js';
import { promptsList, promptsShow } from './prompts.js';

/** Written in --help and the README; keep the two in step. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    every file ok or cached
  1    the run finished but some files failed (see the status and error columns)
  2    usage or configuration error
  70   internal error (a bug: please report it with GLM_VISION_DEBUG=1 output)
  74   the catalog could not be written (-o path unwritable, disk full); the cache keeps finished results
  75   a temporary failure stopped the run (every endpoint or the model hub unreachable, cache in use with --lock skip); cron may retry
  130  interrupted by SIGINT/SIGTERM, after saving finished work
`;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function buildProgram(io: CliIO, argv: string[], result: { code: number }): Command {
  const program = new Command('glm-vision')
    .description('Catalog folders of scans and photos with a vision-language model (GLM-4.6V-Flash and friends).')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('catalog')
    .description('Describe every image under the given files and folders; write one catalog row per file.')
    .argument('[paths...]', 'image files and folders (walked recursively)')
    .option('--files-from <file>', 'read paths from FILE, or - for stdin (newline- or NUL-separated)')
    .option('--include <glob>', 'only files matching GLOB (repeatable)', collect, [])
    .option('--exclude <glob>', 'skip files and folders matching GLOB (repeatable)', collect, [])
    .option('--hidden', 'include hidden files and folders')
    .option('--follow-symlinks', 'follow symbolic links inside folders (loops are detected)')
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
    .option('-o, --output <file>', 'write the catalog to FILE (atomically) instead of stdout')
    .option('--format <csv|jsonl>', 'catalog format (default: from the -o extension, else jsonl)')
    .option('--bom', 'start CSV with a UTF-8 byte-order mark (for Excel)')
    .option('--cache <file>', 'cache database (default: $GLM_VISION_CACHE or ~/.cache/glm-vision/cache.db)')
    .option('--refresh', 'ignore cached results: infer again and replace them')
    .option('--lock <wait|skip|none>', 'another run on the same cache: wait for it, skip this run (exit 75), or none (no lock)', CATALOG_DEFAULTS.lock)
    .option('-q, --quiet', 'no progress, warnings or summary on stderr')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (paths: string[], flags: CatalogFlags) => {
      result.code = await catalogCommand(paths, flags, argv, io);
    });

  const prompts = program.command('prompts').description('List and print prompt templates.');
  prompts
    .command('list')
    .description('list the built-in prompt templates')
    .option('--lang <en|zh>', 'language (default: from LANG, else en)')
    .action((flags: { lang?: string }) => {
      result.code = promptsList(flags, io);
    });
  prompts
    .command('show')
    .description('print a template (built-in name or file)')
    .argument('<name>')
    .option('--lang <en|zh>', 'language (default: from LANG, else en)')
    .action((name: string, flags: { lang?: string }) => {
      result.code = promptsShow(name, flags, io);
    });
  const models = program.command('models').description("The local engine's models, in the shared Hugging Face cache ($HF_HUB_CACHE).");
  models
    .command('list')
    .description('list the models in the Hugging Face cache, with size, refs and complete dtypes')
    .action(() => {
      result.code = modelsList(io);
    });
  models
    .command('pull')
    .description('download a model from the Hub ($HF_ENDPOINT) into the cache; prints its folder')
    .argument('<id>', 'org/name or org/name@revision')
    .option('--dtype <name>', 'graph variant auto|fp32|fp16|q4|q4f16|int8|uint8|q8|bnb4', 'auto')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (id: string, flags: { dtype?: string; quiet?: boolean }) => {
      result.code = await modelsPull(id, flags, io);
    });
  models
    .command('info')
    .description("what the cache has of a model, and the Hub's download size for each dtype")
    .argument('<id>', 'org/name or org/name@revision')
    .action(async (id: string) => {
      result.code = await modelsInfo(id, io);
    });
  models
    .command('rm')
    .description('delete a model (every revision) from the Hugging Face cache')
    .argument('<id>', 'org/name')
    .action(async (id: string) => {
      result.code = await modelsRm(id, io);
    });
  return program;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, argv, result);
  const fail = (code: number, message: string): number => {
    io.stderr.write(`glm-vision: ${message}\n`);
    return code;
  };
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : ExitCode.usage;
    }
    if (error instanceof UsageError || error instanceof WalkError) return fail(ExitCode.usage, error.message);
    if (error instanceof TemporaryFailure) return fail(ExitCode.tempFail, error.message);
    if (error instanceof OutputError) return fail(74, error.message);
    if (io.env.GLM_VISION_DEBUG) io.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return fail(70, `internal error: ${(error as Error).message ?? String(error)} (set GLM_VISION_DEBUG=1 for details)`);
  }
}
