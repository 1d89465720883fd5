// The review page's style sheet, served as /app.css (the CSP allows no inline style).
// Three columns: the row list, the picture as large as the window allows, the answer and actions.
export const REVIEW_CSS = `
:root{--bg:#f4f5f7;--card:#fff;--fg:#1c2230;--muted:#5c6578;--line:#dcdfe6;--accent:#2356c9;--chip:#eef1f6;
--ok:#1d6f39;--okbg:#e3f3e8;--warn:#7a4f00;--warnbg:#fff3d1;--err:#a8231b;--errbg:#fdeceb;--row:64px;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--card:#1c2027;--fg:#e3e6ed;--muted:#98a1b3;--line:#323845;--accent:#8cb0ff;
--chip:#272c36;--ok:#7dd196;--okbg:#1b3223;--warn:#f0c46c;--warnbg:#372c12;--err:#ff8b83;--errbg:#3b1e1c}}
*{box-sizing:border-box}
html,body{height:100%}
body{margin:0;display:flex;flex-direction:column;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
button{font:inherit;cursor:pointer}
.top{display:flex;align-items:baseline;gap:6px 16px;flex-wrap:wrap;padding:10px 16px 6px}
h1{margin:0;font-size:17px;font-weight:650;overflow-wrap:anywhere;flex:1 1 20rem}
h1 .what{color:var(--muted);font-weight:500}
.progress{font-weight:600;font-variant-numeric:tabular-nums}
.who{color:var(--muted)}
.top button{border:1px solid var(--line);background:var(--card);color:var(--fg);border-radius:999px;width:1.9rem;height:1.9rem}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;padding:6px 16px;border-bottom:1px solid var(--line)}
.filters{display:flex;flex-wrap:wrap;gap:4px}
.filters button{font-size:13px;padding:2px 10px;border:1px solid var(--line);border-radius:999px;background:var(--card);color:var(--fg)}
.filters button[aria-pressed="true"]{background:var(--accent);border-color:var(--accent);color:var(--card)}
.filters .n{font-variant-numeric:tabular-nums;opacity:.8;margin-left:4px}
.bar input{font:inherit;flex:1 1 14rem;max-width:28rem;padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
#shown{color:var(--muted);font-size:13px;font-variant-numeric:tabular-nums}
.notices{display:flex;flex-direction:column;gap:4px;padding:0 16px}
.notices:empty{display:none}
.notice{margin-top:6px;padding:6px 10px;border-radius:6px;background:var(--warnbg);color:var(--warn);border:1px solid #d89b00;display:flex;gap:10px;align-items:start}
.notice.bad{background:var(--errbg);color:var(--err);border-color:var(--err)}
.notice span{flex:1;overflow-wrap:anywhere}
.notice button{border:0;background:none;color:inherit;font-weight:700}
.layout{flex:1;min-height:0;display:grid;grid-template-columns:minmax(14rem,19rem) minmax(0,1.4fr) minmax(20rem,1fr)}
.list{overflow-y:auto;border-right:1px solid var(--line);position:relative}
#list-inner{position:relative}
.item{position:absolute;left:0;right:0;height:var(--row);display:flex;gap:8px;align-items:center;padding:4px 8px;border-bottom:1px solid var(--line);cursor:pointer}
.item:hover{background:var(--chip)}
.item.cur{background:var(--card);box-shadow:inset 3px 0 0 var(--accent)}
.item img{width:52px;height:52px;object-fit:contain;flex:none;background:var(--chip);border-radius:3px}
.item .txt{min-width:0;display:flex;flex-direction:column}
.item .name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.item .sub{display:flex;gap:6px;align-items:center;font-size:11px;color:var(--muted)}
.viewer{min-width:0;min-height:0;display:flex;align-items:center;justify-content:center;padding:10px;background:var(--chip)}
.figure{width:100%;height:100%;display:flex;align-items:center;justify-content:center}
.figure img{max-width:100%;max-height:100%;object-fit:contain;box-shadow:0 0 0 1px var(--line);background:#fff}
.ph{padding:20px;border:1px dashed var(--muted);border-radius:6px;color:var(--muted);text-align:center;max-width:28rem;overflow-wrap:anywhere}
.panel{min-width:0;overflow-y:auto;padding:12px 16px;display:flex;flex-direction:column;gap:8px;background:var(--card);border-left:1px solid var(--line)}
.head{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline}
.num{color:var(--muted);font-variant-numeric:tabular-nums}
.file{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px;font-weight:600;overflow-wrap:anywhere;unicode-bidi:isolate;direction:ltr}
.ctl{color:var(--err);background:var(--errbg);border-radius:2px;padding:0 1px;font-weight:400}
.badge{font-size:11px;font-weight:600;letter-spacing:.02em;text-transform:uppercase;padding:1px 6px;border-radius:3px;background:var(--chip);color:var(--muted)}
.b-ok{background:var(--okbg);color:var(--ok)}
.b-truncated,.b-stale{background:var(--warnbg);color:var(--warn)}
.b-error,.b-rejected{background:var(--err);color:#fff}
.b-accepted{background:var(--ok);color:#fff}
.b-edited{background:var(--accent);color:var(--card)}
.err,.why,.decided{white-space:pre-wrap;overflow-wrap:anywhere;font-size:13px}
.err{padding:5px 8px;border-radius:4px;border:1px solid var(--err);color:var(--err);background:var(--errbg)}
.why{color:var(--muted);font-style:italic}
.decided{color:var(--muted)}
.decided.stale{color:var(--warn)}
.answer{display:flex;flex-direction:column;gap:6px}
.answer textarea,.answer input,.answer select{font:inherit;width:100%;padding:6px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.answer textarea{resize:vertical;white-space:pre-wrap}
#text{min-height:14rem}
body.editing .answer textarea,body.editing .answer input,body.editing .answer select{background:var(--card);border-color:var(--accent);outline:1px solid var(--accent)}
body.rejected-row .answer textarea{text-decoration:line-through;opacity:.7}
.field{display:flex;flex-direction:column;gap:2px}
.field label{font-size:12px;color:var(--muted);display:flex;gap:6px}
.field .hint{opacity:.7}
details.model{font-size:13px;color:var(--muted)}
details.model pre{white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;margin:4px 0 0}
.actions{display:flex;flex-wrap:wrap;gap:6px}
.actions button{padding:5px 12px;border-radius:6px;border:1px solid var(--line);background:var(--bg);color:var(--fg)}
.actions button kbd{font:11px ui-monospace,monospace;color:var(--muted);margin-left:6px}
.actions button:disabled{opacity:.45;cursor:default}
#accept{border-color:var(--ok)}
#reject{border-color:var(--err)}
.actions .edit-only{display:none}
body.editing .actions .edit-only{display:inline-block}
body.editing .actions .view-only{display:none}
#save{background:var(--accent);color:var(--card);border-color:var(--accent)}
#save kbd{color:inherit;opacity:.8}
.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 10px;margin:0;font-size:12px;color:var(--muted)}
.meta dd{margin:0;color:var(--fg);overflow-wrap:anywhere}
.none{padding:24px;color:var(--muted)}
.toasts{position:fixed;right:16px;bottom:16px;display:flex;flex-direction:column;gap:6px;pointer-events:none}
.toast{background:var(--fg);color:var(--bg);padding:6px 12px;border-radius:6px;box-shadow:0 2px 8px rgba(0,0,0,.2)}
.help{position:fixed;inset:0;background:rgba(0,0,0,.35);display:flex;align-items:center;justify-content:center}
.help[hidden]{display:none}
.help-box{background:var(--card);color:var(--fg);padding:16px 20px;border-radius:8px;max-width:32rem;width:90%}
.help h2{margin:0 0 8px;font-size:16px}
.help table{border-collapse:collapse;width:100%}
.help td{padding:3px 6px;border-bottom:1px solid var(--line)}
.help kbd{font:12px ui-monospace,monospace;background:var(--chip);border-radius:3px;padding:1px 5px}
.offline{position:fixed;left:0;right:0;top:0;padding:8px 16px;background:var(--err);color:#fff;text-align:center}
.offline[hidden]{display:none}
@media (max-width:900px){.layout{grid-template-columns:1fr;grid-auto-rows:auto}.list{max-height:30vh}.viewer{height:50vh}}
`;
