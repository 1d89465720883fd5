// How --help is laid out: as wide as the terminal (80 columns when stdout is not one), Chinese
// counted as two columns and wrapped between characters, long option names on a line of their own,
// no "(default: …)" that says nothing, and commander's headings in the help's language.
import { Help, type Command, type Option } from 'commander';
import { displayWidth } from '../support/text-width.js';
import type { HelpText } from './help-text.js';

const INDENT = 2;
const SPACER = 2;
/** Option names longer than this put their help on the next line rather than squeeze every help. */
const MAX_TERM = 30;
/** Narrower than this, an item's help goes below its name. */
const MIN_HELP = 30;

// East Asian Wide and Fullwidth characters (UAX #11): CJK, kana, hangul, fullwidth forms.
const RANGES = '\\u1100-\\u115F\\u2E80-\\u303E\\u3041-\\u33FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uA000-\\uA4CF\\uAC00-\\uD7A3\\uF900-\\uFAFF\\uFE30-\\uFE4F\\uFF00-\\uFF60\\uFFE0-\\uFFE6\\u{20000}-\\u{3FFFD}';
/** Chinese punctuation that may not end a line, and that may not start one. */
const OPENING = '\\uFF08\\u300C\\u300E\\u3010\\u300A\\u201C';
const CLOSING = '\\uFF0C\\u3002\\u3001\\uFF1B\\uFF1A\\uFF01\\uFF1F\\uFF09\\u300D\\u300F\\u3011\\u300B\\u201D';
/** What a line may be broken before: spaces, then one wide character or a run of narrow ones (up to a `|`: a|b|c). */
const PIECE = new RegExp(`\\s*[${OPENING}]*(?:[${RANGES}]|[^\\s|${RANGES}]+\\|?|\\|)[${CLOSING}]*`, 'gu');
/** Wraps each line to `width` columns; lines that start with white space are examples, kept as they are. */
export function wrapText(text: string, width: number): string {
  return text.split('\n').map((line) => (/^\s/.test(line) || displayWidth(line) <= width ? line : wrapLine(line, width))).join('\n');
}

function wrapLine(line: string, width: number): string {
  const lines: string[] = [];
  let current = '';
  for (const piece of line.match(PIECE) ?? []) {
    if (current && displayWidth(current + piece) > width) {
      lines.push(current);
      current = piece.trimStart();
    } else current += piece;
  }
  lines.push(current);
  return lines.join('\n');
}

const pad = (n: number): string => ' '.repeat(n);

/** A default worth printing: not absent, not an empty list or string, not a switch's false. */
function meaningful(value: unknown): boolean {
  if (value === undefined || value === false || value === '') return false;
  return !(Array.isArray(value) && value.length === 0);
}

/** commander's Help, configured for this program's terminal width and language. */
export function helpConfiguration(text: HelpText): Partial<Help> {
  const titles: Record<string, string> = {
    'Usage:': text.command('help.usage'),
    'Arguments:': text.command('help.arguments'),
    'Options:': text.command('help.options'),
    'Commands:': text.command('help.commands'),
  };
  return {
    displayWidth,
    boxWrap: (str: string, width: number) => wrapText(str, width),
    styleTitle: (title: string) => titles[title] ?? title,
    padWidth(this: Help, cmd: Command, helper: Help): number {
      return Math.min(Help.prototype.padWidth.call(this, cmd, helper), MAX_TERM);
    },
    optionDescription(option: Option): string {
      const extras: string[] = [];
      if (option.argChoices && !option.negate) extras.push(text.command('help.choices', { values: option.argChoices.map((c) => text.command('help.choice', { value: c })).join(text.command('help.choiceSeparator')) }));
      if (!option.negate && meaningful(option.defaultValue)) {
        extras.push(text.command('help.default', { value: option.defaultValueDescription ?? JSON.stringify(option.defaultValue) }));
      }
      return extras.length ? option.description + text.command('help.extras', { extras: extras.join(', ') }) : option.description;
    },
    formatItem(this: Help, term: string, termWidth: number, description: string): string {
      if (!description) return pad(INDENT) + term;
      const width = this.helpWidth ?? 80;
      const column = INDENT + termWidth + SPACER;
      const below = width - column < MIN_HELP ? INDENT * 3 : column;
      const lines = wrapText(description, width - below).split('\n');
      const first = displayWidth(term) <= termWidth && below === column;
      const head = first ? pad(INDENT) + term + pad(termWidth - displayWidth(term) + SPACER) + lines.shift() : pad(INDENT) + term;
      return [head, ...lines.map((l) => pad(below) + l)].join('\n');
    },
    // commander puts a space after "Usage:"; a full-width colon has its space in it already.
    formatHelp(this: Help, cmd: Command, helper: Help): string {
      return Help.prototype.formatHelp.call(this, cmd, helper).replace(/^(\S*：) /, '$1');
    },
  };
}

/** The terminal's width for help, 80 when the stream is not a terminal. */
export function helpWidth(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && stream.columns ? stream.columns : 80;
}
