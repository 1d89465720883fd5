// Messages for a page's own script (the report, the review page): the page gets its language's
// messages as data and fills them in the browser by the rules t() follows: `{{name}}` values, and
// the form `key_one`, `key_other`… that Intl.PluralRules picks for `count`.
import { catalogs } from './catalogs.js';
import type { Lang } from './index.js';

export type PageNamespace = keyof typeof catalogs.en;

/** A namespace's messages in one language (those whose key starts with `prefix`), keys without their namespace. */
export function pageMessages(lang: Lang, ns: PageNamespace, prefix = ''): Record<string, string> {
  return Object.fromEntries(Object.entries(catalogs[lang][ns] as Record<string, string>).filter(([key]) => key.startsWith(prefix)));
}

/** The BCP 47 tag of a page in `lang` (its <html lang>, and the locale of its plural rules and dates). */
export const pageLocale = (lang: Lang): string => (lang === 'zh' ? 'zh-CN' : 'en');

/**
 * The browser's half, as script source: `formatMessage(messages, locale, key, values)`. A value is
 * filled in as text; the caller puts the result in textContent, never in markup.
 */
export const FORMAT_MESSAGE_JS = String.raw`
function formatMessage(messages, locale, key, values) {
  let text = messages[key];
  if (values && typeof values.count === 'number') {
    const form = key + '_' + new Intl.PluralRules(locale).select(values.count);
    text = messages[form] ?? messages[key + '_other'] ?? text;
  }
  if (text === undefined) return key;
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, name) => (values && name in values ? String(values[name]) : m));
}
`;

/** Messages as the text of a <script type="application/json"> block: no `<` can end the element early. */
export function messagesJson(messages: Record<string, string>): string {
  return JSON.stringify(messages).replace(/</g, '\\u003c');
}
