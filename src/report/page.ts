// The report page, rendered on the server side: every value from the catalog
// goes through escapeHtml, so the page holds no data a script must parse.
import { tIn, type Lang, type MessageKey, type MessageValues } from '../i18n/index.js';
import { messagesJson, pageLocale, pageMessages } from '../i18n/page-messages.js';
import { timeText } from '../i18n/units.js';
import { fileSize } from '../support/words.js';
import type { Status } from '../emit/columns.js';
import type { ReadRow } from '../emit/read-catalog.js';
import { contentSecurityPolicy, REPORT_JS, reportCss } from './assets.js';
import { escapeHtml, visibleName } from './escape.js';
import type { Thumbnail } from './thumbnails.js';

/** A thumbnail as the page shows it: a picture by URL (data: or a file beside the page), or a placeholder. */
export type ShownThumbnail =
  | Exclude<Thumbnail, { kind: 'image' }>
  | { kind: 'image'; src: string; width: number; height: number; changed: boolean };

export interface PageInfo {
  /** The catalog file as the user named it. */
  catalog: string;
  /** Rows shown. */
  rows: number;
  /** Rows in the catalog. */
  total: number;
  /** How the shown rows were chosen, as flags ("--only error --limit 50"); '' for all of them. */
  selection: string;
  counts: Record<Status, number>;
  /** Shown rows with a review. */
  reviewed: number;
  models: string[];
  prompts: string[];
  generated: Date;
  /** The folder SourceFile paths were resolved against; undefined without thumbnails. */
  base: string | undefined;
  /** Largest thumbnail side; 0 without thumbnails. */
  thumbSize: number;
  /** The folder beside the page that holds the thumbnails; undefined when they are in the page. */
  folder: string | undefined;
  version: string;
  /** The page's language: every word on it, and its script's. */
  lang: Lang;
}

const STATUSES: readonly Status[] = ['ok', 'truncated', 'error'];
/**
 * Rows of a long page come in chunks of this many, each laid out only near the window: with a
 * row each, Chromium takes minutes to open 80,000 rows, with chunks seconds.
 */
export const CHUNK_ROWS = 500;
/** Answers longer than this start folded, so 500 rows stay skimmable. */
const CLAMP_CHARS = 600;
const CLAMP_LINES = 8;

/** Thumbnails are shown at half size (sharp on high-DPI screens, compact rows); a click shows them whole. */
export function thumbColumn(thumbSize: number): number {
  return thumbSize <= 128 ? thumbSize : Math.min(256, Math.max(128, Math.round(thumbSize / 2)));
}

