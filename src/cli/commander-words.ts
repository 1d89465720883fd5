// The errors commander writes itself (unknown option, missing argument, …) in the language of the
// call (--help's own words are help-layout.ts's). commander writes English only; its errors are
// recognised by their English text, one pattern per CommanderError code, and said again in the
// call's language. Text no pattern knows (a newer commander's wording) is passed through as
// commander wrote it.
import { t } from '../i18n/index.js';

type Say = (m: RegExpExecArray) => string;

/** commander's errors: the CommanderError code, its English text (commander 14), the message. */
const ERRORS: readonly [code: string, english: RegExp, say: Say][] = [
  ['commander.unknownOption', /^error: unknown option '(.*)'$/s, (m) => t('commander:error.unknownOption', { option: m[1] })],
  ['commander.unknownCommand', /^error: unknown command '(.*)'$/s, (m) => t('commander:error.unknownCommand', { command: m[1] })],
  ['commander.missingArgument', /^error: missing required argument '(.*)'$/s, (m) => t('commander:error.missingArgument', { argument: m[1] })],
  ['commander.optionMissingArgument', /^error: option '(.*)' argument missing$/s, (m) => t('commander:error.optionMissingArgument', { option: m[1] })],
  ['commander.missingMandatoryOptionValue', /^error: required option '(.*)' not specified$/s,
    (m) => t('commander:error.missingMandatoryOptionValue', { option: m[1] })],
  ['commander.excessArguments', /^error: too many arguments(?: for '(.*)')?\. Expected (\d+) arguments? but got (\d+)\.$/s, (m) => {
    const values = { command: m[1], count: Number(m[2]), got: Number(m[3]) };
    return m[1] === undefined ? t('commander:error.excessArguments', values) : t('commander:error.excessArgumentsFor', values);
  }],
  ['commander.invalidArgument', /^error: option '(.*)' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/s,
    (m) => t('commander:error.invalidChoice', { option: m[1], value: m[2], choices: (m[3] ?? '').split(', ').join(t('cli:list.names')) })],
];

const SUGGESTION = /\n\(Did you mean (one of )?(.*)\?\)$/s;

/** One of commander's error lines in the call's language (with its "Did you mean" line). */
export function commanderError(text: string): string {
  const body = text.replace(/\n$/, '');
  const hint = SUGGESTION.exec(body);
  const error = hint ? body.slice(0, hint.index) : body;
  for (const [, english, say] of ERRORS) {
    const m = english.exec(error);
    if (!m) continue;
    const suggestion = !hint ? '' : hint[1]
      ? `\n${t('commander:error.didYouMeanOneOf', { suggestions: hint[2] })}`
      : `\n${t('commander:error.didYouMean', { suggestion: hint[2] })}`;
    return `${say(m)}${suggestion}\n`;
  }
  return text;
}
