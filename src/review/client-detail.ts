// The page's script, part 3 of 5: one row shown whole. The picture as large as its column allows,
// the answer as an editable text or one input per field of a structured answer, and its details.
export const CLIENT_DETAIL = String.raw`
function clearDetail() {
  st.cur = null;
  st.editing = false;
  document.body.classList.remove('editing');
  for (const id of ['num', 'file', 'badges', 'answer', 'meta']) $(id).replaceChildren();
  for (const id of ['why', 'error', 'decided']) $(id).hidden = true;
  $('image').hidden = true;
  $('image-ph').hidden = true;
  for (const b of document.querySelectorAll('.actions button')) b.disabled = true;
}

function showImage(d) {
  const img = $('image');
  const ph = $('image-ph');
  const url = '/api/image/' + d.id + '?size=large';
  ph.hidden = true;
  img.hidden = false;
  img.onerror = async () => {
    if (!st.cur || st.cur.id !== d.id) return;
    img.hidden = true;
    const r = await fetch(url).then((x) => x.json()).catch(() => ({}));
    ph.textContent = r.error === 'missing' ? t('imageMissing') : t('noPreview', { reason: r.message || r.error || '?' });
    ph.hidden = false;
  };
  img.src = url;
}

// A field's value as its input shows it: lists one item per line, JSON for what has no input of its own.
function fieldText(spec, v) {
  if (v === undefined || v === null) return '';
  if (spec.kind === 'list') return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') : String(v);
  if (spec.kind === 'json') return JSON.stringify(v, null, 2);
  return typeof v === 'string' ? v : String(v);
}

function fieldInput(spec, v) {
  let input;
  if (spec.kind === 'boolean' || spec.kind === 'choice') {
    input = el('select');
    const options = spec.kind === 'boolean' ? ['true', 'false'] : spec.options;
    if (spec.nullable || spec.kind === 'boolean') input.append(el('option', '', ''));
    for (const o of options) {
      const opt = el('option', '', o);
      opt.value = o;
      input.append(opt);
    }
    input.value = v === null || v === undefined ? '' : String(v);
    input.disabled = true;
  } else {
    input = spec.kind === 'number' ? el('input') : el('textarea');
    if (spec.kind === 'number') input.inputMode = 'decimal';
    else input.rows = spec.kind === 'text' ? Math.min(6, Math.max(1, Math.ceil(fieldText(spec, v).length / 48))) : 4;
    input.value = fieldText(spec, v);
    input.readOnly = true;
    input.dir = 'auto';
  }
  input.dataset.field = spec.name;
  return input;
}

function answerEditor(d, value) {
  const box = $('answer');
  box.replaceChildren();
  if (!d.structured) {
    const ta = el('textarea');
    ta.id = 'text';
    ta.dir = 'auto';
    ta.readOnly = true;
    ta.value = typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value, null, 2);
    ta.placeholder = value === '' ? t('emptyAnswer') : value === null ? t('noAnswer') : '';
    box.append(ta);
    return;
  }
  const obj = value && typeof value === 'object' ? value : {};
  for (const spec of d.fields) {
    const f = el('div', 'field');
    const label = el('label');
    const input = fieldInput(spec, obj[spec.name]);
    input.id = 'field-' + spec.name;
    label.htmlFor = input.id;
    label.append(el('span', '', spec.name));
    if (spec.kind === 'list') label.append(el('span', 'hint', t('onePerLine')));
    if (spec.kind === 'json') label.append(el('span', 'hint', t('asJson')));
    if (spec.description) label.title = spec.description;
    f.append(label, input);
    box.append(f);
  }
}

/** The edited fields as JSON values, or throws a message naming the field. */
function readFields(d) {
  const out = {};
  for (const spec of d.fields) {
    const input = $('answer').querySelector('[data-field="' + CSS.escape(spec.name) + '"]');
    const text = input.value;
    if (spec.kind === 'text') out[spec.name] = text;
    else if (spec.kind === 'choice') out[spec.name] = text === '' && spec.nullable ? null : text;
    else if (spec.kind === 'boolean') out[spec.name] = text === '' ? null : text === 'true';
    else if (spec.kind === 'number') {
      if (text.trim() === '') out[spec.name] = null;
      else if (Number.isFinite(Number(text.trim()))) out[spec.name] = Number(text.trim());
      else throw new Error(t('badNumber', { name: spec.name }));
    } else if (spec.kind === 'list') {
      const items = text.split('\n').map((s) => s.trim()).filter((s) => s !== '');
      out[spec.name] = spec.items === 'number' ? items.map(Number) : items;
    } else {
      try {
        out[spec.name] = text.trim() === '' ? null : JSON.parse(text);
      } catch {
        throw new Error(t('badJson', { name: spec.name }));
      }
    }
  }
  return out;
}

function renderDetail(d) {
  st.editing = false;
  document.body.classList.remove('editing');
  document.body.classList.toggle('rejected-row', d.state === 'rejected');
  $('num').textContent = '#' + d.n;
  $('file').replaceChildren(...nameNodes(d.source));
  const badges = $('badges');
  badges.replaceChildren();
  if (d.page !== null) badges.append(el('span', 'badge', t('page', { page: d.page, pages: d.pages === null ? '?' : d.pages })));
  badges.append(el('span', 'badge b-' + d.status, t('status.' + d.status)));
  badges.append(el('span', 'badge b-' + d.state, t('state.' + d.state)));
  $('why').hidden = d.state !== 'none';
  $('why').textContent = d.why ? t('why.' + d.why) : '';
  $('error').hidden = !d.error;
  $('error').textContent = d.error || '';
  const decided = $('decided');
  decided.classList.toggle('stale', !!d.stale);
  if (d.stale) {
    decided.textContent = t('stale.' + d.stale.reason, { reviewer: d.stale.reviewer, decision: t('state.' + d.stale.decision), time: when(d.stale.reviewedAt) });
  } else if (d.review) {
    decided.textContent = t('decided', { reviewer: d.review.reviewer, decision: t('state.' + d.review.decision), time: when(d.review.reviewedAt) });
  }
  decided.hidden = !d.stale && !d.review;
  const edited = d.review && d.review.decision === 'edited';
  answerEditor(d, edited ? d.edit : d.answer);
  // Also shown: the model's answer beside an edit, and a structured answer that is no object (cut off, not JSON).
  if (edited || (d.structured && typeof d.answer === 'string')) {
    const model = el('details', 'model');
    model.append(el('summary', '', t('modelAnswer')));
    model.append(el('pre', '', typeof d.answer === 'string' ? d.answer : JSON.stringify(d.answer, null, 2)));
    $('answer').append(model);
  }
  const meta = $('meta');
  meta.replaceChildren();
  const item = (k, v) => {
    if (v === null || v === undefined || v === '') return;
    meta.append(el('dt', '', t('meta.' + k)), el('dd', '', v));
  };
  item('model', d.model);
  item('prompt', d.prompt);
  item('job', d.job ? d.job.slice(0, 12) : '');
  item('image', [d.width !== null && d.height !== null ? d.width + '×' + d.height : '', d.format || ''].filter(Boolean).join(' · '));
  item('sha256', d.sha256 ? d.sha256.slice(0, 12) + '…' : '');
  for (const b of document.querySelectorAll('.actions button')) b.disabled = d.state === 'none';
  showImage(d);
}

function startEdit() {
  if (!st.cur || st.cur.state === 'none' || st.editing) return;
  st.editing = true;
  document.body.classList.add('editing');
  for (const input of $('answer').querySelectorAll('textarea, input')) input.readOnly = false;
  for (const input of $('answer').querySelectorAll('select')) input.disabled = false;
  const first = $('answer').querySelector('textarea, input, select');
  if (!first) return;
  first.focus();
  // The caret at the end: an edit most often adds to the answer.
  if (first.tagName !== 'SELECT') first.setSelectionRange(first.value.length, first.value.length);
}

function cancelEdit() {
  if (st.cur) renderDetail(st.cur);
}
`;
