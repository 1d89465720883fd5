// commander's own words in the language of the call: --help's headings, its "(choices: …,
// default: …)", and the errors it writes itself (unknown option, missing argument, …). commander
// writes English only; its errors are recognised by their English text, one pattern per
// CommanderError code, and said again in the call's language. Text no pattern knows (a newer
// commander's wording) is passed through as commander wrote it.
import type { Argument, Help, Option } from 'commander';
import { t, type MessageKey } from '../i18n/index.js';

/** The headings commander passes to styleTitle; option groups' own headings pass through. */
const TITLES: Readonly<Record<string, MessageKey>> = {
  'Usage:': 'commander:title.usage',
  'Arguments:': 'commander:title.arguments',
  'Options:': 'commander:title.options',
  'Commands:': 'commander:title.commands',
  'Global Options:': 'commander:title.globalOptions',
};

/** An item's help and its extras, as commander joins them. */
function withExtras(description: string, extras: string[]): string {
  if (extras.length === 0) return description;
  const joined = extras.join(t('commander:help.separator'));
  return description ? t('commander:help.extras', { description, extras: joined }) : t('commander:help.extrasOnly', { extras: joined });
}

const choices = (values: readonly string[]): string => values.map((c) => JSON.stringify(c)).join(', ');

/** commander's Help hooks that hold words (its own logic for when an extra is shown). */
export function helpWords(): Partial<Help> {
  return {
    styleTitle: (title: string) => {
      const key = TITLES[title];
      return key ? t(key) : title;
    },
    optionDescription(option: Option): string {
      const extras: string[] = [];
      if (option.argChoices) extras.push(t('commander:help.choices', { choices: choices(option.argChoices) }));
      const showDefault = option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean');
      if (option.defaultValue !== undefined && showDefault) {
        extras.push(t('commander:help.default', { value: option.defaultValueDescription || JSON.stringify(option.defaultValue) }));
      }
      if (option.presetArg !== undefined && option.optional) extras.push(t('commander:help.preset', { value: JSON.stringify(option.presetArg) }));
      if (option.envVar !== undefined) extras.push(t('commander:help.env', { name: option.envVar }));
      return withExtras(option.description, extras);
    },
    argumentDescription(argument: Argument): string {
      const extras: string[] = [];
      if (argument.argChoices) extras.push(t('commander:help.choices', { choices: choices(argument.argChoices) }));
      if (argument.defaultValue !== undefined) {
        extras.push(t('commander:help.default', { value: argument.defaultValueDescription || JSON.stringify(argument.defaultValue) }));
      }
      return withExtras(argument.description, extras);
    },
  };
}

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
    (m) => t('commander:error.invalidChoice', { option: m[1], value: m[2], choices: m[3] })],
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
