// --shard auto: the part a Kubernetes Indexed Job or a SLURM array gives this process, read from
// an injected environment (never process.env), and runs that split an archive by it.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseShard } from '../src/pipeline/shard.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';
import { parseJsonl, runMain, scratchFolders } from './helpers/cli.js';

/** The 1-based part --shard auto resolves to, as --shard i/n would write it. */
function part(env: Record<string, string>): string {
  const shard = parseShard('auto', env);
  return `${shard.index}/${shard.count}`;
}

function rejects(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(() => parseShard('auto', env), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'usage');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('--shard auto: which part, from the scheduler', () => {
  it('Kubernetes: JOB_COMPLETION_INDEX counts from 0; GLM_VISION_SHARDS gives the number of parts', () => {
    assert.equal(part({ JOB_COMPLETION_INDEX: '0', GLM_VISION_SHARDS: '4' }), '1/4');
    assert.equal(part({ JOB_COMPLETION_INDEX: '3', GLM_VISION_SHARDS: '4' }), '4/4');
    const shard = parseShard(' auto ', { JOB_COMPLETION_INDEX: '2', GLM_VISION_SHARDS: '4' });
    assert.equal(shard.from, '$JOB_COMPLETION_INDEX=2, $GLM_VISION_SHARDS=4');
  });

  it('SLURM with SLURM_ARRAY_TASK_COUNT: ids from SLURM_ARRAY_TASK_MIN, which may be 0, 1 or any', () => {
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '0' }), '1/3');
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1' }), '1/3');
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1' }), '3/3');
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '12', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '10' }), '3/3');
    // Without MIN the ids count from 0, as JOB_COMPLETION_INDEX does.
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' }), '3/3');
  });

  it('SLURM with MIN/MAX (and STEP): --array=1-8, --array=0-9:2, and everything sbatch sets at once', () => {
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' }), '5/8');
    const step2 = { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_STEP: '2' };
    assert.deepEqual(['0', '2', '4', '6', '8'].map((id) => part({ ...step2, SLURM_ARRAY_TASK_ID: id })), ['1/5', '2/5', '3/5', '4/5', '5/5']);
    assert.equal(part({ ...step2, SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_COUNT: '5' }), '4/5');
    // The same number of parts from GLM_VISION_SHARDS is no conflict.
    assert.equal(part({ ...step2, SLURM_ARRAY_TASK_ID: '8', GLM_VISION_SHARDS: '5' }), '5/5');
  });

  it('GLM_VISION_SHARDS gives the number when SLURM does not; empty variables count as unset', () => {
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '1', GLM_VISION_SHARDS: '2' }), '2/2');
    assert.equal(part({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '', GLM_VISION_SHARDS: '2' }), '2/2');
    assert.equal(part({ JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }), '1/2');
  });

  it('an index outside the count is a usage error naming both values', () => {
    rejects({ JOB_COMPLETION_INDEX: '4', GLM_VISION_SHARDS: '4' }, /\$JOB_COMPLETION_INDEX=4 is outside the 4 parts of \$GLM_VISION_SHARDS=4 \(indexes 0 to 3\)/);
    rejects({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0' },
      /\$SLURM_ARRAY_TASK_ID=4 is outside the 4 parts of the SLURM array \(ids 0 to 3; .*\$SLURM_ARRAY_TASK_COUNT=4/);
    rejects({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' }, /\$SLURM_ARRAY_TASK_ID=0 is outside the 4 parts/);
    rejects({ SLURM_ARRAY_TASK_ID: '3', GLM_VISION_SHARDS: '3' }, /\$SLURM_ARRAY_TASK_ID=3 is outside the 3 parts of \$GLM_VISION_SHARDS=3 \(ids 0 to 2/);
  });

  it('no scheduler variables: a usage error that says which it looked for', () => {
    for (const env of [{}, { GLM_VISION_SHARDS: '4' }, { JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '' }] as Record<string, string>[]) {
      rejects(env, /--shard auto found no scheduler: it looks for \$JOB_COMPLETION_INDEX .*\$GLM_VISION_SHARDS.* or \$SLURM_ARRAY_TASK_ID .*\$SLURM_ARRAY_TASK_COUNT.*; outside a scheduler give --shard i\/n/);
    }
  });

  it('an index without a number of parts says which variable to set', () => {
    rejects({ JOB_COMPLETION_INDEX: '1' }, /\$JOB_COMPLETION_INDEX=1 says which part, but not how many there are: set \$GLM_VISION_SHARDS to the Job's completions/);
    rejects({ SLURM_ARRAY_TASK_ID: '1' }, /\$SLURM_ARRAY_TASK_ID=1 says which part, but not how many.*set \$GLM_VISION_SHARDS/);
  });

  it('non-numeric values name the variable and the value', () => {
    rejects({ JOB_COMPLETION_INDEX: 'two', GLM_VISION_SHARDS: '4' }, /Expected non-negative integer for \$JOB_COMPLETION_INDEX \(--shard auto\) but received "two"/);
    rejects({ JOB_COMPLETION_INDEX: '1', GLM_VISION_SHARDS: '0' }, /Expected positive integer for \$GLM_VISION_SHARDS \(--shard auto\) but received "0"/);
    rejects({ JOB_COMPLETION_INDEX: '-1', GLM_VISION_SHARDS: '4' }, /for \$JOB_COMPLETION_INDEX .* received "-1"/);
    rejects({ SLURM_ARRAY_TASK_ID: '1.5', SLURM_ARRAY_TASK_COUNT: '2' }, /for \$SLURM_ARRAY_TASK_ID .* received "1\.5"/);
    rejects({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: 'many' }, /positive integer for \$SLURM_ARRAY_TASK_COUNT .* received "many"/);
  });

  it('SLURM arrays that are not an evenly spaced range, steps that skip the id, and disagreeing counts are refused', () => {
    // --array=1,4,9: three tasks between 1 and 9 with no step that fits.
    rejects({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_STEP: '1' },
      /the SLURM array \(.*\) is not an evenly spaced range of ids; submit it as a range with an optional step, e\.g\. --array=0-9/);
    // --array=0-9:2 without its STEP variable: 5 tasks cannot span 0 to 8 one by one.
    rejects({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '5', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8' }, /not an evenly spaced range/);
    rejects({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_STEP: '2' }, /\$SLURM_ARRAY_TASK_ID=3 is outside the 5 parts of the SLURM array \(ids 0 to 8 in steps of 2/);
    rejects({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4', GLM_VISION_SHARDS: '3' }, /\$GLM_VISION_SHARDS=3 disagrees with the 4 tasks of the SLURM array/);
  });

  it('i/n is as before, and its message now mentions auto', () => {
    assert.deepEqual(parseShard('2/4', { JOB_COMPLETION_INDEX: '0', GLM_VISION_SHARDS: '9' }), { index: 2, count: 4 });
    assert.throws(() => parseShard('automatic'), /Expected i\/n with 1 ≤ i ≤ n \(e\.g\. 2\/4\), or auto, for --shard but received "automatic"/);
  });
});

describe('catalog --shard auto', () => {
  let server: FakeOpenAI;
  before(async () => void (server = await startFakeOpenAI()));
  after(() => server.close());
  const workspace = scratchFolders('glmv-shard-auto-');

  const catalog = (cache: string, ...rest: string[]): string[] =>
    ['catalog', '--endpoint', server.url, '--model', 'm', '--flavor', 'vllm', '--cache', cache, ...rest];

  async function photos(dir: string, n: number): Promise<string> {
    const folder = path.join(dir, 'photos');
    await mkdir(path.join(folder, 'box'), { recursive: true });
    for (let i = 0; i < n; i++) {
      await makeImage(path.join(folder, i % 2 ? 'box' : '', `img-${i}.jpg`), { width: 64 + i, height: 48, seed: 100 + i });
    }
    return folder;
  }

  it('two pods of an Indexed Job ask for every file exactly once between them; a resumed pod asks for nothing', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 12);
    const seen: string[][] = [];
    const before = server.chatRequests().length;
    for (const index of ['0', '1']) {
      const env = { JOB_COMPLETION_INDEX: index, GLM_VISION_SHARDS: '2' };
      const asked = server.chatRequests().length;
      const res = await runMain(catalog(path.join(dir, `pod${index}.db`), '--shard', 'auto', folder), { env });
      assert.equal(res.code, 0, res.stderr);
      const rows = parseJsonl(res.stdout);
      assert.equal(server.chatRequests().length - asked, rows.length, 'one request per row of this pod');
      // Said once, on stderr: which part, and from what.
      const said = res.stderr.split('\n').filter((l) => l.includes('--shard auto'));
      assert.deepEqual(said, [`glm-vision: --shard auto: part ${Number(index) + 1}/2 ($JOB_COMPLETION_INDEX=${index}, $GLM_VISION_SHARDS=2)`]);
      seen.push(rows.map((r) => path.relative(folder, r.SourceFile as string)));
    }
    assert.equal(server.chatRequests().length - before, 12, 'twelve files, twelve requests in all');
    assert.ok(seen.every((s) => s.length > 0), seen.map((s) => s.length).join(', '));
    assert.equal(new Set(seen.flat()).size, 12, 'no file in both parts');

    // The same split as --shard i/n, which is recorded the same way: a rerun of pod 1 by hand, or
    // the pod restarted, finds its own earlier run and its answers.
    const asked = server.chatRequests().length;
    const byHand = await runMain(catalog(path.join(dir, 'pod1.db'), '-q', '--shard', '2/2', folder));
    assert.equal(byHand.code, 0, byHand.stderr);
    assert.equal(byHand.stderr, '', '-q: nothing on stderr');
    assert.deepEqual(parseJsonl(byHand.stdout).map((r) => path.relative(folder, r.SourceFile as string)), seen[1]);
    const restarted = await runMain(catalog(path.join(dir, 'pod1.db'), '-q', '--shard=auto', folder), {
      env: { JOB_COMPLETION_INDEX: '1', GLM_VISION_SHARDS: '2' },
    });
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(restarted.stderr, '', '-q: the part is not logged');
    assert.equal(server.chatRequests().length, asked, 'nothing asked again');

    const db = new Database(path.join(dir, 'pod1.db'), { readonly: true });
    const runs = db.prepare('SELECT args, inputs FROM runs ORDER BY id').all() as { args: string; inputs: string }[];
    db.close();
    assert.equal(runs.length, 3);
    assert.equal(new Set(runs.map((r) => r.inputs)).size, 1, 'auto and 2/2 are the same inputs');
    const shardArgs = runs.map((r) => (JSON.parse(r.args) as string[]).filter((a) => a.startsWith('--shard') || a === '2/2'));
    assert.deepEqual(shardArgs, [['--shard', '2/2'], ['--shard', '2/2'], ['--shard=2/2']]);
  });

  it('outside a scheduler, or with an index past the count, exits 2 before anything is asked', async () => {
    const dir = await workspace();
    const folder = await photos(dir, 2);
    const asked = server.chatRequests().length;
    const none = await runMain(catalog(path.join(dir, 'c.db'), '--shard', 'auto', folder));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--shard auto found no scheduler: it looks for \$JOB_COMPLETION_INDEX/);
    const past = await runMain(catalog(path.join(dir, 'c.db'), '--shard', 'auto', folder), {
      env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' },
    });
    assert.equal(past.code, 2);
    assert.match(past.stderr, /\$SLURM_ARRAY_TASK_ID=5 is outside the 4 parts of the SLURM array \(ids 1 to 4/);
    assert.equal(server.chatRequests().length, asked);
  });
});
