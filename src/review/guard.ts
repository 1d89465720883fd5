// Who may talk to the review server: only this machine (it listens on 127.0.0.1), only under its
// own address (the Host check defeats DNS rebinding), only with the run's random token (from the
// printed URL, then an HttpOnly SameSite=Strict cookie), only GET and POST, and a POST only from
// the page itself (a header no cross-site form can send, an Origin that is ours).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Cookies are not kept apart by port: each server names its own, so that two reviews at once
// (on two ports) do not overwrite each other's.
const cookieName = (origin: string): string => `glmv_review_${origin.replace(/^.*:/, '')}`;
/** The page's POSTs carry it; a plain cross-site form or image cannot, and a script elsewhere would need CORS we never grant. */
export const CSRF_HEADER = 'x-glmv-review';

export type Verdict = { ok: true } | { ok: false; status: 403 | 405; why: string };

export const newToken = (): string => randomBytes(24).toString('base64url');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage, cookie: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookie) return value.join('=');
  }
  return undefined;
}

/** The token in the URL the CLI printed (only the page's own address takes it). */
export function queryToken(url: URL): string | undefined {
  return url.pathname === '/' ? url.searchParams.get('token') ?? undefined : undefined;
}

export class Guard {
  constructor(readonly token: string, private readonly origin: () => string) {}

  hasToken(req: IncomingMessage, url: URL): boolean {
    const given = cookieToken(req, cookieName(this.origin())) ?? (req.headers['x-review-token'] as string | undefined) ?? queryToken(url);
    return given !== undefined && same(given, this.token);
  }

  check(req: IncomingMessage, url: URL): Verdict {
    const origin = this.origin();
    if (`http://${req.headers.host ?? ''}` !== origin) return { ok: false, status: 403, why: 'host' };
    if (!this.hasToken(req, url)) return { ok: false, status: 403, why: 'token' };
    if (req.method !== 'GET' && req.method !== 'POST') return { ok: false, status: 405, why: 'method' };
    if (req.method === 'POST') {
      if (req.headers[CSRF_HEADER] !== '1') return { ok: false, status: 403, why: 'csrf' };
      if (req.headers.origin !== undefined && req.headers.origin !== origin) return { ok: false, status: 403, why: 'origin' };
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin') return { ok: false, status: 403, why: 'origin' };
    }
    return { ok: true };
  }

  /** Set on the page's first load: later requests (images, the API, other tabs) carry the token themselves. */
  cookie(): string {
    return `${cookieName(this.origin())}=${this.token}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
