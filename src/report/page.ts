// The report page, rendered on the server side: every value from the catalog
// goes through escapeHtml, so the page holds no data a script must parse.
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

function listed(values: string[], most = 3): string {
  const shown = values.slice(0, most).map((v) => `<b>${escapeHtml(v)}</b>`).join(', ');
  return values.length > most ? `${shown} and ${values.length - most} more` : shown;
}

export function pageHead(info: PageInfo): string {
  const css = reportCss({ thumbColumn: thumbColumn(info.thumbSize), thumbSize: info.thumbSize, chunkRows: CHUNK_ROWS });
  const name = info.catalog.split(/[\\/]/).pop() || info.catalog;
  const sub = [
    `<span><b>${info.rows}</b> rows: ${STATUSES.map((s) => `${info.counts[s]} ${s}`).join(', ')}</span>`,
    info.selection ? `<span>of <b>${info.total}</b> in the catalog, chosen by <b>${escapeHtml(info.selection)}</b></span>` : '',
    info.reviewed ? `<span>${info.reviewed} reviewed</span>` : '',
    info.prompts.length ? `<span>prompt ${listed(info.prompts)}</span>` : '',
    info.models.length ? `<span>model ${listed(info.models)}</span>` : '',
    `<span>generated ${escapeHtml(localTimestamp(info.generated))}</span>`,
    info.base !== undefined ? `<span>images from <b class="file">${visibleName(info.base)}</b></span>` : '',
  ].filter(Boolean).join('');
  const button = (filter: string, label: string, n: number | string, pressed = false, hidden = false): string =>
    `<button type="button" class="f-${filter}" data-filter="${filter}" aria-pressed="${pressed}"${hidden ? ' hidden' : ''}>${label}<span class="n">${n}</span></button>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(css, REPORT_JS, info.folder !== undefined))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="glm-vision ${escapeHtml(info.version)}">
<title>${escapeHtml(name)} — glm-vision report</title>
<style>${css}</style>
</head>
<body>
<header class="top">
<h1><span class="what">glm-vision report ·</span> <span class="file" title="${escapeHtml(info.catalog)}">${visibleName(info.catalog)}</span></h1>
<p class="sub">${sub}</p>
</header>
<nav class="bar" aria-label="Filter rows">
<div class="filters" role="group" aria-label="Status">${button('all', 'all', info.rows, true)}${STATUSES.map((s) => button(s, s, info.counts[s])).join('')}${button('image', 'image problems', 0, false, true)}</div>
<input id="q" type="search" placeholder="Search file names and answers  ( / )" aria-label="Search file names and answers" autocomplete="off" spellcheck="false">
<span id="shown" aria-live="polite">${info.rows} rows</span>
</nav>
<main id="rows">
`;
}

export function pageTail(info: PageInfo): string {
  return `</main>
<p id="none" hidden>No rows match.</p>
<footer>Made by glm-vision ${escapeHtml(info.version)} from <span class="file">${visibleName(info.catalog)}</span>${
  info.thumbSize ? `. Thumbnails are previews at most ${info.thumbSize} px; click one to enlarge it` : ''}${
  info.folder !== undefined ? `; they are files in the folder <span class="file">${visibleName(info.folder)}</span> beside this page, which must stay with it` : ''
}. This page loads nothing from the network.</footer>
<script>${REPORT_JS}</script>
</body>
</html>
`;
}

function latency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Pages of more than CHUNK_ROWS rows group them; shorter ones have rows only, as they always had. */
export const isChunked = (info: PageInfo): boolean => info.rows > CHUNK_ROWS;

/** What goes before the `index`th row shown (0-based) of a chunked page. */
export function chunkStart(index: number): string {
  if (index % CHUNK_ROWS !== 0) return '';
  return `${index > 0 ? '</div>\n' : ''}<div class="chunk">\n`;
}

export const CHUNK_END = '</div>\n';

