// A command's options as a README table (flag, default, meaning), made from the option table, so
// that the README cannot drift from --help (test/review-units.test.ts compares them).
import { optionHelp } from './option-help.js';
import type { CommandName, OptionSpec } from './option-spec.js';
import { optionsFor } from './options.js';

const code = (s: string): string => `\`${s}\``;

function flagCell(o: OptionSpec): string {
  const value = o.doc?.value ?? o.value?.replace(/^<|>$/g, '');
  const main = code(`${o.short ? `${o.short}, ` : ''}--${o.negatedOnly ? 'no-' : ''}${o.key}${value ? ` ${value}` : ''}`);
  return o.negate !== undefined ? `${main} / ${code(`--no-${o.key}`)}` : main;
}

function defaultCell(o: OptionSpec): string {
  if (o.doc?.default) return o.doc.default;
  if (o.kind === 'boolean') return 'off';
  return typeof o.default === 'string' ? code(o.default) : 'none';
}

/** The English help without its "(default: …)", which the table has a column for. */
const meaningOf = (o: OptionSpec): string => {
  const help = optionHelp(o, false, 'en').replace(/ \(default: [^()]*\)/g, '');
  return o.negate !== undefined ? `${help}; \`--no-${o.key}\`: ${optionHelp(o, true, 'en')}` : help;
};

/** A cell's `|` would end the cell, even inside code. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** One row per option of `command`, in --help order. */
export function optionsTableMarkdown(command: CommandName): string {
  const rows = optionsFor(command).map((o) => `| ${cell(flagCell(o))} | ${cell(defaultCell(o))} | ${cell(meaningOf(o))} |`);
  return ['| Option | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}
