// Text from the catalog (file names, model answers) is untrusted: it only ever
// reaches the page through these functions.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

// C0/C1 controls, and the bidi controls that can make "photo\u202Egpj.exe" look like "photoexe.jpg".
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A file name as escaped HTML in which every control character is visible, in
 * JavaScript notation (\n, \x1B, \u202E) marked up as <span class="ctl">.
 */
export function visibleName(name: string): string {
  let out = '';
  let last = 0;
  for (const match of name.matchAll(INVISIBLE)) {
    const c = match[0];
    const code = c.codePointAt(0) ?? 0;
    const shown = ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`);
    out += `${escapeHtml(name.slice(last, match.index))}<span class="ctl">${shown}</span>`;
    last = match.index + c.length;
  }
  return out + escapeHtml(name.slice(last));
}
