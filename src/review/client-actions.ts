// The page's script, part 4 of 5: moving between rows, decisions, and the other tabs' decisions
// as the server tells of them. A decision is shown as saved only once the server says it is in
// the cache; the page then moves on to the next row of the list.
export const CLIENT_ACTIONS = String.raw`
async function select(id, pos) {
  const seq = ++st.seq;
  const d = await getJson('/api/rows/' + id);
  if (seq !== st.seq) return;
  st.cur = d;
  st.pos = pos;
  renderDetail(d);
  showPos(pos);
  drawList();
}

/** Moves to the next (dir 1) or previous (-1) row of the list; false at its end. */
async function step(dir) {
  if (!st.cur) return false;
  const r = await getJson('/api/rows?' + listQuery() + '&' + (dir > 0 ? 'after' : 'before') + '=' + st.cur.id);
  st.total = r.total;
  applyCounts(r.counts);
  if (r.rows.length === 0) return false;
  await select(r.rows[0].id, r.offset);
  return true;
}

function payloadOf(decision) {
  if (decision !== 'edited') return {};
  return st.cur.structured ? { fields: readFields(st.cur) } : { text: $('text').value };
}

async function decide(decision) {
  const d = st.cur;
  if (!d || d.state === 'none' || st.busy) return;
  let extra;
  try {
    extra = payloadOf(decision);
  } catch (e) {
    notice(t('notSaved', { message: e.message }), true);
    return;
  }
  st.busy = true;
  try {
    const body = Object.assign({ decision: decision, seen: d.revision }, extra);
    const { status, data } = await postJson('/api/rows/' + d.id + '/decision', body);
    if (status !== 200) {
      // The page's own words for what it knows (no answer, busy cache), else the server's (a schema's complaint).
      const known = st.strings['why.' + data.error];
      notice(t('notSaved', { message: known || data.message || data.error || String(status) }), true);
      return;
    }
    st.mine.add(d.id);
    applyCounts(data.counts);
    toast(t('saved', { n: d.n, decision: t('state.' + decision) }));
    if (data.overwrote) {
      const o = data.overwrote;
      notice(t('overwrote', { n: d.n, decision: t('state.' + o.decision), reviewer: o.reviewer, time: when(o.reviewedAt) }));
    }
    resetList();
    if (!(await step(1))) await select(d.id, st.pos);
  } finally {
    st.busy = false;
  }
}

function skip() {
  return step(1);
}

function saveEdit() {
  return st.editing ? decide('edited') : undefined;
}

// Other tabs' decisions: counts and list kept true; a decision of ours that another tab replaced,
// or a change to the row on screen, is told in a notice.
function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    offline(false);
    document.body.dataset.live = 'true';
  });
  events.addEventListener('error', () => offline(true));
  events.addEventListener('decision', (e) => {
    const ev = JSON.parse(e.data);
    applyCounts(ev.counts);
    if (ev.client === CLIENT) return;
    resetList();
    const values = { n: ev.n, decision: t('state.' + ev.decision), reviewer: ev.reviewer };
    const onScreen = st.cur && st.cur.id === ev.id;
    if (st.mine.has(ev.id)) notice(t('replaced', values));
    else if (onScreen) notice(t('changed', values));
    // An edit under way is kept: saving it will say what it replaces.
    if (onScreen && !st.editing) queued(() => (st.cur && st.cur.id === ev.id && !st.editing ? select(ev.id, st.pos) : undefined));
  });
}
`;
