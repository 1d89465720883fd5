// The review page's HTML: a fixed frame in the chosen language, with no data in it. The rows come
// from the API and are put in by the script with textContent, so nothing a model wrote or a file is
// called can ever be read as markup. Every text here goes through escapeHtml all the same.
import { tIn, type Lang, type MessageKey, type MessageValues } from '../i18n/index.js';
import { pageLocale } from '../i18n/page-messages.js';
import { escapeHtml } from '../report/escape.js';
import type { Filter } from './row-query.js';

/** The filter buttons in the order shown (and numbered 1–8 on the keyboard). */
export const FILTER_ORDER = ['all', 'unreviewed', 'error', 'truncated', 'rejected', 'accepted', 'edited', 'stale'] as const satisfies readonly Filter[];

const KEYS: [string[], MessageKey][] = [
  [['j', '↓', '→'], 'review:key.next'],
  [['k', '↑', '←'], 'review:key.prev'],
  [['a'], 'review:key.accept'],
  [['e'], 'review:key.edit'],
  [['r'], 'review:key.reject'],
  [['s', 'n'], 'review:key.skip'],
  [['Ctrl+Enter'], 'review:key.save'],
  [['Esc'], 'review:key.cancel'],
  [['/'], 'review:key.search'],
  [['1', '…', '8'], 'review:key.filters'],
  [['?'], 'review:key.help'],
];

export interface PageFrame {
  lang: Lang;
  /** What is reviewed: the catalogs' names, or the cache job. */
  title: string;
  reviewer: string;
}

export function pageHtml({ lang, title, reviewer }: PageFrame): string {
  const t = (key: MessageKey, values?: MessageValues): string => escapeHtml(tIn(lang, key, values));
  const filters = FILTER_ORDER.map((f) =>
    `<button type="button" data-filter="${f}" aria-pressed="${f === 'all'}">${t(`review:filter.${f}`)}<span class="n"></span></button>`).join('');
  const action = (id: string, key: MessageKey, kbd: string, cls: string): string =>
    `<button type="button" id="${id}" class="${cls}" disabled>${t(key)}<kbd>${escapeHtml(kbd)}</kbd></button>`;
  const help = KEYS.map(([keys, what]) => `<tr><td>${keys.map((k) => `<kbd>${escapeHtml(k)}</kbd>`).join(' ')}</td><td>${t(what)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="${pageLocale(lang)}">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t('review:title')} · ${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<div id="offline" class="offline" role="alert" hidden>${t('review:offline')}</div>
<header class="top">
<h1><span class="what">${t('review:title')} ·</span> <span class="file">${escapeHtml(title)}</span></h1>
<span id="progress" class="progress"></span>
<span class="who">${t('review:reviewer', { name: reviewer })}</span>
<button type="button" id="help-open" title="${t('review:help')}" aria-label="${t('review:help')}">?</button>
</header>
<nav class="bar">
<div class="filters" role="group">${filters}</div>
<input id="q" type="search" placeholder="${t('review:search')}" aria-label="${t('review:search')}" autocomplete="off" spellcheck="false">
<span id="shown" aria-live="polite"></span>
</nav>
<div id="notices" class="notices" aria-live="polite"></div>
<div class="layout">
<div id="list" class="list" role="listbox" tabindex="-1"><div id="list-inner"></div></div>
<main class="viewer"><div class="figure"><img id="image" alt="" hidden><div id="image-ph" class="ph" hidden></div></div></main>
<section id="panel" class="panel">
<div class="head"><span id="num" class="num"></span><span id="file" class="file"></span><span id="badges"></span></div>
<div id="why" class="why" hidden></div>
<div id="error" class="err" hidden></div>
<div id="decided" class="decided" hidden></div>
<div id="answer" class="answer"></div>
<div class="actions">
${action('accept', 'review:accept', 'a', 'view-only')}${action('edit', 'review:edit', 'e', 'view-only')}${action('reject', 'review:reject', 'r', 'view-only')}${action('skip', 'review:skip', 's', 'view-only')}
${action('save', 'review:save', 'Ctrl+Enter', 'edit-only')}${action('cancel', 'review:cancel', 'Esc', 'edit-only')}
</div>
<dl id="meta" class="meta"></dl>
<p id="none" class="none" hidden>${t('review:noRows')}</p>
</section>
</div>
<div id="toasts" class="toasts"></div>
<div id="help" class="help" role="dialog" aria-modal="true" aria-labelledby="help-title" hidden><div class="help-box">
<h2 id="help-title">${t('review:help')}</h2>
<table>${help}</table>
<p><button type="button" id="help-close">${t('review:close')}</button></p>
</div></div>
</body>
</html>
`;
}
