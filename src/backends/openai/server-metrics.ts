// Reading a server's load from its Prometheus /metrics: vLLM and SGLang say how many
// requests run in the batch and how many wait for a place in it.
import { fetchText } from './http.js';
import type { ServerLoad } from './level-controller.js';

/** [running, waiting] metric names, per server. */
const GAUGES: readonly (readonly [string, string])[] = [
  ['vllm:num_requests_running', 'vllm:num_requests_waiting'],
  ['sglang:num_running_reqs', 'sglang:num_queue_reqs'],
];

/**
 * Where the metrics are: on the server's root, not under /v1 (http://gpu1:8000/v1 →
 * http://gpu1:8000/metrics); a path before /v1 (a proxy's prefix) is kept.
 */
export function metricsUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}/metrics`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * The load in Prometheus text, summed over label sets (one per model or engine), or
 * undefined when the text has neither server's gauges (not Prometheus, or another server).
 */
export function parseServerLoad(text: string): ServerLoad | undefined {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, raw] = m as unknown as [string, string, string];
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    values.set(name, (values.get(name) ?? 0) + value);
  }
  for (const [running, waiting] of GAUGES) {
    const r = values.get(running);
    const w = values.get(waiting);
    if (r !== undefined && w !== undefined) return { running: r, waiting: w };
  }
  return undefined;
}

/** The text at `url`, or undefined: absent, refused or unreachable (never throws). */
export async function readMetrics(
  fetchFn: typeof fetch, url: string, apiHeaders: Record<string, string>, signal: AbortSignal, timeoutMs: number,
): Promise<string | undefined> {
  const headers: Record<string, string> = { ...apiHeaders, accept: 'text/plain' };
  delete headers['content-type'];
  try {
    const { status, text } = await fetchText(fetchFn, url, { method: 'GET', headers }, signal, timeoutMs);
    return status >= 200 && status < 300 ? text : undefined;
  } catch {
    return undefined;
  }
}
