// The in-process ONNX engine on a generated small model (4 layers, hidden 256,
// vocabulary 32,000, random weights): images per second at batch size 1 and
// with dynamic batching at batch size 8, through the real CLI, and whether
// batched answers equal one-at-a-time answers; and the main thread's worst
// event-loop delay while the model runs.
//
// Throughput is the steady-state rate: each run catalogs N and then 4N fresh
// images, and the extra 3N images over the extra time is the rate. That cancels
// the fixed cost of every run (node start-up, hashing the weights into a fresh
// cache, loading the model: about a second), which no batching can shorten and
// which a real catalog of thousands of images pays once. The end-to-end rate
// over 4N images is reported beside it. Batch 1 and batch 8 run side by side
// (ABBA) with the load average noted, since this machine's load drifts.
//
// Diagnostics explain a missed target: the fixed cost, the engine alone with
// its time split between prefill and decode steps, batch sizes as formed, GC
// pauses on the main thread.
//
// Beside it, transformers.js on the same model, images and threads (one image
// at a time, after loading): glm-vision at its default batch size must answer
// at least 1.5 times as many images per second.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processImage, smartResize, visionConfigFrom } from '../../src/backends/onnx/image-processor.js';
import { loadModelDir } from '../../src/models/model-dir.js';
import { resolveSpec } from '../tiny-model/index.js';
import { childEnv, removeDb, runCatalogWith, type BenchContext, type CatalogRun, ROOT } from './context.js';
import { ensureSizedImages, ensureTinyModel, type FixtureSet, type ModelFixture } from './fixtures.js';
import type { CatalogResult, ChildInput, EngineBatchResult, EngineResult, PeerResult } from './onnx-child.js';
import { check, runTimed } from './proc.js';
import { fmt, judge, median, type Measure } from './report.js';

export const ONNX_MODEL = { family: 'qwen2_vl', layers: 4, hidden: 256, vocab: 32_000, seed: 11 } as const;
export const ONNX_GLM_MODEL = { ...ONNX_MODEL, family: 'glm' } as const;
export const ONNX_SMALL_COUNT = 32;
export const ONNX_SMALL_SIZES = [[112, 112], [140, 112], [168, 140]] as const;
export const ONNX_LARGE_COUNT = 6;
export const ONNX_LARGE_SIZE = [1000, 800] as const;
export const ONNX_MAX_TOKENS = 32;
export const ONNX_BATCH = 8;
const BATCHES = [1, ONNX_BATCH] as const;
type Batch = (typeof BATCHES)[number];
export const SPEEDUP_TARGET = 3.3;
export const E2E_TARGET = 3;
/** glm-vision at its default batch size over transformers.js, images per second. */
export const PEER_TARGET = 1.5;
export const ELD_TARGET_MS = 50;
const ELD_RESOLUTION_MS = 5;
const ELD_RUNS = 3;
const PROMPT = 'Describe this image.';

// Greedy (temperature 0) and a one-line question: the prompt stays short, so
// decoding dominates, and batched answers must equal one-at-a-time answers.
const TEMPLATE = `---
name: bench-short
description: A one-line question, so the prompt is short and decoding dominates (bench).
max_tokens: ${ONNX_MAX_TOKENS}
temperature: 0
output: text
---
${PROMPT}
`;

const CHILD = path.join(ROOT, 'test', 'bench', 'onnx-child.ts');

/** Runs onnx-child.ts in a fresh node and parses the JSON line it prints. */
async function runChild<T>(ctx: BenchContext, input: ChildInput, what: string, timeoutMs: number): Promise<T> {
  const r = check(
    what,
    await runTimed(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(input)], { cwd: ROOT, env: childEnv(ctx), timeoutMs }),
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${what}: no JSON result on stdout\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
}

type Row = Record<string, unknown>;

/** Rows keyed by file name, each reduced to what must not depend on the batch size. */
function answers(rows: Row[]): Map<string, string> {
  return new Map(rows.map((r) => [path.basename(String(r.SourceFile)), JSON.stringify([r.status, r.output, r.tokens_out])]));
}

/** Files whose status, output or tokens_out differ between two catalogs of the same images. */
function differing(a: Row[], b: Row[]): string[] {
  const want = answers(a);
  const got = answers(b);
  const out: string[] = [];
  for (const [file, v] of want) if (got.get(file) !== v) out.push(file);
  for (const file of got.keys()) if (!want.has(file)) out.push(file);
  return out;
}

