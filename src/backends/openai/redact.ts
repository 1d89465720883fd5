// Shapes text that reaches users: one line, bounded, and never a secret.
import { t } from '../../i18n/index.js';

const MAX_DETAIL = 300;

/** Collapses whitespace and trims to `max` characters. */
export function oneLine(text: string, max = MAX_DETAIL): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Replaces every secret (and its URL-encoded form) with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short secrets would mangle ordinary words; nobody uses them as keys.
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

/** Strips trailing slashes; rejects anything that is not an http(s) URL. */
export function normalizeEndpoint(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new Error(t('server:endpoint.not_url', { url: displayEndpoint(trimmed) }));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(t('server:endpoint.not_http', { url: displayEndpoint(trimmed) }));
  }
  return trimmed;
}

/** The endpoint as messages show it: no user:password, no query string. */
export function displayEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return endpoint.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
  }
}
