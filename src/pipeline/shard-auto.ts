// --shard auto: the part a scheduler gave this process. Kubernetes Indexed Jobs set
// JOB_COMPLETION_INDEX (0-based) but never the number of pods, which GLM_VISION_SHARDS
// carries; SLURM arrays set SLURM_ARRAY_TASK_ID with the array's COUNT, MIN, MAX and STEP
// (--array=1-8, 0-9:2). The environment is passed in, so tests never touch process.env.
import { t } from '../i18n/index.js';
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
    const values = { name, value: JSON.stringify(raw) };
    throw new UsageError(min === 0 ? t('pipeline:shardAuto.expectedIndex', values) : t('pipeline:shardAuto.expectedCount', values));
  }
  return n;
}

const shown = (env: Env, names: string[]): string =>
  names.filter((n) => env[n] !== undefined && env[n] !== '').map((n) => `$${n}=${(env[n] as string).trim()}`).join(', ');

export function schedulerPart(env: Env): SchedulerPart {
  if (integer(env, K8S_INDEX, 0) !== undefined) return kubernetes(env);
  if (integer(env, SLURM.id, 0) !== undefined) return slurm(env);
  throw new UsageError(t('pipeline:shardAuto.noScheduler', {
    index: K8S_INDEX, shards: SHARDS_ENV, id: SLURM.id, countVar: SLURM.count, minVar: SLURM.min, maxVar: SLURM.max,
  }));
}

function kubernetes(env: Env): SchedulerPart {
  const index = integer(env, K8S_INDEX, 0) as number;
  const count = integer(env, SHARDS_ENV, 1);
  if (count === undefined) {
    throw new UsageError(t('pipeline:shardAuto.k8sNoCount', { variable: K8S_INDEX, index, shards: SHARDS_ENV }));
  }
  if (index >= count) {
    throw new UsageError(t('pipeline:shardAuto.k8sOutside', { variable: K8S_INDEX, index, shards: SHARDS_ENV, count, last: count - 1 }));
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
    throw new UsageError(t('pipeline:shardAuto.slurmUneven', { from }));
  }
  const arrayCount = tasks ?? range;
  const given = integer(env, SHARDS_ENV, 1);
  if (arrayCount !== undefined && given !== undefined && given !== arrayCount) {
    throw new UsageError(t('pipeline:shardAuto.slurmDisagrees', { shards: SHARDS_ENV, given, count: arrayCount, from }));
  }
  const count = arrayCount ?? given;
  if (count === undefined) {
    throw new UsageError(t('pipeline:shardAuto.slurmNoCount', { variable: SLURM.id, id, shards: SHARDS_ENV }));
  }
  const index = (id - min) / step;
  if (id < min || !Number.isInteger(index) || index >= count) {
    const last = min + (count - 1) * step;
    const values = { variable: SLURM.id, id, count, shards: SHARDS_ENV, min, last, step, from };
    const key = arrayCount !== undefined
      ? (step > 1 ? 'pipeline:shardAuto.slurmOutsideArrayStep' : 'pipeline:shardAuto.slurmOutsideArray')
      : (step > 1 ? 'pipeline:shardAuto.slurmOutsideStep' : 'pipeline:shardAuto.slurmOutside');
    throw new UsageError(t(key, values));
  }
  return { index, count, from };
}