function checkRows(name: string, rows: Row[], n: number): void {
  const done = rows.filter((r) => (r.status === 'ok' || r.status === 'truncated') && r.cached === false).length;
  if (rows.length !== n || done !== n) {
    const bad = rows.find((r) => r.status !== 'ok' && r.status !== 'truncated');
    throw new Error(`${name}: ${done}/${rows.length} fresh answered rows, expected ${n}${bad ? `. ${String(bad.SourceFile)}: ${String(bad.status)} ${String(bad.error)}` : ''}`);
  }
}

function range(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

const mb = (bytes: number): string => `${fmt(bytes / 1e6, 1)} MB`;

/** A timing of one call, best of k (the machine is noisy; we want the cost, not the noise). */
async function bestOf<T>(k: number, fn: () => T | Promise<T>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < k; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** CPU time the host took from this VM's vCPUs so far (the steal column of /proc/stat), ms; 0 where unknown. */
function stealMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
    const ticks = Number(fields[8]);
    return Number.isFinite(ticks) ? ticks * 10 : 0; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** The machine's 1-minute load average (0 where the platform has none). */
function loadAverage(): number {
  return os.loadavg()[0] ?? 0;
}

/** "vision 3%, prefill 20% (80 ms per batch), ..." for one engine-alone batch size. */
function stageSplit(b: EngineBatchResult): string {
  const total = b.wallMs / 100;
  const s = b.stages;
  return `vision ${fmt(s.vision.ms / total, 0)}%, prefill ${fmt(s.prefill.ms / total, 0)}% (${fmt(s.prefill.ms / s.prefill.runs, 0)} ms per batch), ` +
    `decode ${fmt(s.decode.ms / total, 0)}% (${s.decode.runs} steps × ${fmt(s.decode.ms / s.decode.runs)} ms), ` +
    `token embedding ${fmt(s.embed.ms / total, 0)}% (${fmt(s.embed.ms / s.embed.runs)} ms per run()), ` +
    `other ${fmt(b.otherMs / total, 0)}% (argmax, tensors, KV bookkeeping, GC)`;
}

export async function onnxEngine(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const info = (m: Omit<Measure, 'target' | 'verdict'>): void => {
    report.measures.push({ ...m, target: '-', verdict: '-' });
  };

  // Fixtures, generated once.
  const model = await ensureTinyModel(ctx.root, ONNX_MODEL, log);
  const glm = await ensureTinyModel(ctx.root, ONNX_GLM_MODEL, log);
  const small = await ensureSizedImages(ctx.root, `onnx-small-${ONNX_SMALL_COUNT}`, ONNX_SMALL_COUNT, ONNX_SMALL_SIZES, 1000, log);
  const small2 = await ensureSizedImages(ctx.root, `onnx-small-${4 * ONNX_SMALL_COUNT}`, 4 * ONNX_SMALL_COUNT, ONNX_SMALL_SIZES, 1000, log);
  const large = await ensureSizedImages(ctx.root, `onnx-large-${ONNX_LARGE_COUNT}`, ONNX_LARGE_COUNT, [ONNX_LARGE_SIZE], 2000, log);
  for (const f of [model, glm, small, small2, large] as (ModelFixture | FixtureSet)[]) {
    if (f.generated) log(`  generated in ${(f.generateMs / 1000).toFixed(1)} s`);
  }
  const template = path.join(ctx.scratch, 'bench-short.md');
  await writeFile(template, TEMPLATE);
  const n = small.files.length;
  const n2 = small2.files.length;
  const threads = ctx.threads;
  const args = (dirs: string[], modelDir: string, batch: number): string[] => [
    ...dirs, '--model', modelDir, '-p', template, '--batch-size', String(batch), '--max-tokens', String(ONNX_MAX_TOKENS),
    '--threads', String(threads),
  ];
  const oneRun = async (set: FixtureSet, batch: Batch, run: number, modelDir = model.dir, tag = 'onnx'): Promise<CatalogRun> => {
    const name = `${tag}-${set.files.length}-b${batch}-${run}`;
    const cache = path.join(ctx.scratch, `${name}.db`);
    try {
      // Random weights never end an answer: every row is truncated at --max-tokens, which exits 1 (checkRows checks each row).
      const r = await runCatalogWith(ctx, { args: args([set.dir], modelDir, batch), cache, name, timeoutMs: 600_000, okCodes: [0, 1] });
      checkRows(`${tag}, ${set.files.length} images, batch ${batch}, run ${run + 1}`, r.rows, set.files.length);
      log(`  ${tag}: ${set.files.length} images at batch ${batch}, run ${run + 1}: ${fmt(r.wallMs / 1000)} s`);
      return r;
    } finally {
      await removeDb(cache);
    }
  };

  // 1. Throughput. The machine's load drifts over minutes (other jobs start and stop), so batch 1 and batch 8
  // run side by side in ABBA order, N and 4N images each: run 1 is b1 N, b8 N, b8 4N, b1 4N; run 2 mirrors
  // it; both sizes then sit at the same centre in time and a steady drift weighs on both alike. Each run's
  // ratio comes from its own neighbouring catalogs; the median of those ratios is judged.
  const times: Record<Batch, { small: number[]; big: number[] }> = { 1: { small: [], big: [] }, [ONNX_BATCH]: { small: [], big: [] } };
  const loads: Record<Batch, number[]> = { 1: [], [ONNX_BATCH]: [] };
  const rowsOf: Record<Batch, Row[][]> = { 1: [], [ONNX_BATCH]: [] };
  const peerRuns: PeerResult[] = [];
  const peerLoads: number[] = [];
  log(`onnx: ${n} then ${n2} images, --max-tokens ${ONNX_MAX_TOKENS}, --threads ${threads}, ${ctx.runs} runs at batch 1 and ${ONNX_BATCH} side by side (ABBA)`);
  const timed = async (set: FixtureSet, batch: Batch, run: number): Promise<Row[]> => {
    const load0 = loadAverage();
    const r = await oneRun(set, batch, run);
    loads[batch].push(load0, loadAverage());
    times[batch][set === small ? 'small' : 'big'].push(r.wallMs / 1000);
    return r.rows;
  };
  // transformers.js on the same model, images and threads, in the middle of each run, between glm-vision's catalogs.
  const peerRun = async (run: number): Promise<void> => {
    try {
      const load0 = loadAverage();
      const p = await runChild<PeerResult>(ctx, {
        mode: 'peer', model: model.dir, family: ONNX_MODEL.family, images: small.files, prompt: PROMPT, maxTokens: ONNX_MAX_TOKENS, threads,
      }, 'transformers.js on the bench model', 600_000);
      peerLoads.push(load0, loadAverage());
      log(`  transformers.js: ${n} images, run ${run + 1}: ${fmt(p.wallMs / 1000)} s after loading (${fmt(p.loadMs / 1000)} s)`);
      peerRuns.push(p);
    } catch (error) {
      report.notes.push(`transformers.js run failed: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  for (let run = 0; run < ctx.runs; run++) {
    const [a, b] = run % 2 === 0 ? BATCHES : ([...BATCHES].reverse() as Batch[]);
    const smallA = await timed(small, a as Batch, run);
    const smallB = await timed(small, b as Batch, run);
    await peerRun(run);
    const bigB = await timed(small2, b as Batch, run);
    const bigA = await timed(small2, a as Batch, run);
    rowsOf[a as Batch].push(smallA, bigA);
    rowsOf[b as Batch].push(smallB, bigB);
  }
  const steadyRun = (batch: Batch, run: number): number =>
    (n2 - n) / ((times[batch].big[run] as number) - (times[batch].small[run] as number));
  const runIdx = Array.from({ length: ctx.runs }, (_, i) => i);
  const ratios = runIdx.map((i) => steadyRun(ONNX_BATCH, i) / steadyRun(1, i));
  const e2eRatios = runIdx.map((i) => (times[1].big[i] as number) / (times[ONNX_BATCH].big[i] as number));
  // Rates from the medians (one slow run moves a median less than a difference); the ratio judged is the median of the runs' own.
  const steady = (batch: Batch): number => (n2 - n) / (median(times[batch].big) - median(times[batch].small));
  const r1 = steady(1);
  const r8 = steady(ONNX_BATCH);
  const ratio = median(ratios);
  const e1 = n2 / median(times[1].big);
  const e8 = n2 / median(times[ONNX_BATCH].big);
  const e2e = median(e2eRatios);
  const startup: Record<Batch, number> = { 1: median(times[1].small) - n / r1, [ONNX_BATCH]: median(times[ONNX_BATCH].small) - n / r8 };
  const secs = (xs: number[]): string => xs.map((x) => fmt(x)).join(', ');
  const loadRange = (xs: number[]): string => `load ${fmt(Math.min(...xs), 1)}–${fmt(Math.max(...xs), 1)}`;
  const perRun = (xs: number[]): string => xs.map((x) => `${fmt(x)}x`).join(', ');
  info({
    id: 'onnx.b1',
    measure: `onnx batch 1: img/s, steady state (${n} images: ${secs(times[1].small)} s; ${n2}: ${secs(times[1].big)} s; ${loadRange(loads[1])})`,
    value: r1, unit: 'img/s',
  });
  info({
    id: 'onnx.b8',
    measure: `onnx batch ${ONNX_BATCH}, dynamic batching: img/s, steady state (${n} images: ${secs(times[ONNX_BATCH].small)} s; ` +
      `${n2}: ${secs(times[ONNX_BATCH].big)} s; ${loadRange(loads[ONNX_BATCH])})`,
    value: r8, unit: 'img/s',
  });
  report.measures.push({
    id: 'onnx.speedup', measure: `onnx speedup batch ${ONNX_BATCH} / batch 1, steady state, median of ${ctx.runs} side-by-side runs (${perRun(ratios)})`,
    value: ratio, unit: 'x', runs: ratios,
    display: `${fmt(ratio)}x`, target: `>= ${SPEEDUP_TARGET.toFixed(2)}x`, verdict: judge(ratio, '>=', SPEEDUP_TARGET),
  });
  report.measures.push({
    id: 'onnx.speedup.e2e', measure: `onnx speedup end to end over ${n2} images, fixed cost included, median of ${ctx.runs} runs (${perRun(e2eRatios)})`,
    value: e2e, unit: 'x', runs: e2eRatios,
    display: `${fmt(e2e)}x (${fmt(e1)} → ${fmt(e8)} img/s)`, target: `>= ${E2E_TARGET.toFixed(2)}x`, verdict: judge(e2e, '>=', E2E_TARGET),
  });
  if (peerRuns.length > 0) {
    // Both without their fixed cost: glm-vision's steady state, transformers.js after loading and a warm-up image.
    const peerRate = n / (median(peerRuns.map((p) => p.wallMs)) / 1000);
    report.measures.push({
      id: 'onnx.peer', measure: `onnx glm-vision at batch ${ONNX_BATCH} (the default) / transformers.js, img/s, same model, images and threads ` +
        `(transformers.js ${n} images: ${secs(peerRuns.map((p) => p.wallMs / 1000))} s; ${loadRange(peerLoads)})`,
      value: r8 / peerRate, unit: 'x', display: `${fmt(r8 / peerRate)}x (${fmt(r8)} vs ${fmt(peerRate)} img/s)`,
      target: `>= ${PEER_TARGET.toFixed(2)}x`, verdict: judge(r8 / peerRate, '>=', PEER_TARGET),
    });
    const version = (pkg: string): string => (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    report.notes.push(
      `onnx against transformers.js ${version('@huggingface/transformers')} (onnxruntime-node ${version('onnxruntime-node')}, the same copy glm-vision uses): ` +
        `test/bench/onnx-child.ts peer mode loads the bench model from its folder (no download), then answers the ${n} images one at a time ` +
        `with its own processor and greedy generate(), --max-tokens ${ONNX_MAX_TOKENS}, ${threads} intra-op threads, after one warm-up image; ` +
        `its rate is set beside glm-vision's steady-state rate at batch ${ONNX_BATCH}, both without their fixed cost ` +
        `(transformers.js loaded in ${secs(peerRuns.map((p) => p.loadMs / 1000))} s). Its own batches are not used: with left padding, ` +
        `transformers.js 4.3.2 drops the padding from the attention mask after the prompt step (test/onnx-peer.test.ts).`,
    );
    info({
      id: 'onnx.peer.b1', measure: 'onnx glm-vision at batch 1 / transformers.js, img/s (info)', value: r1 / peerRate, unit: 'x',
      display: `${fmt(r1 / peerRate)}x`,
    });
  }
  info({
    id: 'onnx.fixed', measure: 'onnx fixed cost of a run: start-up, weights hashed, model loaded (info)', value: startup[1], unit: 's',
    display: `${fmt(startup[1])} s / ${fmt(startup[ONNX_BATCH])} s at batch 1 / ${ONNX_BATCH}`,
  });

  // Batched answers must equal one-at-a-time answers (greedy decoding), in every run and both sets.
  // rowsOf[batch] alternates N-image and 4N-image catalogs; each is compared with batch 1's first of its kind.
  const mismatches = new Set<string>();
  for (const batch of BATCHES) {
    rowsOf[batch].forEach((rows, i) => {
      for (const f of differing(rowsOf[1][i % 2] as Row[], rows)) mismatches.add(f);
    });
  }
  const reference = rowsOf[1][1] as Row[];
  report.measures.push({
    id: 'onnx.identical', measure: `onnx batch ${ONNX_BATCH} answers = batch 1 answers (all ${4 * ctx.runs} runs)`, value: n2 - mismatches.size,
    unit: 'rows', display: `${n2 - mismatches.size}/${n2} files`, target: 'identical', verdict: mismatches.size === 0 ? 'pass' : 'FAIL',
  });
  const outputs = reference.map((r) => String(r.output ?? ''));
  const tokensIn = reference.map((r) => Number(r.tokens_in));
  const tokensOut = reference.map((r) => Number(r.tokens_out));

  // 2. Diagnostics for the speedup: the engine alone (no CLI, no worker, ideal same-shape batches).
  let engine: EngineResult | undefined;
  try {
    log(`onnx: the engine alone at batch 1 and ${ONNX_BATCH} (time split by stage) ...`);
    engine = await runChild<EngineResult>(ctx, {
      mode: 'engine', model: model.dir, images: small.files, prompt: PROMPT, maxTokens: ONNX_MAX_TOKENS, threads, batchSizes: [1, ONNX_BATCH],
    }, 'onnx engine profile', 600_000);
  } catch (error) {
    report.notes.push(`onnx engine profile failed (diagnostic only): ${(error as Error).message.split('\n')[0]}`);
  }
  const g1 = engine?.batches.find((b) => b.batchSize === 1);
  const g8 = engine?.batches.find((b) => b.batchSize === ONNX_BATCH);
  if (engine && g1 && g8) {
    const er = g1.wallMs / g8.wallMs;
    info({ id: 'onnx.engine.speedup', measure: `onnx engine alone: speedup batch ${ONNX_BATCH} / 1 (info)`, value: er, unit: 'x', display: `${fmt(er)}x` });
    const step1 = g1.stages.decode.ms / g1.stages.decode.runs;
    const step8 = g8.stages.decode.ms / g8.stages.decode.runs;
    info({
      id: 'onnx.engine.step', measure: `onnx decode step, batch 1 / batch ${ONNX_BATCH} (info)`, value: step8 / step1, unit: 'x',
      display: `${fmt(step1)} / ${fmt(step8)} ms`,
    });
  }

  // GLM family, for information: one steady-state measure each way.
  try {
    log(`onnx: the glm model, one run at batch 1 and one at ${ONNX_BATCH} (info) ...`);
    const q1 = await oneRun(small, 1, 0, glm.dir, 'glm');
    const q8 = await oneRun(small, ONNX_BATCH, 0, glm.dir, 'glm');
    const gd = differing(q1.rows, q8.rows);
    info({
      id: 'onnx.glm.speedup', measure: `onnx glm model: speedup batch ${ONNX_BATCH} / 1, end to end over ${n} images, 1 run (info)`,
      value: q1.wallMs / q8.wallMs, unit: 'x', display: `${fmt(q1.wallMs / q8.wallMs)}x, ${n - gd.length}/${n} same`,
    });
  } catch (error) {
    report.notes.push(`onnx glm run failed (info only): ${(error as Error).message.split('\n')[0]}`);
  }

  // 3. The event loop's worst delay while the engine runs: main() in a child, batch 8, small + large images.
  log(`onnx: event-loop delay, batch ${ONNX_BATCH}, ${n} small + ${large.files.length} × ${ONNX_LARGE_SIZE.join('×')} ...`);
  const eldRun = async (dirs: string[], name: string): Promise<CatalogResult> => {
    const cache = path.join(ctx.scratch, `${name}.db`);
    const out = path.join(ctx.scratch, `${name}.jsonl`);
    try {
      const r = await runChild<CatalogResult>(ctx, {
        mode: 'catalog', resolutionMs: ELD_RESOLUTION_MS,
        args: ['catalog', ...args(dirs, model.dir, ONNX_BATCH), '--cache', cache, '-q', '-o', out],
      }, `glm-vision catalog in-process (${name})`, 600_000);
      // 1: every row truncated (random weights never stop); what each row holds is not this measure's concern.
      if (r.code !== 0 && r.code !== 1) throw new Error(`${name}: main() returned ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      return r;
    } finally {
      await removeDb(cache);
    }
  };
  // Judged while the model runs: from the first job posted to the model worker to the end of the run.
  const during = (r: CatalogResult): { max: number; p99: number; p50: number; count: number } => r.eldModel ?? r.eld;
  // The worst delay of one run is one sample of the machine as well as of us: a 2-vCPU VM whose host sometimes
  // stops a vCPU for tens of ms (steal time) can stall any thread. The median of ${ELD_RUNS} runs' worst delays is judged.
  const eldRuns: { r: CatalogResult; stealMs: number }[] = [];
  for (let i = 0; i < ELD_RUNS; i++) {
    const steal0 = stealMs();
    const r = await eldRun([small.dir, large.dir], `onnx-eld-mixed-${i}`);
    eldRuns.push({ r, stealMs: stealMs() - steal0 });
    log(`  run ${i + 1}: max ${fmt(during(r).max, 1)} ms, p99 ${fmt(during(r).p99, 1)} ms while the model runs (${fmt(r.eld.max, 1)} ms over the whole run)`);
  }
  const byMax = [...eldRuns].sort((a, b) => during(a.r).max - during(b.r).max);
  const mixed = (byMax[Math.floor(byMax.length / 2)] as (typeof eldRuns)[number]).r;
  const smallOnly = await eldRun([small.dir], 'onnx-eld-small');
  log(`  small images only: max ${fmt(during(smallOnly).max, 1)} ms; batches ${smallOnly.batches.join(', ')}`);
  const imagesDesc = `${n} small + ${large.files.length} × ${ONNX_LARGE_SIZE.join('×')}`;
  report.measures.push(
    {
      id: 'onnx.eld.max',
      measure: `onnx event-loop delay while the model runs, max: median of ${ELD_RUNS} runs (batch ${ONNX_BATCH}, ${imagesDesc})`,
      value: during(mixed).max, runs: eldRuns.map((x) => during(x.r).max), unit: 'ms', display: `${fmt(during(mixed).max, 1)} ms`, target: `<= ${ELD_TARGET_MS} ms`,
      verdict: judge(during(mixed).max, '<=', ELD_TARGET_MS),
    },
    {
      id: 'onnx.eld.p99', measure: 'onnx event-loop delay while the model runs, p99 (the median run)', value: during(mixed).p99, unit: 'ms',
      display: `${fmt(during(mixed).p99, 1)} ms`, target: '-', verdict: '-',
    },
  );
  info({
    id: 'onnx.eld.whole', measure: 'onnx event-loop delay, max over the whole run, start-up included (info)', value: mixed.eld.max,
    unit: 'ms', display: `${fmt(mixed.eld.max, 1)} ms`,
  });
  info({
    id: 'onnx.eld.small', measure: `onnx event-loop delay while the model runs, max, ${n} small images only (info)`,
    value: during(smallOnly).max, unit: 'ms', display: `${fmt(during(smallOnly).max, 1)} ms`,
  });

  // What one 1000×800 image costs to preprocess (in the preprocessing thread, not the main one).
  const cfgModel = loadModelDir(model.dir, 'fp32');
  const vision = visionConfigFrom(cfgModel.preprocessorConfig, cfgModel.family, cfgModel.preprocessorFile);
  const bigData = await readFile(large.files[0] as string);
  const [lw, lh] = ONNX_LARGE_SIZE;
  const target = smartResize(lh, lw, vision);
  const processed = await processImage(bigData, vision, { maxInputPixels: 1e9 });
  const tProcess = await bestOf(3, () => processImage(bigData, vision, { maxInputPixels: 1e9 }));

  // Notes.
  const spec = resolveSpec({ ...ONNX_MODEL, outDir: model.dir });
  const visual = [...new Set(ONNX_SMALL_SIZES.map(([w, h]) => (smartResize(h, w, vision).width * smartResize(h, w, vision).height) / (28 * 28)))];
  report.notes.push(
    `onnx model: tiny random-weight ${ONNX_MODEL.family} from test/tiny-model (${spec.layers} layers, hidden ${spec.hidden}, ` +
      `vocabulary ${spec.vocab}, ${spec.heads} heads / ${spec.kvHeads} KV heads, intermediate ${spec.intermediate}, seed ${spec.seed}, fp32), ` +
      `${mb(model.totalBytes)} on disk; the glm row uses the same sizes with family glm (${mb(glm.totalBytes)}).`,
    `onnx images: ${n} and ${n2} distinct JPEGs in ${ONNX_SMALL_SIZES.map(([w, h]) => `${w}×${h}`).join(', ')} (${visual.join(' / ')} visual tokens); ` +
      `prompt "${PROMPT}" (template file, temperature 0): ${range(tokensIn)} prompt tokens, ${range(tokensOut)} generated ` +
      (tokensOut.every((t) => t === ONNX_MAX_TOKENS)
        ? `(--max-tokens ${ONNX_MAX_TOKENS}; the random weights never emit EOS, so every row decodes all ${ONNX_MAX_TOKENS} and ends "truncated").`
        : `(--max-tokens ${ONNX_MAX_TOKENS}; ${tokensOut.filter((t) => t < ONNX_MAX_TOKENS).length} row(s) stopped early at EOS).`),
    `onnx throughput: node bin/glm-vision.js catalog DIR --model M -p bench-short.md --batch-size 1|${ONNX_BATCH} --max-tokens ${ONNX_MAX_TOKENS} ` +
      `--threads ${threads} --cache <fresh db> -q -o <tmp>.jsonl (default --batch-wait-ms 20, --batch-tokens 8192; VIPS_CONCURRENCY=${threads}), ` +
      `wall clock from spawn to exit, over ${n} images and then ${n2}; ${ctx.runs} runs, each with both batch sizes side by side in ABBA order ` +
      `(b1 ${n}, b${ONNX_BATCH} ${n}, transformers.js, b${ONNX_BATCH} ${n2}, b1 ${n2}; the next run mirrored), so drifting load weighs on both alike; ` +
      `a run's steady-state rate = ${n2 - n} / (its ${n2}-image time − its ${n}-image time), and the median of the runs' batch ${ONNX_BATCH} / batch 1 ` +
      `ratios is judged; the rates shown use the median times. Load is the 1-minute load average at each catalog's start and end ` +
      `(${ctx.cpus} CPUs). The fixed cost of a run (the median ${n}-image time less ${n} images at the steady rate) was ` +
      `${fmt(startup[1])} s / ${fmt(startup[ONNX_BATCH])} s at batch 1 / ${ONNX_BATCH}; end to end over ${n2} images the speedup is ${fmt(e2e)}x.`,
    mismatches.size === 0
      ? `onnx answers: batched = one-at-a-time. Every row's status, output and tokens_out are identical across all ${4 * ctx.runs} runs ` +
          `(${outputs.filter((o) => o).length}/${n2} outputs non-empty, ${new Set(outputs).size} distinct).`
      : `onnx answers DIFFER between batch sizes: ${[...mismatches].slice(0, 8).join(', ')}${mismatches.size > 8 ? ', ...' : ''} ` +
          `(${mismatches.size} file(s) differ in status, output or tokens_out from the batch-1 run).`,
  );
  if (engine && g1 && g8) {
    report.notes.push(
      `onnx engine alone (Engine from dist in a child, no CLI or worker, after one warm-up, rows grouped by shape as the batcher does, ${n} images): ` +
        `batch 1 ${fmt(g1.wallMs / 1000)} s = ${fmt(n / (g1.wallMs / 1000))} img/s [${stageSplit(g1)}]; batch ${ONNX_BATCH} ${fmt(g8.wallMs / 1000)} s = ` +
        `${fmt(n / (g8.wallMs / 1000))} img/s [${stageSplit(g8)}]; ${engine.identical}/${engine.rows} rows generate identical token ids at both sizes; ` +
        `model load ${fmt(engine.loadMs / 1000)} s.`,
    );
    if (ratio < SPEEDUP_TARGET) {
      const step1 = g1.stages.decode.ms / g1.stages.decode.runs;
      const step8 = g8.stages.decode.ms / g8.stages.decode.runs;
      report.notes.push(
        `onnx speedup limits: the engine alone reaches ${fmt(g1.wallMs / g8.wallMs)}x; a decode step for ${ONNX_BATCH} rows costs ` +
          `${fmt(step8 / step1)}x a 1-row step (${fmt(step1)} → ${fmt(step8)} ms), all of it inside the decoder graph's run(): the ` +
          `${spec.vocab}×${spec.hidden} LM head is read from memory once a step at any batch, but the layers' key/value concatenation, ` +
          `the grouped-query expand and attention grow with the rows; prefill is already a matrix product at batch 1.`,
      );
    }
  }
  report.notes.push(
    `onnx batches as formed at batch ${ONNX_BATCH} (${n} small images, seen from the main thread as results arriving together): ` +
      `${smallOnly.batches.join(', ')}; with the large images: ${mixed.batches.join(', ')}.`,
    `onnx event loop: main() from dist/cli/main.js in a child (node --import tsx test/bench/onnx-child.ts) with ` +
      `perf_hooks.monitorEventLoopDelay({ resolution: ${ELD_RESOLUTION_MS} }): one histogram over the whole main() call, one from the ` +
      `first job posted to the model worker (${fmt((mixed.firstPostMs ?? NaN) / 1000)} s in) to the end, which is the one judged; a sample ` +
      `is the interval between two timer turns, so an idle loop reads about ${ELD_RESOLUTION_MS} ms. Images: ${imagesDesc} JPEGs ` +
      `(${lw}×${lh} → ${target.width}×${target.height}: ${processed.numPatches} patches, ${processed.tokens} visual tokens, ` +
      `${mb(processed.pixelValues.byteLength)} of float32 patches, ${fmt(tProcess, 0)} ms to preprocess alone), --batch-size ${ONNX_BATCH}, ` +
      `--max-tokens ${ONNX_MAX_TOKENS}, --threads ${threads}; run took ${fmt(mixed.wallMs / 1000)} s, p50 ${fmt(during(mixed).p50, 1)} ms, ` +
      `${during(mixed).count} samples. Patches go from the preprocessing thread to the model worker directly: the ${mixed.posts.count} ` +
      `messages the main thread posted to the model worker held it ${fmt(mixed.posts.maxMs, 1)} ms at most; longest GC pause on the main ` +
      `thread ${fmt(mixed.gc.maxMs, 1)} ms (${mixed.gc.count} pauses, ${fmt(mixed.gc.totalMs, 0)} ms).`,
  );
  report.notes.push(
    `onnx event-loop runs: worst delay while the model ran ${eldRuns.map((x) => `${fmt(during(x.r).max, 1)} ms`).join(', ')}; ` +
      `vCPU time stolen by the host during each run (/proc/stat steal, both vCPUs): ${eldRuns.map((x) => `${fmt(x.stealMs, 0)} ms`).join(', ')}.`,
  );
  if (during(mixed).max > ELD_TARGET_MS) {
    const main = mixed.mainThread;
    const xs = mixed.stalls.filter((x) => x.atMs + x.ms >= (mixed.firstPostMs ?? 0));
    const stall = (x: CatalogResult['stalls'][number]): string =>
      x.onCpuMs === undefined || x.runqueueMs === undefined
        ? `${fmt(x.ms, 0)} (${fmt(x.gcMs, 0)} in GC)`
        : `${fmt(x.ms, 0)} (${fmt(x.onCpuMs, 0)} on a CPU, ${fmt(x.runqueueMs, 0)} waiting for one; ${fmt(x.gcMs, 0)} in GC)`;
    report.notes.push(
      `onnx event-loop cause: while the model ran, a ${ELD_RESOLUTION_MS} ms timer chain saw ${xs.length} gap(s) over 20 ms: ` +
        `${xs.slice(0, 4).map(stall).join('; ')} ms` +
        (main ? `; over the run the main thread ran ${fmt(main.onCpuMs, 0)} ms and waited ${fmt(main.runqueueMs, 0)} ms for a CPU.` : '.'),
    );
  }
  report.env.onnx = {
    model: ONNX_MODEL, modelBytes: model.totalBytes, images: { small: n, small2: n2, sizes: ONNX_SMALL_SIZES, large: large.files.length, largeSize: ONNX_LARGE_SIZE },
    maxTokens: ONNX_MAX_TOKENS, threads, fixedS: startup, times, engine: engine ?? null,
    eld: { mixed: eldRuns.map((x) => ({ ...x.r, stderr: undefined, stealMs: x.stealMs })), small: { ...smallOnly, stderr: undefined } },
    preprocessMs: { processImage: tProcess },
  };
}
