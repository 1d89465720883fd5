// The English help of every option, keyed like zh/options.ts: by command (an entry's helpOf, else
// its first command), then by option key, `no-KEY` for the --no- form. Made from the option table,
// which stays the one place an option and its English help are declared (the README's option tables
// are made from the same strings).
import { OPTIONS } from '../../config/options.js';
import { helpCommandOf, type OptionSpec } from '../../config/option-spec.js';

const catalog: Record<string, Record<string, string>> = {};
for (const o of OPTIONS as readonly OptionSpec[]) {
  const entries = (catalog[helpCommandOf(o)] ??= {});
  entries[o.key] ??= o.help;
  if (o.negate !== undefined) entries[`no-${o.key}`] ??= o.negate;
}

export default catalog;
