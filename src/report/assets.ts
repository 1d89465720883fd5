// The report page's only style sheet and script, both inline, and the
// Content-Security-Policy that allows exactly these two and nothing else.
import { createHash } from 'node:crypto';
import { FORMAT_MESSAGE_JS } from '../i18n/page-messages.js';

export interface StyleOptions {
  /** CSS pixels of the thumbnail column; 0 when the report has no thumbnails. */
  thumbColumn: number;
  /** Largest thumbnail side, shown when a thumbnail is clicked. */
  thumbSize: number;
  /** Rows in a chunk of a long page (page.ts). */
  chunkRows: number;
}

// The "no preview" box has a least height, not a fixed shape, so a long reason wraps inside it.
export function reportCss({ thumbColumn, thumbSize, chunkRows }: StyleOptions): string {
  const rowHeight = Math.max(thumbColumn, 90) + 22;
  const columns = thumbColumn > 0 ? `${thumbColumn}px minmax(0,1fr) 13.5rem` : 'minmax(0,1fr) 13.5rem';
  return `
:root{--bg:#f4f5f7;--card:#fff;--fg:#1c2230;--muted:#5c6578;--line:#dcdfe6;--accent:#2356c9;--chip:#eef1f6;
--ok:#1d6f39;--okbg:#e3f3e8;--warn:#7a4f00;--warnbg:#fff3d1;--err:#a8231b;--errbg:#fdeceb;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--card:#1c2027;--fg:#e3e6ed;--muted:#98a1b3;--line:#323845;--accent:#8cb0ff;
--chip:#272c36;--ok:#7dd196;--okbg:#1b3223;--warn:#f0c46c;--warnbg:#372c12;--err:#ff8b83;--errbg:#3b1e1c}}
*{box-sizing:border-box}
html{scroll-padding-top:4rem}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
.top{padding:14px 20px 10px}
h1{margin:0;font-size:19px;font-weight:650;overflow-wrap:anywhere}
h1 .what{color:var(--muted);font-weight:500}
h1 .file{font-size:inherit}
.sub{margin:4px 0 0;color:var(--muted);display:flex;flex-wrap:wrap;gap:2px 14px}
.sub b{color:var(--fg);font-weight:600}
.bar{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;align-items:center;gap:8px 14px;padding:8px 20px;
background:var(--bg);border-bottom:1px solid var(--line);box-shadow:0 2px 6px rgba(0,0,0,.06)}
.filters{display:flex;flex-wrap:wrap;gap:4px}
.filters button{font:inherit;font-size:13px;padding:3px 10px;border:1px solid var(--line);border-radius:999px;background:var(--card);color:var(--fg);cursor:pointer}
.filters button:hover{border-color:var(--accent)}
.filters button[aria-pressed="true"]{background:var(--accent);border-color:var(--accent);color:var(--card)}
.filters button .n{font-variant-numeric:tabular-nums;opacity:.8;margin-left:3px}
.filters button.f-error:not([aria-pressed="true"]) .n{color:var(--err);opacity:1;font-weight:600}
.bar input{font:inherit;flex:1 1 16rem;max-width:32rem;padding:5px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
.bar input:focus{outline:2px solid var(--accent);outline-offset:-1px}
#shown{color:var(--muted);font-variant-numeric:tabular-nums;font-size:13px}
main{padding:10px 20px 4px}
.row{display:grid;grid-template-columns:${columns};gap:6px 16px;align-items:start;margin:0 0 8px;padding:10px 12px;
background:var(--card);border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;
content-visibility:auto;contain-intrinsic-size:auto ${rowHeight}px}
.row[hidden]{display:none}
.chunk{content-visibility:auto;contain-intrinsic-size:auto ${chunkRows * (rowHeight + 8)}px}
.chunk[hidden]{display:none}
.row.s-ok{border-left-color:var(--ok)}
.row.s-truncated{border-left-color:#d89b00}
.row.s-error{border-color:var(--err);border-left-color:var(--err);background:var(--errbg)}
.thumb{display:flex;flex-direction:column;align-items:center;gap:4px;min-height:64px}
.thumb img{display:block;max-width:100%;max-height:${thumbColumn}px;width:auto;height:auto;border-radius:3px;background:#fff;
box-shadow:0 0 0 1px var(--line);cursor:zoom-in}
.row.big{grid-template-columns:${thumbSize}px minmax(0,1fr) 13.5rem}
.row.big .thumb img{max-height:${thumbSize}px;cursor:zoom-out}
.ph{justify-content:center;width:100%;min-height:${Math.max(64, Math.round((thumbColumn * 3) / 4))}px;border:1px dashed var(--muted);border-radius:4px;color:var(--muted);
text-align:center;font-size:12px;padding:6px;overflow-wrap:anywhere}
.ph b{display:block;font-size:13px}
.ph.missing{border-color:#d89b00;color:var(--warn);background:var(--warnbg)}
.flag{font-size:11px;color:var(--warn);background:var(--warnbg);border-radius:3px;padding:0 5px;text-align:center}
.head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 8px;margin-bottom:4px}
.num{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums;text-decoration:none}
.file{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px;font-weight:600;
overflow-wrap:anywhere;unicode-bidi:isolate;direction:ltr}
.ctl{color:var(--err);background:var(--errbg);border-radius:2px;padding:0 1px;font-weight:400}
.badge{font-size:11px;font-weight:600;letter-spacing:.02em;text-transform:uppercase;padding:1px 6px;border-radius:3px;background:var(--chip);color:var(--muted)}
.b-ok{background:var(--okbg);color:var(--ok)}
.b-truncated{background:var(--warnbg);color:var(--warn)}
.b-error{background:var(--err);color:#fff}
.rv{border:1px solid var(--line);background:none}
.rv .by{text-transform:none;letter-spacing:0;font-weight:400}
.rv-accepted{border-color:var(--ok);color:var(--ok)}
.rv-edited{border-color:var(--accent);color:var(--accent)}
.rv-rejected{border-color:var(--err);color:var(--err)}
.err{margin:4px 0;padding:5px 8px;border-radius:4px;background:var(--card);border:1px solid var(--err);color:var(--err);white-space:pre-wrap;overflow-wrap:anywhere}
.s-truncated .err{border-color:#d89b00;color:var(--warn)}
.answer{white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0;max-width:100ch}
.clamp{max-height:10.2em;overflow:hidden;-webkit-mask-image:linear-gradient(#000 75%,transparent)}
.open .clamp{max-height:none;-webkit-mask-image:none}
.more{font:inherit;font-size:12px;border:0;background:none;color:var(--accent);padding:0;cursor:pointer}
.empty{color:var(--muted);font-style:italic}
.fields{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:3px 12px;margin:2px 0;max-width:110ch}
.fields dt{color:var(--muted);font-size:12px;padding-top:1px}
.fields dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
.fields .fields{margin:0}
ul.list{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:3px}
ul.list>li{background:var(--chip);border-radius:3px;padding:0 6px;white-space:pre-wrap}
ol.items{margin:0;padding-left:1.3em}
.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 8px;margin:0;font-size:12px;color:var(--muted)}
.meta dt{text-align:right}
.meta dd{margin:0;color:var(--fg);overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
#none{margin:24px 20px;color:var(--muted)}
footer{padding:8px 20px 24px;color:var(--muted);font-size:12px}
@media (max-width:760px){.row,.row.big{grid-template-columns:${thumbColumn > 0 ? `${Math.min(thumbColumn, 96)}px ` : ''}minmax(0,1fr)}
.meta{grid-column:1/-1}.row.big .thumb img{max-height:none}}
@media print{.bar,.more{display:none}.chunk{content-visibility:visible}.row{content-visibility:visible;break-inside:avoid}.clamp{max-height:none;-webkit-mask-image:none}}
`;
}

