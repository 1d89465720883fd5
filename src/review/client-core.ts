// The page's script, part 1 of 5 (page-js.ts joins them into one /app.js): the shared state, the
// API calls and small DOM helpers. Text from the server only ever reaches the page as textContent
// or a form value; no markup is built from strings.
import { FORMAT_MESSAGE_JS } from '../i18n/page-messages.js';

export const CLIENT_CORE = String.raw`
const $ = (id) => document.getElementById(id);
const ROW_H = 64;
const PAGE = 100;
// A tab's own name, so that it can tell its decisions from other tabs' in the event stream.
const CLIENT = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
const st = {
  meta: null, strings: {}, filter: 'all', q: '', total: 0, counts: null,
  gen: 0, rows: new Map(), loading: new Set(), nodes: new Map(),
  cur: null, pos: -1, seq: 0, editing: false, busy: false,
  // Rows this tab decided on, so that it can say when another tab replaces its decision.
  mine: new Set(),
};

// What the person asks for happens in the order asked: two quick presses of j move two rows,
// and a j after an a moves on from where the decision left the page.
let pending = Promise.resolve();
function queued(action) {
  pending = pending.then(action).catch(() => undefined);
  return pending;
}

${FORMAT_MESSAGE_JS}
function t(key, values) {
  return formatMessage(st.strings, document.documentElement.lang, key, values);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// Control and bidi characters in a file name are shown as escapes, so a name cannot pass for another.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
function nameNodes(name) {
  const out = [];
  let last = 0;
  for (const m of name.matchAll(INVISIBLE)) {
    const code = m[0].codePointAt(0);
    const shown = code === 10 ? '\\n' : code === 13 ? '\\r' : code === 9 ? '\\t'
      : code <= 255 ? '\\x' + code.toString(16).toUpperCase().padStart(2, '0') : '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
    out.push(document.createTextNode(name.slice(last, m.index)), el('span', 'ctl', shown));
    last = m.index + m[0].length;
  }
  out.push(document.createTextNode(name.slice(last)));
  return out;
}

function when(ms) {
  return new Date(ms).toLocaleString(st.meta && st.meta.lang === 'zh' ? 'zh-CN' : undefined);
}

function offline(down) {
  $('offline').hidden = !down;
}

async function getJson(url) {
  let r;
  try {
    r = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (e) {
    offline(true);
    throw e;
  }
  offline(false);
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}

async function postJson(url, body) {
  let r;
  try {
    r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-glmv-review': '1', 'x-review-client': CLIENT },
      body: JSON.stringify(body),
    });
  } catch (e) {
    offline(true);
    throw e;
  }
  offline(false);
  const data = await r.json().catch(() => ({}));
  return { status: r.status, data };
}

function toast(text) {
  const box = $('toasts');
  const t_ = el('div', 'toast', text);
  box.append(t_);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => t_.remove(), 2500);
}

// A notice stays until closed: what another tab did must not slip by unseen.
function notice(text, bad) {
  const box = $('notices');
  const n = el('div', 'notice' + (bad ? ' bad' : ''));
  const close = el('button', '', '×');
  close.type = 'button';
  close.setAttribute('aria-label', t('close'));
  close.addEventListener('click', () => n.remove());
  n.append(el('span', '', text), close);
  box.append(n);
  while (box.children.length > 4) box.firstElementChild.remove();
}

function listQuery() {
  return 'filter=' + encodeURIComponent(st.filter) + '&q=' + encodeURIComponent(st.q);
}

function applyCounts(c) {
  if (!c) return;
  st.counts = c;
  for (const b of document.querySelectorAll('.filters button')) {
    b.querySelector('.n').textContent = String(c[b.dataset.filter]);
  }
  $('progress').textContent = t('progress', { done: c.accepted + c.edited + c.rejected, total: c.reviewable });
  $('shown').textContent = st.total === c.all ? t('shown', { count: c.all }) : t('shownOf', { shown: st.total, count: c.all });
}
`;
