// The catalog's inputs and output as the command line names them: the paths to walk, the
// catalog's format, the metrics file, and the words messages and the runs table use for them.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { sha256 } from '../pipeline/hash.js';
import { shardLabel, type Shard } from '../pipeline/shard.js';
import { splitFileList } from '../pipeline/walk.js';
import { FORMATS, type Format } from '../emit/writers.js';
import { OutputError, whyWriteFailed } from '../emit/sink.js';
import { UsageError } from '../support/errors.js';
import { oneOf } from '../config/validate.js';
import type { CatalogOptions } from '../config/options.js';
import type { CliIO } from './io.js';
import { t } from '../i18n/index.js';

/**
 * The command line as recorded in the runs table: secrets replaced, and --shard auto as the
 * part it resolved to, so the record says which part a pod did (and reruns it anywhere).
 */
export function recordedArgs(argv: string[], shard: Shard | undefined): string[] {
  const part = shard?.from !== undefined ? shardLabel(shard) : undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--api-key') {
      out.push(a, '***');
      i++;
    } else if (a.startsWith('--api-key=')) {
      out.push('--api-key=***');
    } else if (part !== undefined && a === '--shard') {
      out.push(a, part);
      i++;
    } else if (part !== undefined && a.startsWith('--shard=')) {
      out.push(`--shard=${part}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

export function outputFormat(flags: CatalogOptions): Format {
  if (flags.format) return oneOf('--format', flags.format, FORMATS);
  if (!flags.output || flags.output === '-') return 'jsonl';
  const ext = path.extname(flags.output).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  // A device, FIFO or /dev/fd/N has no extension to go by: like stdout.
  if (isSpecialFile(flags.output)) return 'jsonl';
  throw new UsageError(t('cli:catalog.format.unknown', { file: flags.output }));
}

function isSpecialFile(file: string): boolean {
  try {
    return !statSync(file).isFile();
  } catch {
    return false;
  }
}

export async function inputPaths(paths: string[], flags: Pick<CatalogOptions, 'filesFrom'>, io: CliIO): Promise<string[]> {
  const all = [...paths];
  if (flags.filesFrom !== undefined) {
    let listing: string;
    try {
      listing = flags.filesFrom === '-' ? await text(io.stdin) : readFileSync(flags.filesFrom, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' || code === 'ENOTDIR' ? t('cli:catalog.filesFrom.missing') : whyWriteFailed(error as NodeJS.ErrnoException);
      throw new UsageError(t('cli:catalog.filesFrom.unreadable', { file: flags.filesFrom, why }));
    }
    all.push(...splitFileList(listing));
  }
  if (all.length === 0) throw new UsageError(t('cli:catalog.nothingToCatalog'));
  return all;
}

/** The inputs as a person named them: for messages and the metrics' label. */
export function inputsLabel(paths: string[], flags: Pick<CatalogOptions, 'filesFrom'>): string {
  const parts = [...paths, ...(flags.filesFrom !== undefined ? [`--files-from ${flags.filesFrom}`] : [])];
  const label = parts.join(' ');
  return label.length > 200 ? `${label.slice(0, 199)}…` : label;
}

/** The same inputs, walked the same way, on any night: what "the last run over these inputs" means. */
export function inputsKey(inputs: string[], flags: CatalogOptions, cwd: string, shard: Shard | undefined): string {
  const key = {
    inputs: inputs.map((p) => path.resolve(cwd, p)).sort(),
    // The part, not the words: a pod's --shard auto and a rerun with --shard i/n are the same inputs.
    include: flags.include, exclude: flags.exclude, hidden: !!flags.hidden, shard: shard ? shardLabel(shard) : null,
  };
  return sha256(Buffer.from(JSON.stringify(key)));
}

/** The folder `file` would be written into, when it is one that exists now; else undefined. */
function missingFolder(file: string, cwd: string): string | undefined {
  const dir = path.dirname(path.resolve(cwd, file));
  try {
    return statSync(dir).isDirectory() ? undefined : dir;
  } catch {
    return dir;
  }
}

/** The folder must exist now, not only when the run ends hours later. */
export function checkMetricsFile(file: string, cwd: string): string {
  const dir = missingFolder(file, cwd);
  if (dir !== undefined) throw new UsageError(t('cli:catalog.metricsFolder', { file, dir }));
  return file;
}

/** -o into a folder that is missing fails before anything is walked or asked (exit 74), not when the catalog is written. */
export function checkOutputFolder(file: string, cwd: string): void {
  const dir = missingFolder(file, cwd);
  if (dir !== undefined) throw new OutputError(t('ask:output.noFolder', { file, dir }));
}

export function nothingFound(label: string, flags: Pick<CatalogOptions, 'include' | 'exclude'>, unreadable: number): string {
  const why = [
    ...(flags.include.length || flags.exclude.length ? [t('cli:catalog.nothingFound.filters')] : []),
    ...(unreadable ? [t('cli:catalog.nothingFound.unreadable', { count: unreadable })] : []),
  ];
  return why.length ? t('cli:catalog.nothingFoundWhy', { inputs: label, why: why.join(t('cli:list.semicolon')) }) : t('cli:catalog.nothingFound', { inputs: label });
}
