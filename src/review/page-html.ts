// The review page's HTML: a fixed frame in the chosen language, with no data in it. The rows come
// from the API and are put in by the script with textContent, so nothing a model wrote or a file is
// called can ever be read as markup. Every text here goes through escapeHtml all the same.
import type { Lang } from '../prompt/render.js';
import { escapeHtml } from '../report/escape.js';
import { say, type StringKey } from './i18n.js';
import type { Filter } from './row-query.js';

/** The filter buttons in the order shown (and numbered 1–8 on the keyboard). */
export const FILTER_ORDER = ['all', 'unreviewed', 'error', 'truncated', 'rejected', 'accepted', 'edited', 'stale'] as const satisfies readonly Filter[];

const KEYS: [string[], StringKey][] = [
  [['j', '↓', '→'], 'key.next'],
  [['k', '↑', '←'], 'key.prev'],
  [['a'], 'key.accept'],
  [['e'], 'key.edit'],
  [['r'], 'key.reject'],
  [['s', 'n'], 'key.skip'],
  [['Ctrl+Enter'], 'key.save'],
  [['Esc'], 'key.cancel'],
  [['/'], 'key.search'],
  [['1', '…', '8'], 'key.filters'],
  [['?'], 'key.help'],
];

export interface PageFrame {
  lang: Lang;
  /** What is reviewed: the catalogs' names, or the cache job. */
  title: string;
  reviewer: string;
}

export function pageHtml({ lang, title, reviewer }: PageFrame): string {
  const t = (key: StringKey, values?: Record<string, string | number>): string => escapeHtml(say(lang, key, values));
  const filters = FILTER_ORDER.map((f) =>
    `<button type="button" data-filter="${f}" aria-pressed="${f === 'all'}">${t(`filter.${f}`)}<span class="n"></span></button>`).join('');
  const action = (id: string, key: StringKey, kbd: string, cls: string): string =>
    `<button type="button" id="${id}" class="${cls}" disabled>${t(key)}<kbd>${escapeHtml(kbd)}</kbd></button>`;
  const help = KEYS.map(([keys, what]) => `<tr><td>${keys.map((k) => `<kbd>${escapeHtml(k)}</kbd>`).join(' ')}</td><td>${t(what)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t('title')} · ${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<div id="offline" class="offline" role="alert" hidden>${t('offline')}</div>
<header class="top">
<h1><span class="what">${t('title')} ·</span> <span class="file">${escapeHtml(title)}</span></h1>
<span id="progress" class="progress"></span>
<span class="who">${t('reviewer', { name: reviewer })}</span>
<button type="button" id="help-open" title="${t('help')}" aria-label="${t('help')}">?</button>
</header>
<nav class="bar">
<div class="filters" role="group">${filters}</div>
<input id="q" type="search" placeholder="${t('search')}" aria-label="${t('search')}" autocomplete="off" spellcheck="false">
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
${action('accept', 'accept', 'a', 'view-only')}${action('edit', 'edit', 'e', 'view-only')}${action('reject', 'reject', 'r', 'view-only')}${action('skip', 'skip', 's', 'view-only')}
${action('save', 'save', 'Ctrl+Enter', 'edit-only')}${action('cancel', 'cancel', 'Esc', 'edit-only')}
</div>
<dl id="meta" class="meta"></dl>
<p id="none" class="none" hidden>${t('noRows')}</p>
</section>
</div>
<div id="toasts" class="toasts"></div>
<div id="help" class="help" role="dialog" aria-modal="true" aria-labelledby="help-title" hidden><div class="help-box">
<h2 id="help-title">${t('help')}</h2>
<table>${help}</table>
<p><button type="button" id="help-close">${t('close')}</button></p>
</div></div>
</body>
</html>
`;
}
