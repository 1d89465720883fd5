// Under the run's summary: how many requests each endpoint took (--concurrency auto), and
// whether the client, not the server, set the pace.
import os from 'node:os';
import type { Backend, EndpointLevel } from '../backends/backend.js';
import type { RunStats } from './metrics.js';
import type { Tally } from './progress.js';
import type { RunControl } from './run-control.js';
import { supplyLine } from './supply.js';

/** "http://gpu1:8000/v1: up to 288 requests in flight (280 at the end), set from its /metrics". */
export function levelLine(l: EndpointLevel): string {
  const end = l.level === l.peak ? '' : ` (${l.level} at the end)`;
  const capped = l.ceiling === undefined ? '' : `, capped at ${l.ceiling} after 429, 503 or timeouts`;
  const from = l.source === 'metrics' ? 'set from its /metrics' : 'set from answers per second (no /metrics)';
  return `${l.endpoint}: up to ${l.peak} ${l.peak === 1 ? 'request' : 'requests'} in flight${end}${capped}, ${from}`;
}

/** Writes the lines (through `warn`: nothing under --quiet) and keeps the levels for --metrics-file. */
export function reportConcurrency(backend: Backend, control: RunControl, tally: Tally, warn: (message: string) => void, stats: RunStats): void {
  const levels = backend.levels?.() ?? [];
  stats.levels = levels;
  for (const l of levels) warn(levelLine(l));
  // The local engine's pace is the model's, on the same cores.
  if (backend.kind !== 'openai' || levels.length === 0) return;
  const verdict = control.supply.verdict();
  const line = verdict && supplyLine(verdict, os.availableParallelism(), tally);
  if (line) warn(line);
}