function thumbCell(thumb: ShownThumbnail | undefined, file: string, deferred: boolean): string {
  if (thumb === undefined) return '';
  if (thumb.kind === 'missing') {
    return `<div class="thumb ph missing" title="${escapeHtml(file)}"><b>image not found</b>moved, deleted, or a wrong --base</div>`;
  }
  if (thumb.kind === 'unreadable') {
    return `<div class="thumb ph" title="${escapeHtml(file)}"><b>no preview</b>${escapeHtml(thumb.reason)}</div>`;
  }
  const flag = thumb.changed ? '<span class="flag" title="its SHA-256 is not the one in the catalog">file changed since cataloguing</span>' : '';
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

function answerHtml(row: ReadRow, fields: string[]): string {
  const out = row.output;
  if (out === null) return '';
  if (typeof out === 'string') {
    if (out === '') return '<div class="answer empty">(empty answer)</div>';
    const long = out.length > CLAMP_CHARS || out.split('\n').length > CLAMP_LINES;
    const text = `<div class="answer${long ? ' clamp' : ''}" dir="auto">${escapeHtml(out)}</div>`;
    return long ? `<div>${text}<button type="button" class="more">show all</button></div>` : text;
  }
  // The catalog's field order first, then anything this row has besides.
  const keys = [...fields.filter((f) => f in out), ...Object.keys(out).filter((k) => !fields.includes(k))];
  return fieldsHtml(out, keys);
}

function metaHtml(row: ReadRow, showPrompt: boolean): string {
  const items: [string, string][] = [];
  if (row.model) items.push(['model', escapeHtml(row.model)]);
  if (showPrompt && row.prompt) items.push(['prompt', escapeHtml(row.prompt)]);
  if (row.tokens_in !== null || row.tokens_out !== null) items.push(['tokens', `${row.tokens_in ?? '?'} in, ${row.tokens_out ?? '?'} out`]);
  if (row.latency_ms !== null) items.push(['latency', latency(row.latency_ms)]);
  const image = [
    row.width !== null && row.height !== null ? `${row.width}×${row.height}` : '',
    row.format ? escapeHtml(row.format) : '',
    row.bytes !== null ? fileSize(row.bytes) : '',
  ].filter(Boolean).join(' · ');
  if (image) items.push(['image', image]);
  if (row.sha256) items.push(['sha256', `<span title="${escapeHtml(row.sha256)}">${escapeHtml(row.sha256.slice(0, 12))}…</span>`]);
  return `<dl class="meta">${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** The review badge: accepted, edited, rejected (any other value shown as it is), and by whom. */
function reviewBadge(row: ReadRow): string {
  if (row.review === null) return '';
  const known = ['accepted', 'edited', 'rejected'].includes(row.review) ? ` rv-${row.review}` : '';
  const by = row.reviewer !== null ? ` <span class="by">by ${escapeHtml(row.reviewer)}</span>` : '';
  return `<span class="badge rv${known}" title="review">${escapeHtml(row.review)}${by}</span>`;
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
}

export function pageRow({ row, n, file, thumb, fields, showPrompt, deferred }: RowView): string {
  const issue = thumb !== undefined && (thumb.kind !== 'image' || thumb.changed);
  const badges = [
    row.page !== null ? `<span class="badge" title="page of the document">p. ${row.page}/${row.pages ?? '?'}</span>` : '',
    `<span class="badge b-${row.status}">${row.status}</span>`,
    row.cached ? '<span class="badge" title="answered from the cache">cached</span>' : '',
    reviewBadge(row),
  ].join('');
  const error = row.error ? `<div class="err" dir="auto">${escapeHtml(row.error)}</div>` : '';
  return `<article class="row s-${row.status}${issue ? ' img-issue' : ''}" id="r${n}" data-status="${row.status}">`
    + thumbCell(thumb, file, deferred)
    + `<div class="body"><div class="head"><a class="num" href="#r${n}">#${n}</a><span class="file">${visibleName(row.SourceFile)}</span>${badges}</div>`
    + error + answerHtml(row, fields) + '</div>'
    + metaHtml(row, showPrompt)
    + '</article>\n';
}
