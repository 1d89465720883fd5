// The unattended nightly run (issue 14): empty or missing inputs, interrupted refreshes,
// unused template variables, truncated answers and --metrics-file, run the way cron runs them
// (no TTY, stdin closed, a bare environment).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type RecordedRequest, type Reply } from './helpers/fake-openai.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { makeImage } from './helpers/images.js';
import { metric, readMetrics } from './helpers/metrics.js';
import { parseJsonl, runCli, scratchFolders, startCli, type CliResult } from './helpers/cli.js';

let server: FakeOpenAI;
const scratch = scratchFolders('glmv-nightly-');

before(async () => {
  server = await startFakeOpenAI();
});
after(async () => {
  await server.close();
});

async function photos(dir: string, n: number, seed: number): Promise<string> {
  const folder = path.join(dir, 'photos');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < n; i++) await makeImage(path.join(folder, `p${String(i).padStart(2, '0')}.jpg`), { width: 40, height: 40, seed: seed + i });
  return folder;
}

const common = (dir: string): string[] => ['--endpoint', server.url, '--model', 'm', '--cache', path.join(dir, 'cache.db')];

/** Requests the server received while `body` ran. */
async function counting<T>(body: () => Promise<T>): Promise<{ result: T; requests: RecordedRequest[] }> {
  const start = server.chatRequests().length;
  const result = await body();
  return { result, requests: server.chatRequests().slice(start) };
}

/** Nothing but the expected files: no temporary catalog left behind. */
async function assertNoLeftovers(dir: string, expected: string[]): Promise<void> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('cache.db'));
  assert.deepEqual(names.sort(), [...expected].sort());
}

