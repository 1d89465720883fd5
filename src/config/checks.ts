// Runs an option's check (option-spec.ts's Check): the one place a value from a flag, the
// environment or a config file is validated. Messages name the flag, variable or file key.
import { autoOrInteger, integer, httpUrl, keyValue, maxPixelsFlag, numberIn, oneOf } from './validate.js';
import type { Check } from './option-spec.js';

/**
 * pages/select.ts parses --pages. settings.ts, which every command taking --pages loads first,
 * hands it over, so that the commands without it (prompts, report, ...) never load pages/.
 */
let parsePages: ((value: string) => unknown) | undefined;
export function usePagesParser(parse: (value: string) => unknown): void {
  parsePages = parse;
}

/** The value parsed: a number for integer and number checks, else the string as given. */
export function runCheck(check: Check, label: string, value: string): string | number {
  switch (check.type) {
    case 'int':
      return integer(label, value, check.min, check.max);
    case 'intOrAuto':
      return autoOrInteger(label, value, check.min);
    case 'maxPixels':
      return maxPixelsFlag(label, value);
    case 'number':
      return numberIn(label, value, check.min, check.max, check.minOpen);
    case 'choice':
      return oneOf(label, value, check.of);
    case 'url':
      return httpUrl(label, value);
    case 'keyValue':
      keyValue(label, value);
      return value;
    case 'pages':
      if (!parsePages) throw new Error(`${label} is checked before settings.ts handed over the pages parser`);
      parsePages(value);
      return value;
  }
}
