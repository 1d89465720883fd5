// The review server's API: the page frame and its assets, the rows a window at a time, one row
// whole, its image, a decision, and the stream of decisions for the other tabs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isBusy } from '../cache/open.js';
import type { Review } from '../cache/reviews.js';
import { objectOrText } from '../emit/columns.js';
import type { Decisions } from './decisions.js';
import { parseDecision } from './decisions.js';
import type { Events } from './events.js';
import { fieldSpecs } from './fields.js';
import { IMAGE_SIZES, type ImageServer, type ImageSize } from './images.js';
import { readJson, send, sendError, sendJson } from './responses.js';
import { FILTERS, RowQuery, type Filter } from './row-query.js';
import type { Judgement, RowStates } from './row-states.js';
import type { ReviewRow } from './rows.js';

export interface Api {
  rows: readonly ReviewRow[];
  states: RowStates;
  query: RowQuery;
  decisions: Decisions;
  images: ImageServer;
  events: Events;
  schemaOf: (job: string) => Record<string, unknown> | null;
  page: string;
  css: string;
  js: string;
  meta: () => Record<string, unknown>;
}

const MAX_BODY = 8 * 1024 * 1024;

const summary = (api: Api, row: ReviewRow): Record<string, unknown> => ({
  id: row.id, n: row.id + 1, source: row.source, page: row.page, pages: row.pages, status: row.status, state: api.states.state(row.id),
});

const reviewView = (r: Review | undefined): Record<string, unknown> | null =>
  r ? { decision: r.decision, reviewer: r.reviewer, reviewedAt: r.reviewedAt, revision: r.revision } : null;

function structuredRow(api: Api, row: ReviewRow): boolean {
  return api.schemaOf(row.job) !== null || (row.answer !== null && typeof row.answer === 'object');
}

/** One row whole, as the cache has it now: the model's answer, the decision, and why it no longer applies, if so. */
function detail(api: Api, row: ReviewRow, j: Judgement): Record<string, unknown> {
  const structured = structuredRow(api, row);
  const parse = (text: string): unknown => (structured ? objectOrText(text) : text);
  const answer = j.raw !== undefined ? parse(j.raw) : typeof row.answer === 'string' ? parse(row.answer) : row.answer;
  const review = j.review;
  const stale = j.state !== 'stale' ? null : review ? { reason: 'answer', ...reviewView(review) } : { reason: 'image', ...reviewView(j.older) };
  return {
    ...summary(api, row), state: j.state, why: j.why ?? null, error: row.error, prompt: row.prompt, model: row.model, job: row.job,
    sha256: row.sha256, width: row.width, height: row.height, format: row.format, structured,
    fields: structured ? fieldSpecs(api.schemaOf(row.job), answer !== null && typeof answer === 'object' ? answer as Record<string, unknown> : null) : null,
    answer, edit: review?.decision === 'edited' && review.output !== null ? parse(review.output) : null,
    review: reviewView(review), stale, revision: review?.revision ?? 0,
  };
}

function rowsWindow(api: Api, url: URL, res: ServerResponse): void {
  const filter = (url.searchParams.get('filter') || 'all') as Filter;
  if (!FILTERS.includes(filter)) return sendError(res, 400, 'filter', `filter must be one of ${FILTERS.join(', ')}`);
  const ids = api.query.matches(filter, url.searchParams.get('q') ?? '');
  const number = (name: string): number | undefined => {
    const v = url.searchParams.get(name);
    return v === null || !/^\d{1,9}$/.test(v) ? undefined : Number(v);
  };
  const after = number('after');
  const before = number('before');
  let offset = number('offset') ?? 0;
  let picked: number[];
  if (after !== undefined || before !== undefined) {
    offset = after !== undefined ? RowQuery.step(ids, after, 1) : RowQuery.step(ids, before as number, -1);
    picked = offset < 0 ? [] : [ids[offset] as number];
  } else {
    picked = ids.slice(offset, offset + Math.min(500, number('limit') ?? 100));
  }
  const rows = picked.map((id) => summary(api, api.rows[id] as ReviewRow));
  sendJson(res, 200, { total: ids.length, offset, rows, counts: api.states.counts() });
}

async function image(api: Api, row: ReviewRow, url: URL, res: ServerResponse): Promise<void> {
  const size = (url.searchParams.get('size') ?? 'large') as ImageSize;
  if (!(size in IMAGE_SIZES)) return sendError(res, 400, 'size', 'size must be thumb or large');
  const reply = await api.images.get(row, size);
  if (reply.kind === 'missing') return sendError(res, 404, 'missing');
  if (reply.kind === 'unreadable') return sendError(res, 422, 'unreadable', reply.reason);
  // A row's image does not change while the server runs: the browser may keep it (this user's only).
  send(res, 200, 'image/webp', reply.data, { 'cache-control': 'private, max-age=3600' });
}

async function decision(api: Api, row: ReviewRow, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return sendError(res, 415, 'content-type', 'send JSON');
  const parsed = parseDecision(await readJson(req, MAX_BODY));
  if (typeof parsed === 'string') return sendError(res, 400, 'request', parsed);
  let outcome;
  try {
    outcome = api.decisions.save(row, parsed);
  } catch (error) {
    // A vacuum or merge holding the cache past the busy timeout: nothing was saved, the page may try again.
    if (isBusy(error)) return sendError(res, 503, 'busy', 'the cache is busy (another glm-vision is writing to it)');
    throw error;
  }
  if (!outcome.ok) return sendError(res, outcome.status, outcome.status === 409 ? outcome.message : 'invalid', outcome.message);
  api.query.changed();
  const counts = api.states.counts();
  const client = String(req.headers['x-review-client'] ?? '');
  const { review } = outcome;
  api.events.publish('decision', { id: row.id, n: row.id + 1, decision: review.decision, reviewer: review.reviewer, revision: review.revision, client, counts });
  sendJson(res, 200, { review: reviewView(review), overwrote: reviewView(outcome.overwrote), state: outcome.judgement.state, counts });
}

/** The row judged now; a state found to have changed (the cache changed under us) makes the kept matches stale. */
function judged(api: Api, row: ReviewRow): Judgement {
  const before = api.states.state(row.id);
  const j = api.states.judge(row);
  if (j.state !== before) api.query.changed();
  return j;
}

const ROW = /^\/api\/(rows|image)\/(\d{1,9})(\/decision)?$/;

/** Answers one request that the guard let through. */
export async function route(api: Api, req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
  const get = req.method === 'GET';
  const p = url.pathname;
  if (get && p === '/') return send(res, 200, 'text/html; charset=utf-8', api.page);
  if (get && p === '/app.css') return send(res, 200, 'text/css; charset=utf-8', api.css);
  if (get && p === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', api.js);
  // Browsers ask for it unbidden; there is none.
  if (get && p === '/favicon.ico') return send(res, 204, 'text/plain', '');
  if (get && p === '/api/meta') return sendJson(res, 200, api.meta());
  if (get && p === '/api/rows') return rowsWindow(api, url, res);
  if (get && p === '/api/events') return api.events.listen(res);
  const m = ROW.exec(p);
  const row = m ? api.rows[Number(m[2])] : undefined;
  if (!m || !row) return sendError(res, 404, 'not-found');
  if (m[1] === 'image' && get && !m[3]) return image(api, row, url, res);
  if (m[1] === 'rows' && get && !m[3]) return sendJson(res, 200, detail(api, row, judged(api, row)));
  if (m[1] === 'rows' && !get && m[3]) return decision(api, row, req, res);
  return sendError(res, 405, 'method');
}
