// Every answer the review server gives carries the same protective headers: nothing is cached,
// sniffed, framed or sent on as a referrer, and the page may load only from this server.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The page's own script, style, images and API, and nothing else; no inline code at all. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': String(data.length), ...headers });
  res.end(data);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** An error as JSON: `error` is a stable code the page translates, `message` the details. */
export function sendError(res: ServerResponse, status: number, error: string, message?: string): void {
  sendJson(res, status, message === undefined ? { error } : { error, message });
}

/** An event stream's first line: a comment (no person reads it) that makes the browser see the stream open. */
const STREAM_OPENED = ': glm-vision review\n\n';

/** Starts a text/event-stream response (the page's channel for other tabs' decisions). */
export function startEvents(res: ServerResponse): void {
  res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  res.write(STREAM_OPENED);
}

/** A POST's JSON body, at most `limit` bytes; undefined when it is too long or not JSON. */
export function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', reject);
  });
}
