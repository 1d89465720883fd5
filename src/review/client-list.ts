// The page's script, part 2 of 5: the row list. Only the rows in view exist in the page; they are
// asked for a hundred at a time as the list scrolls, so 80,000 rows open as fast as ten.
export const CLIENT_LIST = String.raw`
function resetList() {
  st.gen++;
  st.rows = new Map();
  st.loading = new Set();
  drawList();
}

async function loadPage(p) {
  if (st.loading.has(p)) return;
  st.loading.add(p);
  const gen = st.gen;
  const r = await getJson('/api/rows?' + listQuery() + '&offset=' + p * PAGE + '&limit=' + PAGE);
  if (gen !== st.gen) return;
  st.total = r.total;
  r.rows.forEach((row, i) => st.rows.set(r.offset + i, row));
  applyCounts(r.counts);
  drawList();
}

function itemNode(row, pos) {
  let node = st.nodes.get(row.id);
  if (!node || node.dataset.state !== row.state) {
    node = el('div', 'item');
    node.setAttribute('role', 'option');
    node.dataset.id = String(row.id);
    node.dataset.state = row.state;
    const img = el('img');
    img.alt = '';
    img.loading = 'lazy';
    img.src = '/api/image/' + row.id + '?size=thumb';
    img.addEventListener('error', () => (img.style.visibility = 'hidden'));
    const txt = el('div', 'txt');
    const name = el('span', 'name');
    name.append(...nameNodes(row.source.split('/').pop() || row.source));
    name.title = row.source;
    const sub = el('span', 'sub');
    sub.append(el('span', 'num', '#' + row.n));
    if (row.page !== null) sub.append(el('span', '', t('listPage', { page: row.page, pages: row.pages === null ? '?' : row.pages })));
    if (row.status !== 'ok') sub.append(el('span', 'badge b-' + row.status, t('status.' + row.status)));
    if (row.state !== 'unreviewed' && row.state !== 'none') sub.append(el('span', 'badge b-' + row.state, t('state.' + row.state)));
    txt.append(name, sub);
    node.append(img, txt);
    node.addEventListener('click', () => queued(() => select(row.id, Number(node.dataset.pos))));
    st.nodes.set(row.id, node);
  }
  node.dataset.pos = String(pos);
  node.style.top = pos * ROW_H + 'px';
  node.classList.toggle('cur', !!st.cur && st.cur.id === row.id);
  node.setAttribute('aria-selected', String(!!st.cur && st.cur.id === row.id));
  return node;
}

function drawList() {
  const list = $('list');
  const inner = $('list-inner');
  inner.style.height = st.total * ROW_H + 'px';
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - 3);
  const last = Math.min(st.total, Math.ceil((list.scrollTop + list.clientHeight) / ROW_H) + 3);
  const shown = [];
  for (let pos = first; pos < last; pos++) {
    const row = st.rows.get(pos);
    if (row) shown.push(itemNode(row, pos));
    else loadPage(Math.floor(pos / PAGE)).catch(() => undefined);
  }
  inner.replaceChildren(...shown);
  // Nodes out of view are let go, so the kept ones stay a screenful.
  const keep = new Set(shown);
  for (const [id, node] of st.nodes) if (!keep.has(node)) st.nodes.delete(id);
  $('none').hidden = st.total > 0;
  if (st.counts) applyCounts(st.counts);
}

function showPos(pos) {
  const list = $('list');
  if (pos < 0) return;
  if (pos * ROW_H < list.scrollTop) list.scrollTop = pos * ROW_H;
  else if ((pos + 1) * ROW_H > list.scrollTop + list.clientHeight) list.scrollTop = (pos + 1) * ROW_H - list.clientHeight;
}

// A new filter or search starts at its first row.
async function requery() {
  resetList();
  const gen = st.gen;
  const r = await getJson('/api/rows?' + listQuery() + '&offset=0&limit=' + PAGE);
  if (gen !== st.gen) return;
  st.total = r.total;
  r.rows.forEach((row, i) => st.rows.set(i, row));
  applyCounts(r.counts);
  $('list').scrollTop = 0;
  if (r.rows.length > 0) await select(r.rows[0].id, 0);
  else clearDetail();
  drawList();
}

function setFilter(filter) {
  st.filter = filter;
  for (const b of document.querySelectorAll('.filters button')) b.setAttribute('aria-pressed', String(b.dataset.filter === filter));
  return requery();
}

function wireList() {
  $('list').addEventListener('scroll', () => drawList(), { passive: true });
  window.addEventListener('resize', () => drawList());
  for (const b of document.querySelectorAll('.filters button')) b.addEventListener('click', () => queued(() => setFilter(b.dataset.filter)));
  $('q').addEventListener('input', () => {
    st.q = $('q').value;
    queued(requery);
  });
}
`;