// Filters rows by status and by search terms (all must occur, case-insensitive,
// NFKC so full-width and half-width forms match); toggles long answers and big thumbnails;
// gives thumbnails in a folder their src as their rows come near.
export const REPORT_JS = `
(() => {
  'use strict';
  ${FORMAT_MESSAGE_JS.trim()}
  const messages = JSON.parse(document.getElementById('messages').textContent);
  const say = (key, values) => formatMessage(messages, document.documentElement.lang, key, values);
  const rows = Array.from(document.querySelectorAll('#rows .row'));
  // A long page comes in chunks of rows: the browser lays out only the chunks near the window.
  const chunks = Array.from(document.querySelectorAll('#rows > .chunk'));
  const perChunk = chunks.length > 0 ? chunks[0].childElementCount : 0;
  const rowHeight = chunks.length > 0 ? chunks[0].offsetHeight / perChunk : 0;
  const norm = (s) => s.normalize('NFKC').toLowerCase();
  // The rows' text is read while the page is idle after loading, a slice at a time (tens of
  // thousands of rows take seconds), and what is left at once by a search that comes first.
  const texts = [];
  const readTexts = (until) => {
    while (texts.length < until) {
      texts.push(norm(Array.from(rows[texts.length].querySelectorAll('.file, .answer, .fields, .err, .rv'), (e) => e.textContent).join('\\n')));
    }
  };
  const idle = window.requestIdleCallback ? (f) => requestIdleCallback(f) : (f) => setTimeout(() => f({ timeRemaining: () => 10 }), 50);
  const readWhileIdle = (deadline) => {
    while (texts.length < rows.length && deadline.timeRemaining() > 2) readTexts(Math.min(rows.length, texts.length + 100));
    if (texts.length < rows.length) idle(readWhileIdle);
  };
  idle(readWhileIdle);
  const q = document.getElementById('q');
  const shown = document.getElementById('shown');
  const none = document.getElementById('none');
  const buttons = Array.from(document.querySelectorAll('.filters button'));
  const imageButton = document.querySelector('.filters .f-image');
  const issues = rows.filter((r) => r.classList.contains('img-issue')).length;
  if (imageButton && issues > 0) {
    imageButton.querySelector('.n').textContent = String(issues);
    imageButton.hidden = false;
  }
  let filter = 'all';
  let pending = false;
  const apply = () => {
    pending = false;
    const terms = norm(q.value).split(/\\s+/).filter(Boolean);
    if (terms.length > 0) readTexts(rows.length);
    const visible = chunks.map(() => 0);
    let n = 0;
    rows.forEach((r, i) => {
      const byStatus = filter === 'all' || (filter === 'image' ? r.classList.contains('img-issue') : r.dataset.status === filter);
      const show = byStatus && terms.every((t) => texts[i].includes(t));
      if (r.hidden === show) r.hidden = !show;
      if (show) {
        n++;
        if (perChunk > 0) visible[Math.floor(i / perChunk)]++;
      }
    });
    // A chunk off screen is as tall as its estimate: make that the rows it shows now, not those it had.
    chunks.forEach((c, k) => {
      if (c.hidden !== (visible[k] === 0)) c.hidden = visible[k] === 0;
      c.style.containIntrinsicSize = n === rows.length ? '' : Math.round(visible[k] * rowHeight) + 'px';
    });
    shown.textContent = n === rows.length ? say('client.shownAll', { count: n }) : say('client.shownSome', { shown: n, count: rows.length });
    none.hidden = n > 0;
  };
  const later = () => {
    if (!pending) { pending = true; requestAnimationFrame(apply); }
  };
  for (const b of buttons) {
    b.addEventListener('click', () => {
      filter = b.dataset.filter;
      for (const o of buttons) o.setAttribute('aria-pressed', String(o === b));
      apply();
    });
  }
  q.addEventListener('input', later);
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { q.value = ''; apply(); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== q && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); q.focus(); }
  });
  document.getElementById('rows').addEventListener('click', (e) => {
    const t = e.target;
    if (t.classList.contains('more')) {
      const open = t.parentElement.classList.toggle('open');
      t.textContent = say(open ? 'client.showLess' : 'client.showAll');
    } else if (t.tagName === 'IMG') {
      t.closest('.row').classList.toggle('big');
    }
  });
  // Thousands of file: URLs in img src slow the page's loading to a crawl, lazy or not: they are set when needed.
  if (document.querySelector('img[data-src]')) {
    const load = (el) => {
      for (const img of el.querySelectorAll('img[data-src]')) { img.src = img.dataset.src; img.removeAttribute('data-src'); }
    };
    const near = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) { near.unobserve(e.target); load(e.target); }
    }, { rootMargin: '2000px 0px' });
    for (const el of chunks.length > 0 ? chunks : rows) near.observe(el);
    addEventListener('beforeprint', () => load(document));
  }
  apply();
})();
`;

const sha256Source = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Nothing but the inline style and script above may run or load, and images
 * only from data: URIs, or the page's own place when they are files beside it
 * ('self': a file: page's own files, never the network), so an answer that
 * slipped past escaping could still do nothing.
 */
export function contentSecurityPolicy(css: string, js: string, imagesBeside = false): string {
  return [
    "default-src 'none'",
    imagesBeside ? "img-src 'self'" : 'img-src data:',
    `style-src ${sha256Source(css)}`,
    `script-src ${sha256Source(js)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
