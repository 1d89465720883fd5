// How fast this cache's past runs went through what the cache did not answer (seconds per row
// not cached, failures included: a run spends time on them too), from the runs table.
// catalog --dry-run turns it into an estimated time.
import type Database from 'better-sqlite3';

export interface RunPace {
  /** Seconds per row a past run did not find in the cache. */
  secondsPerRequest: number;
  /** How many finished runs it is based on, and whether they were of this very job. */
  runs: number;
  sameJob: boolean;
}

interface PaceRow {
  runs: number;
  seconds: number | null;
  asked: number | null;
}

const PACE = `SELECT count(*) AS runs, sum(ended_at - started_at) / 1000.0 AS seconds, sum(total - cached) AS asked
  FROM runs WHERE ended_at IS NOT NULL AND exit_code IN (0, 1) AND total > cached`;

/** The pace of the finished runs of `job` that asked something; of all such runs when it has none; undefined when there are none. */
export function runPace(db: Database.Database, job: string): RunPace | undefined {
  const of = (row: PaceRow, sameJob: boolean): RunPace | undefined =>
    row.runs > 0 && row.seconds !== null && row.asked ? { secondsPerRequest: row.seconds / row.asked, runs: row.runs, sameJob } : undefined;
  return of(db.prepare(`${PACE} AND job = ?`).get(job) as PaceRow, true) ?? of(db.prepare(PACE).get() as PaceRow, false);
}
