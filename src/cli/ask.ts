// `glm-vision ask IMAGE [QUESTION]`: one file through the catalog's run (same backends, cache and
// templates), its row kept in memory; prints just the answer (or, with --json, the row).
import { statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_PROMPT } from '../config/constants.js';
import type { AskFlags, CatalogOptions } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import type { CatalogRow } from '../emit/columns.js';
import { newRunStats } from '../pipeline/metrics.js';
import { t } from '../i18n/index.js';
import { UsageError, type ExitCode } from '../support/errors.js';
import { catalog } from './catalog.js';
import type { CliIO } from './io.js';

/** A document's pages asked at once; a single image sends one request anyway. */
const ASK_CONCURRENCY = 4;

/** Keeps what the run writes (one JSONL row; rows are small). */
function rowCollector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** The answer as a person reads it: text as it is, fields as indented JSON, a document's pages one after another. */
function answerText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.filter((o) => o !== null).map(answerText).join('\n\n');
  return JSON.stringify(output, null, 2);
}

function checkImage(image: string, cwd: string): void {
  let isFolder = false;
  try {
    isFolder = statSync(path.resolve(cwd, image)).isDirectory();
  } catch {
    // A missing file is the walk's to report (exit 66), as for catalog.
  }
  if (isFolder) throw new UsageError(t('ask:error.folder', { image }));
}

export async function askCommand(
  image: string, question: string | undefined, given: AskFlags, promptGiven: boolean, argv: string[], io: CliIO,
): Promise<ExitCode> {
  const parsed = parseFlags('ask', given);
  checkImage(image, io.cwd);
  // The config file's and environment's prompt are catalog's: ask's default follows the question.
  const prompt = promptGiven && parsed.prompt !== undefined ? parsed.prompt : question !== undefined ? 'qa' : DEFAULT_PROMPT;
  const flags: CatalogOptions = {
    ...parsed, prompt, question, setFrom: given.setFrom,
    include: [], exclude: [], hidden: true, followSymlinks: true,
    concurrency: ASK_CONCURRENCY, maxConcurrency: DEFAULT_MAX_CONCURRENCY,
    groupPages: true, allowEmpty: false, format: 'jsonl', bom: false,
  };
  const rows = rowCollector();
  const code = await catalog([image], image, flags, argv, io, newRunStats(Date.now()), { stdout: rows.stream, progress: false });
  const line = rows.text().split('\n').find((l) => l !== '');
  if (line === undefined) return code;
  const row = JSON.parse(line) as CatalogRow;
  if (parsed.json) io.stdout.write(`${line}\n`);
  else if (row.status !== 'error') io.stdout.write(`${answerText(row.output)}\n`);
  // Under --json the row says it; otherwise stderr does (even under -q: it is the outcome).
  if (!parsed.json && row.error !== null) io.stderr.write(`${t('cli:error.prefix', { message: `${image}: ${row.error}` })}\n`);
  return code;
}