describe('inputs that found nothing', () => {
  it('an empty folder and a missing path exit 66 before any request; the previous catalog is byte-identical', async () => {
    const dir = await scratch();
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const out = path.join(dir, 'out');
    await mkdir(out);
    const catalog = path.join(out, 'catalog.jsonl');
    const before = '{"SourceFile":"yesterday.jpg","status":"ok"}\n';
    await writeFile(catalog, before);
    for (const input of [empty, path.join(dir, 'not-mounted')]) {
      const metricsFile = path.join(out, 'm.prom');
      const { result, requests } = await counting(() => runCli(['catalog', input, ...common(dir), '-o', catalog, '--metrics-file', metricsFile]));
      assert.equal(result.code, 66, result.stderr);
      assert.equal(requests.length, 0);
      assert.equal(await readFile(catalog, 'utf8'), before);
      assert.match(result.stderr, input === empty ? /found no image or PDF in .*empty.*--allow-empty/ : /No such file or folder: .*not-mounted/);
      const m = await readMetrics(metricsFile);
      assert.equal(metric(m, 'last_run_exit_code'), 66);
      assert.equal(metric(m, 'last_run_files_found'), 0);
      await assertNoLeftovers(out, ['catalog.jsonl', 'm.prom']);
    }
  });

  it('--allow-empty writes an empty catalog and exits 0', async () => {
    const dir = await scratch();
    await mkdir(path.join(dir, 'empty'));
    const res = await runCli(['catalog', path.join(dir, 'empty'), ...common(dir), '--allow-empty', '-o', path.join(dir, 'c.jsonl')]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readFile(path.join(dir, 'c.jsonl'), 'utf8'), '');
  });

  // Root reads any folder, so these run as nobody.
  const asNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  const nobody = (args: string[], cwd: string): Promise<CliResult> =>
    runCli(args, { cwd, wrapper: ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'] });

  it('an input folder that cannot be opened exits 66; one below an input exits 1 and is listed, also under -q', { skip: !asNobody && 'needs root and setpriv' }, async () => {
    const dir = await scratch();
    await chmod(dir, 0o777);
    const archive = await photos(dir, 3, 100);
    await chmod(archive, 0o755);
    const locked = path.join(archive, 'locked');
    await mkdir(locked);
    await makeImage(path.join(locked, 'hidden.jpg'), { width: 40, height: 40, seed: 150 });
    await chmod(locked, 0o000);
    const out = path.join(dir, 'out');
    await mkdir(out, { mode: 0o777 });
    await chmod(out, 0o777);
    const catalog = path.join(out, 'catalog.jsonl');
    const before = '{"SourceFile":"yesterday.jpg","status":"ok"}\n';
    await writeFile(catalog, before, { mode: 0o666 });
    const cache = ['--endpoint', server.url, '--model', 'm', '--cache', path.join(out, 'cache.db')];

    const root = await nobody(['catalog', locked, ...cache, '-o', catalog], dir);
    assert.equal(root.code, 66, root.stderr);
    assert.match(root.stderr, /Cannot open the folder .*locked: permission denied \(EACCES\)/);
    assert.equal(await readFile(catalog, 'utf8'), before);

    const below = await nobody(['catalog', archive, ...cache, '-q', '-o', catalog, '--metrics-file', path.join(out, 'm.prom')], dir);
    assert.equal(below.code, 1, below.stderr);
    assert.match(below.stderr, /1 folder could not be read; the files in it are not in the catalog:\n {2}\S*photos\/locked \(permission denied \(EACCES\)\)/);
    assert.equal(parseJsonl(await readFile(catalog, 'utf8')).length, 3);
    const m = await readMetrics(path.join(out, 'm.prom'));
    assert.equal(metric(m, 'last_run_unreadable_folders'), 1);
    assert.equal(metric(m, 'last_run_exit_code'), 1);
    await chmod(locked, 0o755);
  });

  it('a run that finds fewer than half the files of the last run over the same inputs says so, also under -q, and in the metrics', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 6, 200);
    const first = await runCli(['catalog', archive, ...common(dir), '-q', '-o', path.join(dir, 'c.jsonl')]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    for (const name of ['p00.jpg', 'p01.jpg', 'p02.jpg', 'p03.jpg']) await rm(path.join(archive, name));
    const metricsFile = path.join(dir, 'm.prom');
    const second = await runCli(['catalog', archive, ...common(dir), '-q', '-o', path.join(dir, 'c.jsonl'), '--metrics-file', metricsFile]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /found 2 files; the last run over \S*photos found 6 \(on \d{4}-\d\d-\d\d\)/);
    const m = await readMetrics(metricsFile);
    assert.equal(metric(m, 'last_run_files_found'), 2);
    assert.equal(metric(m, 'previous_run_files_found'), 6);
  });
});

describe('an interrupted --refresh', () => {
  it('SIGTERM half-way: the previous catalog is byte-identical, and the same --refresh again asks only for what was not answered', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 12, 300);
    const catalog = path.join(dir, 'archive.csv');
    const full = await runCli(['catalog', archive, ...common(dir), '-j', '2', '-o', catalog]);
    assert.equal(full.code, 0, full.stderr);
    const before = await readFile(catalog);

    // The fifth request of the refresh is held until the run has taken the signal.
    let arrived!: () => void;
    const held = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let seen = 0;
    server.setHandler(async (req): Promise<Reply> => {
      if (++seen === 5) arrived();
      if (seen >= 5) await released;
      return defaultReply(req);
    });
    const start = server.chatRequests().length;
    let refreshed: RecordedRequest[];
    try {
      const run = startCli(['catalog', archive, ...common(dir), '-j', '2', '--refresh', '-o', catalog, '--metrics-file', path.join(dir, 'm.prom')]);
      await held;
      const noticed = new Promise<void>((resolve) => {
        let text = '';
        run.child.stderr?.on('data', (d: string) => {
          text += d;
          if (text.includes('SIGTERM: finishing requests in flight')) resolve();
        });
      });
      run.child.kill('SIGTERM');
      await noticed;
      release();
      const res = await run.done;
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, /archive\.csv is left as it was/);
      refreshed = server.chatRequests().slice(start);
    } finally {
      server.setHandler(defaultReply);
    }
    assert.ok(refreshed.length >= 5 && refreshed.length < 12, `${refreshed.length} requests before the signal took effect`);
    assert.deepEqual(await readFile(catalog), before, 'the interrupted run replaced the catalog');
    await assertNoLeftovers(dir, ['archive.csv', 'm.prom', 'photos']);
    assert.equal(metric(await readMetrics(path.join(dir, 'm.prom')), 'last_run_exit_code'), 130);

    const { result, requests } = await counting(() => runCli(['catalog', archive, ...common(dir), '-j', '2', '--refresh', '-o', catalog]));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /carrying on the --refresh begun \S+, which did not finish/);
    assert.equal(requests.length, 12 - refreshed.length);
    assert.equal(parseCsv(await readFile(catalog)).length, 13);
    const askedTwice = requests.filter((r) => refreshed.some((q) => q.imageSha256 === r.imageSha256));
    assert.equal(askedTwice.length, 0, 'an image answered before the signal was asked again');
    // Finished: the next --refresh starts over.
    const again = await counting(() => runCli(['catalog', archive, ...common(dir), '-j', '2', '--refresh', '-o', catalog]));
    assert.equal(again.requests.length, 12);
  });
});

