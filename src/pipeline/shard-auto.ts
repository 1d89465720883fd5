// --shard auto: the part a scheduler gave this process. Kubernetes Indexed Jobs set
// JOB_COMPLETION_INDEX (0-based) but never the number of pods, which GLM_VISION_SHARDS
// carries; SLURM arrays set SLURM_ARRAY_TASK_ID with the array's COUNT, MIN, MAX and STEP
// (--array=1-8, 0-9:2). The environment is passed in, so tests never touch process.env.
import { UsageError } from '../support/errors.js';

export const SHARDS_ENV = 'GLM_VISION_SHARDS';
const K8S_INDEX = 'JOB_COMPLETION_INDEX';
const SLURM = {
  id: 'SLURM_ARRAY_TASK_ID',
  count: 'SLURM_ARRAY_TASK_COUNT',
  min: 'SLURM_ARRAY_TASK_MIN',
  max: 'SLURM_ARRAY_TASK_MAX',
  step: 'SLURM_ARRAY_TASK_STEP',
} as const;

/** A scheduler's part, 0-based; `from` names the variables it was read from, for the log. */
export interface SchedulerPart {
  index: number;
  count: number;
  from: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** One variable as an integer ≥ min, or undefined when unset (empty counts as unset). */
function integer(env: Env, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    const what = min === 0 ? 'non-negative integer' : 'positive integer';
    throw new UsageError(`Expected ${what} for $${name} (--shard auto) but received ${JSON.stringify(raw)}`);
  }
  return n;
}

const shown = (env: Env, names: string[]): string =>
  names.filter((n) => env[n] !== undefined && env[n] !== '').map((n) => `$${n}=${(env[n] as string).trim()}`).join(', ');

export function schedulerPart(env: Env): SchedulerPart {
  if (integer(env, K8S_INDEX, 0) !== undefined) return kubernetes(env);
  if (integer(env, SLURM.id, 0) !== undefined) return slurm(env);
  throw new UsageError(
    `--shard auto found no scheduler: it looks for $${K8S_INDEX} (a Kubernetes Indexed Job, with $${SHARDS_ENV} ` +
      `for the number of parts) or $${SLURM.id} (a SLURM job array, with $${SLURM.count} or $${SLURM.min}/$${SLURM.max}), ` +
      'and none is set; outside a scheduler give --shard i/n',
  );
}

function kubernetes(env: Env): SchedulerPart {
  const index = integer(env, K8S_INDEX, 0) as number;
  const count = integer(env, SHARDS_ENV, 1);
  if (count === undefined) {
    throw new UsageError(
      `--shard auto: $${K8S_INDEX}=${index} says which part, but not how many there are: ` +
        `set $${SHARDS_ENV} to the Job's completions in the pod's env`,
    );
  }
  if (index >= count) {
    throw new UsageError(
      `--shard auto: $${K8S_INDEX}=${index} is outside the ${count} parts of $${SHARDS_ENV}=${count} ` +
        `(indexes 0 to ${count - 1}); set $${SHARDS_ENV} to the Job's completions`,
    );
  }
  return { index, count, from: shown(env, [K8S_INDEX, SHARDS_ENV]) };
}

/** Any first id and any step, as long as the ids are evenly spaced (a range, not a list such as 1,4,9). */
function slurm(env: Env): SchedulerPart {
  const id = integer(env, SLURM.id, 0) as number;
  const min = integer(env, SLURM.min, 0) ?? 0;
  const max = integer(env, SLURM.max, 0);
  const step = integer(env, SLURM.step, 1) ?? 1;
  const tasks = integer(env, SLURM.count, 1);
  const from = shown(env, [SLURM.id, SLURM.count, SLURM.min, SLURM.max, SLURM.step, SHARDS_ENV]);
  const range = max === undefined || max < min || (max - min) % step !== 0 ? undefined : (max - min) / step + 1;
  if (max !== undefined && (range === undefined || (tasks !== undefined && tasks !== range))) {
    throw new UsageError(
      `--shard auto: the SLURM array (${from}) is not an evenly spaced range of ids; ` +
        'submit it as a range with an optional step, e.g. --array=0-9 or --array=1-19:2',
    );
  }
  const arrayCount = tasks ?? range;
  const given = integer(env, SHARDS_ENV, 1);
  if (arrayCount !== undefined && given !== undefined && given !== arrayCount) {
    throw new UsageError(`--shard auto: $${SHARDS_ENV}=${given} disagrees with the ${arrayCount} tasks of the SLURM array (${from}); unset one`);
  }
  const count = arrayCount ?? given;
  if (count === undefined) {
    throw new UsageError(`--shard auto: $${SLURM.id}=${id} says which part, but not how many there are: set $${SHARDS_ENV}`);
  }
  const index = (id - min) / step;
  if (id < min || !Number.isInteger(index) || index >= count) {
    const last = min + (count - 1) * step;
    const ids = `ids ${min} to ${last}${step > 1 ? ` in steps of ${step}` : ''}`;
    const of = arrayCount !== undefined ? 'the SLURM array' : `$${SHARDS_ENV}=${count}`;
    throw new UsageError(`--shard auto: $${SLURM.id}=${id} is outside the ${count} parts of ${of} (${ids}; ${from})`);
  }
  return { index, count, from };
}