function localTimestamp(d: Date): string {
  const pad = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} `
    + `${off < 0 ? '-' : '+'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

/**
 * The page's words in its language. Messages that hold markup (`<b>`) are the catalog's own; every
 * value put into one is escaped first (the `html` values of callers are escaped already).
 */
type Say = (key: MessageKey, values?: MessageValues) => string;
const sayer = (lang: Lang): Say => (key, values) => tIn(lang, key, values);

const statusKey = (s: Status): MessageKey => (s === 'ok' ? 'report:status.ok' : s === 'truncated' ? 'report:status.truncated' : 'report:status.error');

function listed(say: Say, values: string[], most = 3): string {
  const shown = values.slice(0, most).map((v) => `<b>${escapeHtml(v)}</b>`).join(say('report:list.separator'));
  return values.length > most ? say('report:head.listMore', { list: shown, count: values.length - most }) : shown;
}

export function pageHead(info: PageInfo): string {
  const say = sayer(info.lang);
  const css = reportCss({ thumbColumn: thumbColumn(info.thumbSize), thumbSize: info.thumbSize, chunkRows: CHUNK_ROWS });
  const name = info.catalog.split(/[\\/]/).pop() || info.catalog;
  const statuses = STATUSES.map((s) => say('report:head.statusCount', { count: info.counts[s], status: say(statusKey(s)) })).join(say('report:list.separator'));
  const sub = [
    say('report:head.rows', { count: info.rows, statuses }),
    info.selection ? say('report:head.selection', { total: info.total, selection: escapeHtml(info.selection) }) : '',
    info.reviewed ? say('report:head.reviewed', { count: info.reviewed }) : '',
    info.prompts.length ? say('report:head.prompts', { count: info.prompts.length, list: listed(say, info.prompts) }) : '',
    info.models.length ? say('report:head.models', { count: info.models.length, list: listed(say, info.models) }) : '',
    say('report:head.generated', { time: escapeHtml(localTimestamp(info.generated)) }),
    info.base !== undefined ? say('report:head.base', { folder: visibleName(info.base) }) : '',
  ].filter(Boolean).map((part) => `<span>${part}</span>`).join('');
  const button = (filter: string, label: string, n: number | string, pressed = false, hidden = false): string =>
    `<button type="button" class="f-${filter}" data-filter="${filter}" aria-pressed="${pressed}"${hidden ? ' hidden' : ''}>${escapeHtml(label)}<span class="n">${n}</span></button>`;
  const search = escapeHtml(say('report:search.label'));
  return `<!doctype html>
<html lang="${pageLocale(info.lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(css, REPORT_JS, info.folder !== undefined))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="glm-vision ${escapeHtml(info.version)}">
<title>${escapeHtml(say('report:title', { name }))}</title>
<style>${css}</style>
</head>
<body>
<header class="top">
<h1><span class="what">${escapeHtml(say('report:heading'))}</span> <span class="file" title="${escapeHtml(info.catalog)}">${visibleName(info.catalog)}</span></h1>
<p class="sub">${sub}</p>
</header>
<nav class="bar" aria-label="${escapeHtml(say('report:filter.label'))}">
<div class="filters" role="group" aria-label="${escapeHtml(say('report:filter.status'))}">${button('all', say('report:filter.all'), info.rows, true)}${
  STATUSES.map((s) => button(s, say(statusKey(s)), info.counts[s])).join('')}${button('image', say('report:filter.image'), 0, false, true)}</div>
<input id="q" type="search" placeholder="${escapeHtml(say('report:search.placeholder'))}" aria-label="${search}" autocomplete="off" spellcheck="false">
<span id="shown" aria-live="polite">${escapeHtml(say('report:client.shownAll', { count: info.rows }))}</span>
</nav>
<main id="rows">
`;
}

export function pageTail(info: PageInfo): string {
  const say = sayer(info.lang);
  const values = {
    version: escapeHtml(info.version), catalog: visibleName(info.catalog), size: info.thumbSize,
    folder: info.folder === undefined ? '' : visibleName(info.folder),
  };
  const footer = !info.thumbSize ? say('report:footer.plain', values)
    : info.folder === undefined ? say('report:footer.thumbnails', values) : say('report:footer.folder', values);
  return `</main>
<p id="none" hidden>${escapeHtml(say('report:noRows'))}</p>
<footer>${footer}</footer>
<script type="application/json" id="messages">${messagesJson(pageMessages(info.lang, 'report', 'client.'))}</script>
<script>${REPORT_JS}</script>
</body>
</html>
`;
}


/** Pages of more than CHUNK_ROWS rows group them; shorter ones have rows only, as they always had. */
export const isChunked = (info: PageInfo): boolean => info.rows > CHUNK_ROWS;

/** What goes before the `index`th row shown (0-based) of a chunked page. */
export function chunkStart(index: number): string {
  if (index % CHUNK_ROWS !== 0) return '';
  return `${index > 0 ? '</div>\n' : ''}<div class="chunk">\n`;
}

export const CHUNK_END = '</div>\n';

function thumbCell(say: Say, thumb: ShownThumbnail | undefined, file: string, deferred: boolean): string {
  if (thumb === undefined) return '';
  if (thumb.kind === 'missing') {
    return `<div class="thumb ph missing" title="${escapeHtml(file)}"><b>${escapeHtml(say('report:thumb.missing'))}</b>${escapeHtml(say('report:thumb.missingWhy'))}</div>`;
  }
  if (thumb.kind === 'unreadable') {
    return `<div class="thumb ph" title="${escapeHtml(file)}"><b>${escapeHtml(say('report:thumb.noPreview'))}</b>${escapeHtml(thumb.reason)}</div>`;
  }
  const flag = thumb.changed
    ? `<span class="flag" title="${escapeHtml(say('report:thumb.changedWhy'))}">${escapeHtml(say('report:thumb.changed'))}</span>` : '';
  return `<div class="thumb"><img ${deferred ? 'data-src' : 'src'}="${escapeHtml(thumb.src)}" width="${thumb.width}" height="${thumb.height}" alt="" loading="lazy" decoding="async">${flag}</div>`;
}

const isEmpty = (v: unknown): boolean => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** One value of a structured answer: text, a list of chips, or nested fields. */
function valueHtml(value: unknown, depth = 0): string {
  if (isEmpty(value)) return '<span class="empty">—</span>';
  if (typeof value === 'string') return `<span dir="auto">${escapeHtml(value)}</span>`;
  if (typeof value !== 'object' || value === null) return escapeHtml(String(value));
  if (depth > 6) return escapeHtml(JSON.stringify(value));
  if (Array.isArray(value)) {
    const simple = value.every((v) => v === null || typeof v !== 'object');
    const items = value.map((v) => `<li>${valueHtml(v, depth + 1)}</li>`).join('');
    return simple ? `<ul class="list">${items}</ul>` : `<ol class="items">${items}</ol>`;
  }
  return fieldsHtml(value as Record<string, unknown>, Object.keys(value), depth + 1);
}

function fieldsHtml(obj: Record<string, unknown>, keys: string[], depth = 0): string {
  return `<dl class="fields">${keys.map((k) => `<dt>${escapeHtml(k)}</dt><dd>${valueHtml(obj[k], depth)}</dd>`).join('')}</dl>`;
}

function answerHtml(say: Say, row: ReadRow, fields: string[]): string {
  const out = row.output;
  if (out === null) return '';
  if (typeof out === 'string') {
    if (out === '') return `<div class="answer empty">${escapeHtml(say('report:row.emptyAnswer'))}</div>`;
    const long = out.length > CLAMP_CHARS || out.split('\n').length > CLAMP_LINES;
    const text = `<div class="answer${long ? ' clamp' : ''}" dir="auto">${escapeHtml(out)}</div>`;
    return long ? `<div>${text}<button type="button" class="more">${escapeHtml(say('report:client.showAll'))}</button></div>` : text;
  }
  // The catalog's field order first, then anything this row has besides.
  const keys = [...fields.filter((f) => f in out), ...Object.keys(out).filter((k) => !fields.includes(k))];
  return fieldsHtml(out, keys);
}

function metaHtml(say: Say, row: ReadRow, showPrompt: boolean, lang: Lang): string {
  const items: [string, string][] = [];
  if (row.model) items.push([say('report:meta.model'), escapeHtml(row.model)]);
  if (showPrompt && row.prompt) items.push([say('report:meta.prompt'), escapeHtml(row.prompt)]);
  if (row.tokens_in !== null || row.tokens_out !== null) {
    items.push([say('report:meta.tokens'), escapeHtml(say('report:meta.tokensInOut', { in: row.tokens_in ?? '?', out: row.tokens_out ?? '?' }))]);
  }
  if (row.latency_ms !== null) items.push([say('report:meta.latency'), escapeHtml(timeText(row.latency_ms, { lang, digits: row.latency_ms < 10_000 ? 2 : 1 }))]);
  const image = [
    row.width !== null && row.height !== null ? `${row.width}×${row.height}` : '',
    row.format ? escapeHtml(row.format) : '',
    row.bytes !== null ? fileSize(row.bytes) : '',
  ].filter(Boolean).join(' · ');
  if (image) items.push([say('report:meta.image'), image]);
  if (row.sha256) items.push(['sha256', `<span title="${escapeHtml(row.sha256)}">${escapeHtml(row.sha256.slice(0, 12))}…</span>`]);
  return `<dl class="meta">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** The review badge: accepted, edited, rejected (any other value shown as it is), and by whom. */
const DECISION_KEYS: Record<string, MessageKey> = {
  accepted: 'report:review.accepted', edited: 'report:review.edited', rejected: 'report:review.rejected',
};

function reviewBadge(say: Say, row: ReadRow): string {
  if (row.review === null) return '';
  const decision = DECISION_KEYS[row.review];
  const known = decision ? ` rv-${row.review}` : '';
  const by = row.reviewer !== null ? ` <span class="by">${escapeHtml(say('report:review.by', { reviewer: row.reviewer }))}</span>` : '';
  return `<span class="badge rv${known}" title="${escapeHtml(say('report:review.title'))}">${escapeHtml(decision ? say(decision) : row.review)}${by}</span>`;
}

export interface RowView {
  row: ReadRow;
  /** 1-based, as in the catalog. */
  n: number;
  /** The resolved image path (shown on placeholders). */
  file: string;
  /** Undefined when the report has no thumbnails. */
  thumb: ShownThumbnail | undefined;
  fields: string[];
  showPrompt: boolean;
  /** The thumbnail is a file beside the page: the page's script sets its src when the row comes near. */
  deferred: boolean;
  lang: Lang;
}

export function pageRow({ row, n, file, thumb, fields, showPrompt, deferred, lang }: RowView): string {
  const say = sayer(lang);
  const issue = thumb !== undefined && (thumb.kind !== 'image' || thumb.changed);
  const page = { page: row.page, pages: row.pages ?? '?' };
  const badges = [
    row.page !== null ? `<span class="badge" title="${escapeHtml(say('report:row.pageTitle'))}">${escapeHtml(say('report:row.page', page))}</span>` : '',
    `<span class="badge b-${row.status}">${escapeHtml(say(statusKey(row.status)))}</span>`,
    row.cached ? `<span class="badge" title="${escapeHtml(say('report:row.cachedTitle'))}">${escapeHtml(say('report:row.cached'))}</span>` : '',
    reviewBadge(say, row),
  ].join('');
  const error = row.error ? `<div class="err" dir="auto">${escapeHtml(row.error)}</div>` : '';
  return `<article class="row s-${row.status}${issue ? ' img-issue' : ''}" id="r${n}" data-status="${row.status}">`
    + thumbCell(say, thumb, file, deferred)
    + `<div class="body"><div class="head"><a class="num" href="#r${n}">#${n}</a><span class="file">${visibleName(row.SourceFile)}</span>${badges}</div>`
    + error + answerHtml(say, row, fields) + '</div>'
    + metaHtml(say, row, showPrompt, lang)
    + '</article>\n';
}
