// The README's table of contents: every `##` section and every part of `glm-vision catalog` is
// listed, and every link in the README to a heading of the README leads to one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { README } from './tools/readme-settings.js';

interface Heading { level: number; text: string; anchor: string }

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const out: Heading[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^(#{1,6}) (.+)$/.exec(line);
    if (!m) continue;
    const text = (m[2] as string).trim();
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ level: (m[1] as string).length, text, anchor: n ? `${base}-${n}` : base });
  }
  return out;
}

const readme = readFileSync(README, 'utf8');
const all = headings(readme);
/** The contents: the list that starts with the quick start's link, up to the next section. */
const tocStart = readme.indexOf('\n- [Quick start](#quick-start)');
const toc = readme.slice(tocStart, readme.indexOf('\n## ', tocStart));
const tocAnchors = new Set([...toc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string));

describe('README table of contents', () => {
  it('lists every section', () => {
    const missing = all.filter((h) => h.level === 2 && !tocAnchors.has(h.anchor)).map((h) => `## ${h.text} (#${h.anchor})`);
    assert.deepEqual(missing, []);
  });

  it("lists every part of glm-vision catalog (local inference and PDFs among them)", () => {
    const start = all.findIndex((h) => h.text === '`glm-vision catalog`');
    const end = all.findIndex((h, i) => i > start && h.level === 2);
    const parts = all.slice(start + 1, end).filter((h) => h.level === 3 || h.anchor === 'csv-and-excel-the-byte-order-mark');
    assert.ok(parts.some((h) => h.anchor === 'local-inference-the-onnx-backend') && parts.some((h) => h.anchor === 'pdfs-and-multi-page-tiffs'));
    assert.deepEqual(parts.filter((h) => !tocAnchors.has(h.anchor)).map((h) => h.text), []);
  });

  it('links only to headings that exist', () => {
    // Headings, and the anchors written out as <a id="…">.
    const anchors = new Set([...all.map((h) => h.anchor), ...[...readme.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] as string)]);
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    assert.deepEqual([...new Set(links.filter((a) => !anchors.has(a)))], []);
  });
});
