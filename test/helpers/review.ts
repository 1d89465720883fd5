// `glm-vision review` as the tests start it: a child process (the server runs until a signal),
// its URL read from the line it prints, and requests made exactly as a test needs them (any Host,
// any method, with or without the token).
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { startCli, waitForOutput, type CliResult } from './cli.js';

export interface RunningReview {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** The printed URL, with the token. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  port: number;
}

const URL_LINE = /^(http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_-]+)\n/m;

/** Starts `glm-vision review ARGS` in `cwd` and resolves once it has printed its URL. */
export async function startReview(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunningReview> {
  const { child, done } = startCli(['review', ...args], { cwd, env });
  const out = await waitForOutput(child, URL_LINE, 'stdout');
  const m = URL_LINE.exec(out) as RegExpExecArray;
  return { child, done, url: m[0].trim(), origin: m[1] as string, port: Number(m[2]), token: m[3] as string };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to the review server with exactly these headers (Host included). */
export function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The API as a script may use it: the token in a header, and a POST with the page's CSRF header. */
export async function api(r: RunningReview, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'x-review-token': r.token };
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'x-glmv-review': '1' });
  const res = await fetch(`${r.origin}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Stops the server as Ctrl-C does and returns how it ended. */
export async function stopReview(r: RunningReview): Promise<CliResult> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGINT');
  return r.done;
}
