// The review server: HTTP on 127.0.0.1 only, every request past the guard (host, token, method,
// same-origin POSTs), then the API. Decisions go straight into the cache; stopping the server
// loses nothing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import type { JsonSchema } from '../backends/backend.js';
import type { ReviewStore } from '../cache/reviews.js';
import type { Lang } from '../i18n/index.js';
import { pageMessages } from '../i18n/page-messages.js';
import { Decisions } from './decisions.js';
import { Events } from './events.js';
import { FieldChecker } from './fields.js';
import { Guard, newToken, queryToken } from './guard.js';
import { ImageServer } from './images.js';
import { REVIEW_CSS } from './page-css.js';
import { pageHtml } from './page-html.js';
import { REVIEW_JS } from './page-js.js';
import { send, sendError } from './responses.js';
import { RowQuery } from './row-query.js';
import { RowStates } from './row-states.js';
import { route, type Api } from './routes.js';
import type { ReviewRow } from './rows.js';

export interface ReviewServerOptions {
  rows: ReviewRow[];
  store: ReviewStore;
  /** The jobs the cache has, with their schemas (null: a text job). */
  jobs: ReadonlyMap<string, JsonSchema | null>;
  /** The folder SourceFile paths are relative to. */
  base: string;
  reviewer: string;
  lang: Lang;
  /** 0: a free port. */
  port: number;
  /** What is reviewed, for the page's title. */
  title: string;
  maxInputPixels: number;
  /** Told of a request that failed inside the server (a bug): the page gets a 500. */
  onError?: (error: unknown) => void;
}

export interface ReviewServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** The address to open: the origin with the token. */
  url: string;
  token: string;
  close(): Promise<void>;
}

export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const { rows, store } = options;
  const schemaOf = (job: string): JsonSchema | null => options.jobs.get(job) ?? null;
  const states = new RowStates(rows, store, new Set(options.jobs.keys()));
  const checker = new FieldChecker(schemaOf);
  const events = new Events();
  const images = new ImageServer({
    base: options.base, maxInputPixels: options.maxInputPixels, concurrency: Math.min(4, os.availableParallelism()), cacheBytes: 96 * 1024 * 1024,
  });
  const api: Api = {
    rows, states, query: new RowQuery(rows, states), images, events, schemaOf,
    decisions: new Decisions(store, states, checker, (job) => schemaOf(job) !== null, options.reviewer),
    page: pageHtml({ lang: options.lang, title: options.title, reviewer: options.reviewer }),
    css: REVIEW_CSS,
    js: REVIEW_JS,
    meta: () => ({ lang: options.lang, strings: pageMessages(options.lang, 'review'), reviewer: options.reviewer, title: options.title, counts: states.counts() }),
  };
  let origin = '';
  const guard = new Guard(newToken(), () => origin);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = guard.check(req, url);
    if (!verdict.ok) return sendError(res, verdict.status, verdict.why);
    // The printed URL's token becomes a cookie, and leaves the address bar (and the history).
    if (queryToken(url) !== undefined) return send(res, 303, 'text/plain; charset=utf-8', '', { location: '/', 'set-cookie': guard.cookie() });
    await route(api, req, url, res);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) sendError(res, 500, 'internal');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: `${origin}/?token=${guard.token}`,
    token: guard.token,
    close: async () => {
      events.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await images.close();
    },
  };
}