describe('settings that would re-ask every image', () => {
  it('--question or --set that the template does not use is a usage error before any request', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 2, 400);
    const cases: [string[], RegExp][] = [
      [['--question', 'what year?'], /--question: the prompt template "describe" .* has no \{\{question\}\}; it uses no variables of its own/],
      [['--prompt', 'qa', '--question', 'q', '--set', 'colour=red'], /--set colour=red: the prompt template "qa" .* has no \{\{colour\}\}; it uses \{\{question\}\}/],
    ];
    for (const [args, message] of cases) {
      const metricsFile = path.join(dir, 'm.prom');
      const { result, requests } = await counting(() => runCli(['catalog', archive, ...common(dir), ...args, '--metrics-file', metricsFile]));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(requests.length, 0);
      assert.equal(metric(await readMetrics(metricsFile), 'last_run_exit_code'), 2);
    }
    await writeFile(path.join(dir, 'glm-vision.config.json'), JSON.stringify({ set: { colour: 'red' } }));
    const fromConfig = await runCli(['catalog', archive, ...common(dir)], { cwd: dir });
    assert.equal(fromConfig.code, 2);
    assert.match(fromConfig.stderr, /--set colour=red \(from the config file \S*glm-vision\.config\.json\)/);
  });

  it('a value the template uses changes the job; the same value asks nothing again', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 2, 500);
    const template = path.join(dir, 'colour.md');
    await writeFile(template, '---\nname: colour\nvariables:\n  colour: null\n---\nIs there anything {{colour}}?\n');
    const ask = (colour: string): Promise<{ result: CliResult; requests: RecordedRequest[] }> =>
      counting(() => runCli(['catalog', archive, ...common(dir), '--prompt', template, '--set', `colour=${colour}`]));
    assert.equal((await ask('red')).requests.length, 2);
    assert.equal((await ask('red')).requests.length, 0);
    assert.equal((await ask('blue')).requests.length, 2);
  });
});

describe('truncated answers', () => {
  it('every answer cut off at --max-tokens: exit 1, the summary says truncated, the metrics count them', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 3, 600);
    server.setHandler(() => ({ type: 'answer', content: 'A street in the', finishReason: 'length' }));
    let res: CliResult;
    try {
      res = await runCli(['catalog', archive, ...common(dir), '--max-tokens', '4', '-o', path.join(dir, 'c.jsonl'), '--metrics-file', path.join(dir, 'm.prom')]);
    } finally {
      server.setHandler(defaultReply);
    }
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /3\/3 files, 0 ok, 3 truncated/);
    const rows = parseJsonl(await readFile(path.join(dir, 'c.jsonl'), 'utf8'));
    assert.deepEqual(rows.map((r) => r.status), ['truncated', 'truncated', 'truncated']);
    const m = await readMetrics(path.join(dir, 'm.prom'));
    assert.equal(metric(m, 'last_run_rows', { status: 'truncated' }), 3);
    assert.equal(metric(m, 'last_run_rows', { status: 'ok' }), 0);
    assert.equal(metric(m, 'last_run_exit_code'), 1);
  });
});

describe('--metrics-file', () => {
  it('parses with the Prometheus parser after a success, a full disk and a failure, and keeps the last success', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 4, 700);
    const metricsFile = path.join(dir, 'glm_vision.prom');
    const ok = await runCli(['catalog', archive, ...common(dir), '-o', path.join(dir, 'c.jsonl'), '--metrics-file', metricsFile]);
    assert.equal(ok.code, 0, ok.stderr);
    const m0 = await readMetrics(metricsFile);
    const labels = { inputs: archive };
    assert.equal(metric(m0, 'last_run_exit_code', labels), 0);
    assert.equal(metric(m0, 'last_run_files_found'), 4);
    assert.equal(metric(m0, 'last_run_rows', { status: 'ok' }), 4);
    assert.equal(metric(m0, 'last_run_requests'), 4);
    assert.equal(metric(m0, 'last_run_cached_rows'), 0);
    assert.ok((metric(m0, 'last_run_tokens', { direction: 'in' }) ?? 0) > 0);
    const success = metric(m0, 'last_success_timestamp_seconds');
    assert.equal(success, metric(m0, 'last_run_end_timestamp_seconds'));

    const cached = await runCli(['catalog', archive, ...common(dir), '-o', '/dev/full', '--metrics-file', metricsFile]);
    assert.equal(cached.code, 74, cached.stderr);
    const m1 = await readMetrics(metricsFile);
    assert.equal(metric(m1, 'last_run_exit_code'), 74);
    assert.equal(metric(m1, 'last_run_cached_rows'), 4);
    assert.equal(metric(m1, 'last_run_requests'), 0);
    assert.equal(metric(m1, 'last_success_timestamp_seconds'), success, 'a failed run keeps the last success');

    const bad = await runCli(['catalog', archive, ...common(dir), '--prompt', 'no-such-prompt', '--metrics-file', metricsFile]);
    assert.equal(bad.code, 2);
    const m2 = await readMetrics(metricsFile);
    assert.equal(metric(m2, 'last_run_exit_code'), 2);
    assert.equal(metric(m2, 'last_success_timestamp_seconds'), success);
    await assertNoLeftovers(dir, ['c.jsonl', 'glm_vision.prom', 'photos']);
  });

  it('a metrics file in a folder that does not exist is a usage error before any request', async () => {
    const dir = await scratch();
    const archive = await photos(dir, 1, 800);
    const { result, requests } = await counting(() =>
      runCli(['catalog', archive, ...common(dir), '--metrics-file', path.join(dir, 'nope', 'm.prom')]));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Cannot write --metrics-file .*nope\/m\.prom: the folder .* does not exist/);
    assert.equal(requests.length, 0);
  });
});
