// Under the run's summary: how many requests each endpoint took (--concurrency auto), and
// whether the client, not the server, set the pace.
import os from 'node:os';
import { t } from '../i18n/index.js';
import type { Backend, EndpointLevel } from '../backends/backend.js';
import type { RunStats } from './metrics.js';
import type { Tally } from './progress.js';
import type { RunControl } from './run-control.js';
import { supplyLine } from './supply.js';

/** "http://gpu1:8000/v1: up to 288 requests in flight (280 at the end), set from its /metrics". */
export function levelLine(l: EndpointLevel): string {
  const atEnd = l.level === l.peak ? '' : t('pipeline:levels.atEnd', { level: l.level });
  const how = l.ceiling === undefined
    ? t(l.source === 'metrics' ? 'pipeline:levels.fromMetrics' : 'pipeline:levels.fromRate')
    : t(l.source === 'metrics' ? 'pipeline:levels.cappedFromMetrics' : 'pipeline:levels.cappedFromRate', { ceiling: l.ceiling });
  return t('pipeline:levels.line', { endpoint: l.endpoint, count: l.peak, atEnd, how });
}

/** Writes the lines (through `warn`: nothing under --quiet) and keeps the levels for --metrics-file. */
export function reportConcurrency(backend: Backend, control: RunControl, tally: Tally, warn: (message: string) => void, stats: RunStats): void {
  const levels = backend.levels?.() ?? [];
  stats.levels = levels;
  // A run that sent nothing (every file cached) has no level worth a line.
  if (stats.requests === 0) return;
  for (const l of levels) warn(levelLine(l));
  // The local engine's pace is the model's, on the same cores.
  if (backend.kind !== 'openai' || levels.length === 0) return;
  const verdict = control.supply.verdict();
  const line = verdict && supplyLine(verdict, os.availableParallelism(), tally);
  if (line) warn(line);
}
