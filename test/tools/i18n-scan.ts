// Finds user-facing English written outside the message catalogs: string literals with words
// in them, handed to an error, a stream write, a log or warning, or a help text. The catalogs
// (src/i18n/) are where such text lives; test/i18n.test.ts fails on a find not listed in
// test/i18n-pending.ts, the shrinking list of files still to move.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// A literal that reads as words: two words of letters with a space between.
const WORDS = String.raw`[^'"\`\n]*[A-Za-z]{2,}[ ][A-Za-z]{2,}`;
const LITERAL = String.raw`(?:'${WORDS}|"${WORDS}|\`${WORDS})`;

/** The places where text reaches a person. */
const SINKS: readonly RegExp[] = [
  // new UsageError('…'), new NoInput(`…`), new Error('…') (shown as an internal error)
  // (Error, RangeError and TypeError are internal: a bug report's text, shown as "internal error";
  // FileFailure and its kinds are a row's `error` column, data that stays English in every locale)
  new RegExp(String.raw`new (?!(?:Range|Type)?Error\(|FileFailure\(|TransientFileFailure\(|DocumentLimit\()[A-Z]\w*(?:Error|Failure|Input|Limit|Closed|Stop|Unreachable)\(\s*${LITERAL}`, 'g'),
  // io.stderr.write('…'), out.write(`…`), warn('…'), log(`…`), note('…'), fail(code, '…')
  new RegExp(String.raw`\b(?:write|warn|log|note|info|say|fail)\((?:[^()'"\`]*,\s*)?\s*${LITERAL}`, 'g'),
  // option tables and commander: help: '…', negate: '…', .description('…'), .argument('<x>', '…'), addHelpText
  new RegExp(String.raw`\b(?:help|negate|message|hint|fix|title|label|summary):\s*${LITERAL}`, 'g'),
  new RegExp(String.raw`\.(?:description|summary|addHelpText|helpOption|showHelpAfterError)\((?:[^()'"\`]*,\s*)?\s*${LITERAL}`, 'g'),
  new RegExp(String.raw`\.argument\(\s*'[^']*',\s*${LITERAL}`, 'g'),
];

function* sourceFiles(dir: string, ext: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full, ext);
    else if (entry.name.endsWith(ext)) yield full;
  }
}

export interface Find {
  file: string;
  line: number;
  text: string;
}

/** Every find under src/ (the catalogs themselves excepted), by file relative to the repository root. */
export function scanSources(root: string, ext = '.ts'): Find[] {
  const finds: Find[] = [];
  for (const file of sourceFiles(path.join(root, 'src'), ext)) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (rel.startsWith('src/i18n/')) continue;
    const source = readFileSync(file, 'utf8');
    // Comments say why to engineers; they are not shown.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
    for (const sink of SINKS) {
      for (const match of code.matchAll(sink)) {
        const line = code.slice(0, match.index).split('\n').length;
        finds.push({ file: rel, line, text: match[0].slice(0, 100) });
      }
    }
  }
  return finds;
}

/** Finds per file. */
export function countByFile(finds: readonly Find[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of finds) counts.set(f.file, (counts.get(f.file) ?? 0) + 1);
  return counts;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `node --import tsx test/tools/i18n-scan.ts [--list]`: the pending table, or every find.
  const finds = scanSources(path.resolve(import.meta.dirname, '../..'));
  if (process.argv.includes('--list')) for (const f of finds) process.stdout.write(`${f.file}:${f.line}: ${f.text}\n`);
  else for (const [file, n] of [...countByFile(finds)].sort()) process.stdout.write(`  '${file}': ${n},\n`);
}
