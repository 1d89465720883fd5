// An option's help, from the options catalogs (i18n/<lang>/options.ts): `options:<command>.<key>`,
// `options:<command>.no-<key>` for its --no- form, in the language of this call unless one is given.
import { t, tIn, type Lang, type MessageKey } from '../i18n/index.js';
import { helpCommandOf, type OptionSpec } from './option-spec.js';

export function optionHelp(o: OptionSpec, negated = false, lang?: Lang): string {
  const key = `options:${helpCommandOf(o)}.${negated ? 'no-' : ''}${o.key}` as MessageKey;
  return lang ? tIn(lang, key, o.helpValues) : t(key, o.helpValues);
}
