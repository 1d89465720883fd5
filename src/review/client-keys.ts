// The page's script, part 5 of 5: the keyboard, the help, the buttons, and the start: the first
// row nobody has decided on yet, so that a review carries on where it was left.
export const CLIENT_KEYS = String.raw`
function openHelp() {
  $('help').hidden = false;
  $('help-close').focus();
}

function closeHelp() {
  $('help').hidden = true;
}

const FILTER_KEYS = Array.from(document.querySelectorAll('.filters button'), (b) => b.dataset.filter);

const KEYS = {
  j: () => step(1), ArrowDown: () => step(1), ArrowRight: () => step(1),
  k: () => step(-1), ArrowUp: () => step(-1), ArrowLeft: () => step(-1),
  a: () => decide('accepted'), r: () => decide('rejected'), e: () => startEdit(),
  s: skip, n: skip,
  '/': () => $('q').focus(), '?': openHelp,
  Escape: () => $('notices').replaceChildren(),
};
FILTER_KEYS.forEach((f, i) => (KEYS[String(i + 1)] = () => setFilter(f)));

/** Keys typed into a field are the field's, unless it only shows a value (read-only). */
function typing(target) {
  if (!target || !target.tagName) return false;
  if (target.tagName === 'SELECT') return !target.disabled;
  return (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA') && !target.readOnly;
}

function onKey(e) {
  if (!$('help').hidden) {
    if (e.key === 'Escape' || e.key === '?') {
      e.preventDefault();
      closeHelp();
    }
    return;
  }
  if (st.editing) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      queued(saveEdit);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      cancelEdit();
    }
    return;
  }
  if (e.target === $('q')) {
    if (e.key === 'Escape' || e.key === 'Enter') {
      e.preventDefault();
      if (e.key === 'Escape' && $('q').value !== '') {
        $('q').value = '';
        st.q = '';
        queued(requery);
      }
      $('q').blur();
    }
    return;
  }
  if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
  const act = KEYS[e.key];
  if (!act) return;
  e.preventDefault();
  queued(act);
}

function wireButtons() {
  const on = (id, f) => $(id).addEventListener('click', () => queued(f));
  on('accept', () => decide('accepted'));
  on('reject', () => decide('rejected'));
  on('edit', startEdit);
  on('skip', skip);
  on('save', saveEdit);
  on('cancel', cancelEdit);
  on('help-open', openHelp);
  on('help-close', closeHelp);
  document.addEventListener('keydown', onKey);
}

async function start() {
  const meta = await getJson('/api/meta');
  st.meta = meta;
  st.strings = meta.strings;
  st.total = meta.counts.all;
  applyCounts(meta.counts);
  wireList();
  wireButtons();
  listen();
  const first = await getJson('/api/rows?filter=unreviewed&q=&offset=0&limit=1');
  const id = first.rows.length > 0 ? first.rows[0].id : 0;
  drawList();
  if (meta.counts.all > 0) await select(id, id);
  document.body.dataset.ready = 'true';
}

start().catch(() => offline(true));
`;
