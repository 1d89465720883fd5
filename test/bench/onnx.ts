// The in-process ONNX engine on a generated small model (4 layers, hidden 256,
// vocabulary 32,000, random weights): images per second at batch size 1 and
// with dynamic batching at batch size 8 (the real CLI, alternating runs, same
// images, same --max-tokens), whether batched answers equal one-at-a-time
// answers, and the main thread's worst event-loop delay while the model runs.
// Diagnostics explain a missed target: start-up share, the engine alone with
// its time split between prefill and decode steps, batch sizes as formed, the
// cost of each postMessage to the model worker, GC pauses.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processImage, patchify, resizeBicubic, smartResize, visionConfigFrom } from '../../src/backends/onnx/image-processor.js';
import { loadModelDir } from '../../src/backends/onnx/model-dir.js';
import { resolveSpec } from '../tiny-model/index.js';
import { childEnv, removeDb, runCatalogWith, type BenchContext, type CatalogRun, ROOT } from './context.js';
import { ensureSizedImages, ensureTinyModel, type FixtureSet, type ModelFixture } from './fixtures.js';
import type { CatalogResult, ChildInput, EngineResult, Timing } from './onnx-child.js';
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
export const SPEEDUP_TARGET = 3;
export const ELD_TARGET_MS = 50;
const ELD_RESOLUTION_MS = 5;
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

/** Rows keyed by file, each reduced to what must not depend on the batch size. */
function answers(rows: Row[]): Map<string, string> {
  return new Map(rows.map((r) => [String(r.SourceFile), JSON.stringify([r.status, r.output, r.tokens_out])]));
}

/** Rows of `b` whose status, output and tokens_out differ from `a`'s for the same file. */
function differing(a: Row[], b: Row[]): string[] {
  const want = answers(a);
  const got = answers(b);
  const out: string[] = [];
  for (const [file, v] of want) if (got.get(file) !== v) out.push(path.basename(file));
  for (const file of got.keys()) if (!want.has(file)) out.push(path.basename(file));
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

export async function onnxEngine(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const info = (m: Omit<Measure, 'target' | 'verdict'>): void => {
    report.measures.push({ ...m, target: '-', verdict: '-' });
  };

  // Fixtures, generated once.
  const model = await ensureTinyModel(ctx.root, ONNX_MODEL, log);
  const glm = await ensureTinyModel(ctx.root, ONNX_GLM_MODEL, log);
  const small = await ensureSizedImages(ctx.root, `onnx-small-${ONNX_SMALL_COUNT}`, ONNX_SMALL_COUNT, ONNX_SMALL_SIZES, 1000, log);
  const large = await ensureSizedImages(
    ctx.root, `onnx-large-${ONNX_LARGE_COUNT}`, ONNX_LARGE_COUNT, [ONNX_LARGE_SIZE], 2000, log,
  );
  for (const f of [model, glm, small, large] as (ModelFixture | FixtureSet)[]) {
    if (f.generated) log(`  generated in ${(f.generateMs / 1000).toFixed(1)} s`);
  }
  const template = path.join(ctx.scratch, 'bench-short.md');
  await writeFile(template, TEMPLATE);
  const n = small.files.length;
  const threads = ctx.threads;
  const args = (dirs: string[], modelDir: string, batch: number): string[] => [
    ...dirs, '--model', modelDir, '-p', template, '--batch-size', String(batch), '--max-tokens', String(ONNX_MAX_TOKENS),
    '--threads', String(threads),
  ];

  // 1. Throughput: batch 1 and batch 8, alternating, each with a fresh cache.
  type Batch = (typeof BATCHES)[number];
  const rates: Record<Batch, number[]> = { 1: [], [ONNX_BATCH]: [] };
  const rowsOf: Record<Batch, Row[][]> = { 1: [], [ONNX_BATCH]: [] };
  const keep: Record<Batch, string> = { 1: '', [ONNX_BATCH]: '' };
  const oneRun = async (batch: Batch, run: number, modelDir = model.dir, tag = 'onnx'): Promise<CatalogRun> => {
    const cache = path.join(ctx.scratch, `${tag}-b${batch}-${run}.db`);
    const r = await runCatalogWith(ctx, { args: args([small.dir], modelDir, batch), cache, name: `${tag}-b${batch}-${run}`, timeoutMs: 600_000 });
    checkRows(`${tag} batch ${batch} run ${run + 1}`, r.rows, n);
    log(`  ${tag} batch ${batch} run ${run + 1}: ${fmt(r.wallMs / 1000)} s, ${fmt(n / (r.wallMs / 1000))} img/s`);
    if (tag === 'onnx') {
      if (keep[batch]) await removeDb(keep[batch]);
      keep[batch] = cache; // the last one is kept for the start-up measure
    } else {
      await removeDb(cache);
    }
    return r;
  };
  log(`onnx: ${n} images, --max-tokens ${ONNX_MAX_TOKENS}, --threads ${threads}, ${ctx.runs} alternating runs at batch 1 and ${ONNX_BATCH}`);
  for (let run = 0; run < ctx.runs; run++) {
    for (const batch of BATCHES) {
      const r = await oneRun(batch, run);
      rates[batch].push(n / (r.wallMs / 1000));
      rowsOf[batch].push(r.rows);
    }
  }

  // Start-up: a fully cached re-run starts node, loads the model and starts the worker, but infers nothing.
  const startup: Record<Batch, number> = { 1: NaN, [ONNX_BATCH]: NaN };
  for (const batch of BATCHES) {
    const r = await runCatalogWith(ctx, { args: args([small.dir], model.dir, batch), cache: keep[batch], name: `onnx-b${batch}-cached`, timeoutMs: 120_000 });
    const cached = r.rows.filter((row) => row.cached === true).length;
    if (cached === n) startup[batch] = r.wallMs / 1000;
    else log(`  cached re-run at batch ${batch}: only ${cached}/${n} rows cached; start-up not measured`);
    await removeDb(keep[batch]);
  }

  const r1 = median(rates[1]);
  const r8 = median(rates[ONNX_BATCH]);
  const ratio = r8 / r1;
  info({ id: 'onnx.b1', measure: `onnx batch 1: img/s (median of ${ctx.runs})`, value: r1, unit: 'img/s', runs: rates[1] });
  info({ id: 'onnx.b8', measure: `onnx batch ${ONNX_BATCH}, dynamic batching: img/s (median of ${ctx.runs})`, value: r8, unit: 'img/s', runs: rates[ONNX_BATCH] });
  report.measures.push({
    id: 'onnx.speedup', measure: `onnx speedup batch ${ONNX_BATCH} / batch 1`, value: ratio, unit: 'x', display: `${fmt(ratio)}x`,
    target: `>= ${SPEEDUP_TARGET.toFixed(2)}x`, verdict: judge(ratio, '>=', SPEEDUP_TARGET),
  });
  // The same ratio with the fixed start-up taken out of each median wall time.
  const net = (rate: number, s: number): number => n / (n / rate - s);
  const netRatio = net(r8, startup[ONNX_BATCH]) / net(r1, startup[1]);
  info({
    id: 'onnx.speedup.net', measure: 'onnx speedup excluding start-up (info)', value: netRatio, unit: 'x',
    display: Number.isFinite(netRatio) ? `${fmt(netRatio)}x` : 'n/a',
  });

  // Batched answers must equal one-at-a-time answers (greedy decoding).
  const reference = rowsOf[1][0] as Row[];
  const mismatches = new Set<string>();
  for (const batch of BATCHES) for (const rows of rowsOf[batch]) for (const f of differing(reference, rows)) mismatches.add(f);
  const same = n - mismatches.size;
  report.measures.push({
    id: 'onnx.identical', measure: `onnx batch ${ONNX_BATCH} answers = batch 1 answers (all ${2 * ctx.runs} runs)`, value: same,
    unit: 'rows', display: `${same}/${n} rows`, target: 'identical', verdict: mismatches.size === 0 ? 'pass' : 'FAIL',
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
  const e1 = engine?.batches.find((b) => b.batchSize === 1);
  const e8 = engine?.batches.find((b) => b.batchSize === ONNX_BATCH);
  if (engine && e1 && e8) {
    const er = e1.wallMs / e8.wallMs;
    info({ id: 'onnx.engine.speedup', measure: `onnx engine alone: speedup batch ${ONNX_BATCH} / 1 (info)`, value: er, unit: 'x', display: `${fmt(er)}x` });
    const step1 = e1.stages.decode.ms / e1.stages.decode.runs;
    const step8 = e8.stages.decode.ms / e8.stages.decode.runs;
    info({
      id: 'onnx.engine.step', measure: `onnx decode step, batch 1 / batch ${ONNX_BATCH} (info)`, value: step8 / step1, unit: 'x',
      display: `${fmt(step1)} / ${fmt(step8)} ms`,
    });
  }

  // GLM family, for information: one run each way.
  try {
    log(`onnx: the glm model, one run at batch 1 and one at ${ONNX_BATCH} (info) ...`);
    const g1 = await oneRun(1, 0, glm.dir, 'glm');
    const g8 = await oneRun(ONNX_BATCH, 0, glm.dir, 'glm');
    const gr = g1.wallMs / g8.wallMs;
    const gd = differing(g1.rows, g8.rows);
    info({
      id: 'onnx.glm.speedup', measure: `onnx glm model: speedup batch ${ONNX_BATCH} / 1, 1 run (info)`, value: gr, unit: 'x',
      display: `${fmt(gr)}x, ${n - gd.length}/${n} same`,
    });
  } catch (error) {
    report.notes.push(`onnx glm run failed (info only): ${(error as Error).message.split('\n')[0]}`);
  }

  // 3. The event loop's worst delay while the engine runs: main() in a child, batch 8, small + large images.
  log(`onnx: event-loop delay, batch ${ONNX_BATCH}, ${n} small + ${large.files.length} × ${ONNX_LARGE_SIZE.join('×')} ...`);
  const eldRun = async (dirs: string[], name: string, transferPixels = false): Promise<CatalogResult> => {
    const cache = path.join(ctx.scratch, `${name}.db`);
    const out = path.join(ctx.scratch, `${name}.jsonl`);
    try {
      const r = await runChild<CatalogResult>(ctx, {
        mode: 'catalog', resolutionMs: ELD_RESOLUTION_MS, transferPixels,
        args: ['catalog', ...args(dirs, model.dir, ONNX_BATCH), '--cache', cache, '-q', '-o', out],
      }, `glm-vision catalog in-process (${name})`, 600_000);
      if (r.code !== 0) throw new Error(`${name}: main() returned ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      return r;
    } finally {
      await removeDb(cache);
    }
  };
  // Judged while the model runs: from the first job posted to the model worker to the end of the run.
  const during = (r: CatalogResult): { max: number; p99: number; p50: number; count: number } => r.eldModel ?? r.eld;
  const mixed = await eldRun([small.dir, large.dir], 'onnx-eld-mixed');
  log(`  max ${fmt(during(mixed).max, 1)} ms, p99 ${fmt(during(mixed).p99, 1)} ms while the model runs (${fmt(mixed.eld.max, 1)} ms over the whole run); longest postMessage ${fmt(mixed.posts.maxMs, 1)} ms`);
  const smallOnly = await eldRun([small.dir], 'onnx-eld-small');
  log(`  small images only: max ${fmt(during(smallOnly).max, 1)} ms; batches ${smallOnly.batches.join(', ')}`);
  // What-if, when the backend structured-clones pixel arrays: the same run with each one moved in the transfer list.
  const cloned = mixed.posts.count - mixed.posts.transferred;
  let moved: CatalogResult | undefined;
  if (cloned > 0) {
    moved = await eldRun([small.dir, large.dir], 'onnx-eld-transfer', true);
    log(`  pixel arrays transferred (what-if): max ${fmt(during(moved).max, 1)} ms`);
  }
  const imagesDesc = `${n} small + ${large.files.length} × ${ONNX_LARGE_SIZE.join('×')}`;
  report.measures.push(
    {
      id: 'onnx.eld.max', measure: `onnx event-loop delay while the model runs, max (batch ${ONNX_BATCH}, ${imagesDesc})`,
      value: during(mixed).max, unit: 'ms', display: `${fmt(during(mixed).max, 1)} ms`, target: `<= ${ELD_TARGET_MS} ms`,
      verdict: judge(during(mixed).max, '<=', ELD_TARGET_MS),
    },
    {
      id: 'onnx.eld.p99', measure: 'onnx event-loop delay while the model runs, p99 (same run)', value: during(mixed).p99, unit: 'ms',
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
  if (moved) {
    info({
      id: 'onnx.eld.transfer', measure: 'onnx event-loop delay while the model runs, max, pixel arrays transferred (what-if, info)',
      value: during(moved).max, unit: 'ms', display: `${fmt(during(moved).max, 1)} ms`,
    });
  }
  // The main thread's longest single hand-off of a pixel array: a structured-clone postMessage, or a copy made to transfer it.
  const handoff = mixed.copies.maxMs > mixed.posts.maxMs
    ? { t: mixed.copies, what: `Float32Array slice() of ${mb(mixed.posts.maxBytes)} before a transfer` }
    : { t: mixed.posts, what: `postMessage of ${mb(mixed.posts.maxBytes)}${cloned > 0 ? ', structured clone' : ', transferred'}` };
  info({
    id: 'onnx.eld.handoff', measure: 'onnx longest main-thread hand-off of one pixel array (info)', value: handoff.t.maxMs, unit: 'ms',
    display: `${fmt(handoff.t.maxMs, 1)} ms (${handoff.what})`,
  });

  // Where the main thread's time could go, per 1000×800 image, timed here in isolation.
  const cfgModel = loadModelDir(model.dir, 'fp32');
  const vision = visionConfigFrom(cfgModel.preprocessorConfig, cfgModel.family, cfgModel.preprocessorFile);
  const bigData = await readFile(large.files[0] as string);
  const [lw, lh] = ONNX_LARGE_SIZE;
  const target = smartResize(lh, lw, vision);
  const processed = await processImage(bigData, vision, { maxInputPixels: 1e9 });
  const rgb = new Uint8Array(lw * lh * 3).fill(128);
  const chw = new Float32Array(3 * target.width * target.height);
  const tProcess = await bestOf(3, () => processImage(bigData, vision, { maxInputPixels: 1e9 }));
  const tResize = await bestOf(3, () => resizeBicubic(rgb, lw, lh, 3, target.width, target.height));
  const tPatchify = await bestOf(3, () => patchify(chw, target.height, target.width, vision));
  const tClone = await bestOf(3, () => structuredClone({ job: { pixelValues: processed.pixelValues } }));
  const tCopy = await bestOf(3, () => processed.pixelValues.slice());

  // Notes.
  const spec = resolveSpec({ ...ONNX_MODEL, outDir: model.dir });
  const visual = [...new Set(ONNX_SMALL_SIZES.map(([w, h]) => (smartResize(h, w, vision).width * smartResize(h, w, vision).height) / (28 * 28)))];
  report.notes.push(
    `onnx model: tiny random-weight ${ONNX_MODEL.family} from test/tiny-model (${spec.layers} layers, hidden ${spec.hidden}, ` +
      `vocabulary ${spec.vocab}, ${spec.heads} heads / ${spec.kvHeads} KV heads, intermediate ${spec.intermediate}, seed ${spec.seed}, fp32), ` +
      `${mb(model.totalBytes)} on disk; the glm row uses the same sizes with family glm (${mb(glm.totalBytes)}).`,
    `onnx images: ${n} distinct JPEGs in ${ONNX_SMALL_SIZES.map(([w, h]) => `${w}×${h}`).join(', ')} (${visual.join(' / ')} visual tokens); ` +
      `prompt "${PROMPT}" (template file, temperature 0): ${range(tokensIn)} prompt tokens, ${range(tokensOut)} generated ` +
      (tokensOut.every((t) => t === ONNX_MAX_TOKENS)
        ? `(--max-tokens ${ONNX_MAX_TOKENS}; the random weights never emit EOS, so every row decodes all ${ONNX_MAX_TOKENS} and ends "truncated").`
        : `(--max-tokens ${ONNX_MAX_TOKENS}; ${tokensOut.filter((t) => t < ONNX_MAX_TOKENS).length} row(s) stopped early at EOS).`),
    `onnx throughput: node bin/glm-vision.js catalog DIR --model M -p bench-short.md --batch-size 1|${ONNX_BATCH} --max-tokens ${ONNX_MAX_TOKENS} ` +
      `--threads ${threads} --cache <fresh db> -q -o <tmp>.jsonl (default --batch-wait-ms 20, --batch-tokens 8192; VIPS_CONCURRENCY=${threads}); ` +
      `wall clock from spawn to exit, ${ctx.runs} alternating runs each, medians. Start-up (a fully cached re-run: node, model load, ` +
      `worker start, no inference) took ${fmt(startup[1])} s / ${fmt(startup[ONNX_BATCH])} s at batch 1 / ${ONNX_BATCH}.`,
    mismatches.size === 0
      ? `onnx answers: batched = one-at-a-time. Every row's status, output and tokens_out are identical across all ${2 * ctx.runs} runs ` +
          `(${outputs.filter((o) => o).length}/${n} outputs non-empty, ${new Set(outputs).size} distinct).`
      : `onnx answers DIFFER between batch sizes: ${[...mismatches].slice(0, 8).join(', ')}${mismatches.size > 8 ? ', ...' : ''} ` +
          `(${mismatches.size} file(s) differ in status, output or tokens_out from the first batch-1 run).`,
  );
  if (engine && e1 && e8) {
    const split = (b: typeof e1): string => {
      const total = b.wallMs / 100;
      const s = b.stages;
      return `vision ${fmt(s.vision.ms / total, 0)}%, prefill ${fmt(s.prefill.ms / total, 0)}% (${fmt(s.prefill.ms / s.prefill.runs, 0)} ms per batch), ` +
        `decode ${fmt(s.decode.ms / total, 0)}% (${s.decode.runs} steps × ${fmt(s.decode.ms / s.decode.runs)} ms), ` +
        `token embedding ${fmt(s.embed.ms / total, 0)}% (${fmt(s.embed.ms / s.embed.runs)} ms per run()), other JS ${fmt(b.otherMs / total, 0)}%`;
    };
    report.notes.push(
      `onnx engine alone (Engine from dist in a child, no CLI or worker, after one warm-up, rows grouped by shape as the batcher does): ` +
        `batch 1 ${fmt(e1.wallMs / 1000)} s = ${fmt(n / (e1.wallMs / 1000))} img/s [${split(e1)}]; batch ${ONNX_BATCH} ${fmt(e8.wallMs / 1000)} s = ` +
        `${fmt(n / (e8.wallMs / 1000))} img/s [${split(e8)}]; ${engine.identical}/${engine.rows} rows generate identical token ids at both sizes; ` +
        `model load ${fmt(engine.loadMs / 1000)} s.`,
    );
  }
  if (engine && e1 && e8 && ratio < SPEEDUP_TARGET) {
    const step1 = e1.stages.decode.ms / e1.stages.decode.runs;
    const step8 = e8.stages.decode.ms / e8.stages.decode.runs;
    const pre1 = e1.stages.prefill.ms / e1.stages.prefill.runs;
    const pre8 = e8.stages.prefill.ms / e8.stages.prefill.runs;
    // CLI time beyond start-up and the engine's own time: the same order of size at both batch sizes.
    const extra1 = n / r1 - startup[1] - e1.wallMs / 1000;
    const extra8 = n / r8 - startup[ONNX_BATCH] - e8.wallMs / 1000;
    report.notes.push(
      `onnx speedup limits: (1) the engine alone reaches ${fmt(e1.wallMs / e8.wallMs)}x: a decode step for ${ONNX_BATCH} rows costs ` +
        `${fmt(step8 / step1)}x a 1-row step (${fmt(step1)} → ${fmt(step8)} ms), so a row gets ${fmt((ONNX_BATCH * step1) / step8)}x cheaper, ` +
        `not ${ONNX_BATCH}x: at ${ONNX_BATCH} rows the ${spec.vocab}×${spec.hidden} LM head and the MLPs are real compute for ${ctx.cpus} cores; ` +
        `prefill is already a matrix product at batch 1 (${fmt(pre1, 0)} ms for one prompt, ${fmt(pre8, 0)} ms for ${ONNX_BATCH}: ` +
        `${fmt((ONNX_BATCH * pre1) / pre8)}x) and is ${fmt((100 * e8.stages.prefill.ms) / e8.wallMs, 0)}% of the batch-${ONNX_BATCH} time; ` +
        `scanning ${ONNX_BATCH}×${spec.vocab} logits in JS and the per-step token-embedding run() add ` +
        `${fmt((100 * (e8.otherMs + e8.stages.embed.ms)) / e8.wallMs, 0)}%. (2) Every CLI run also pays ${fmt(startup[1])} s of start-up` +
        (extra1 > 0.1 && extra8 > 0.1
          ? ` and ${fmt(extra1)} s / ${fmt(extra8)} s (batch 1 / ${ONNX_BATCH}) of pipeline time beyond the engine's (CLI median − start-up − engine alone; noisy)`
          : '') +
        `, which dilutes the ratio: ` +
        `${fmt(ratio)}x end to end, ${fmt(netRatio)}x without start-up. (3) Batches form late and early: ${smallOnly.batches.join(', ')} ` +
        `instead of ${Math.ceil(n / ONNX_BATCH)} full ones (the first request waits --batch-wait-ms for company while images are still being prepared, ` +
        `and a batch runs to its end before waiting requests can join).`,
    );
  }
  if (during(mixed).max > ELD_TARGET_MS) {
    const main = mixed.mainThread;
    // Gaps of the timer chain from (just before) the first job posted to the model worker.
    const whileModel = (r: CatalogResult): CatalogResult['stalls'] => r.stalls.filter((x) => x.atMs + x.ms >= (r.firstPostMs ?? 0));
    const stall = (x: CatalogResult['stalls'][number]): string =>
      x.onCpuMs === undefined || x.runqueueMs === undefined
        ? `${fmt(x.ms, 0)} (${fmt(x.gcMs, 0)} in GC)`
        : `${fmt(x.ms, 0)} (${fmt(x.onCpuMs, 0)} on a CPU, ${fmt(x.runqueueMs, 0)} waiting for one, ` +
          `${fmt(Math.max(0, x.ms - x.onCpuMs - x.runqueueMs), 0)} off-CPU; ${fmt(x.gcMs, 0)} in GC)`;
    const list = (r: CatalogResult): string => {
      const xs = whileModel(r);
      if (!xs.length) return 'no gap over 20 ms';
      return `${xs.length} gap(s) over 20 ms${xs.length > 4 ? ', the longest 4' : ''}: ${xs.slice(0, 4).map(stall).join('; ')} ms`;
    };
    const split = (t: Timing): string =>
      t.maxOnCpuMs === undefined || t.maxRunqueueMs === undefined
        ? ''
        : ` (${fmt(t.maxOnCpuMs, 0)} ms of it on a CPU, ${fmt(t.maxRunqueueMs, 0)} ms runnable but waiting for a CPU)`;
    report.notes.push(
      `onnx event-loop cause: while the model ran, a ${ELD_RESOLUTION_MS} ms timer chain saw ${list(mixed)} ` +
        `(${large.files.length} large images in the run; with the ${n} small images only: ${list(smallOnly)}). ` +
        `The longest main-thread hand-off of one pixel array was ${fmt(handoff.t.maxMs, 0)} ms, a ${handoff.what}${split(handoff.t)}` +
        (moved
          ? `; the same run with each pixel array moved in the transfer list instead (what-if, patched in the child) peaks at ` +
            `${fmt(during(moved).max, 0)} ms (${list(moved)})`
          : '') +
        `. CPU contention stretches every block: the model's ${threads} ORT threads and the preprocessing thread keep all ` +
        `${ctx.cpus} cores busy` +
        (main ? ` (over the run the main thread ran ${fmt(main.onCpuMs, 0)} ms and waited ${fmt(main.runqueueMs, 0)} ms for a CPU)` : '') +
        `; longest GC pause ${fmt(mixed.gc.maxMs, 0)} ms.`,
    );
  }

  report.notes.push(
    `onnx batches as formed at batch ${ONNX_BATCH} (${n} small images, seen from the main thread as results arriving together): ` +
      `${smallOnly.batches.join(', ')}; with the large images: ${mixed.batches.join(', ')}.`,
    `onnx event loop: main() from dist/cli/main.js in a child (node --import tsx test/bench/onnx-child.ts) with ` +
      `perf_hooks.monitorEventLoopDelay({ resolution: ${ELD_RESOLUTION_MS} }): one histogram over the whole main() call, one from the ` +
      `first job posted to the model worker (${fmt((mixed.firstPostMs ?? NaN) / 1000)} s in, after start-up and model load) to the end, ` +
      `which is the one judged; a sample is the interval between two timer turns, so an idle loop reads about ${ELD_RESOLUTION_MS} ms. ` +
      `Images: ${imagesDesc} JPEGs ` +
      `(${lw}×${lh} → ${target.width}×${target.height}: ${processed.numPatches} patches, ${processed.tokens} visual tokens, ` +
      `${mb(processed.pixelValues.byteLength)} of float32 patches), --batch-size ${ONNX_BATCH}, --max-tokens ${ONNX_MAX_TOKENS}, ` +
      `--threads ${threads}; run took ${fmt(mixed.wallMs / 1000)} s, p50 ${fmt(during(mixed).p50, 1)} ms, ${during(mixed).count} samples.`,
    `onnx main-thread costs seen in that run: ${mixed.posts.count} postMessage calls to the model worker carried ${mb(mixed.posts.bytes)} of ` +
      `pixel arrays (${mixed.posts.transferred} in the transfer list, ${cloned} structured-cloned) and held the main thread ` +
      `${fmt(mixed.posts.totalMs, 0)} ms in all, ${fmt(mixed.posts.maxMs, 1)} ms at most; ${mixed.copies.count} Float32Array copies of ` +
      `1 MB or more (${mb(mixed.copies.bytes)}) took ${fmt(mixed.copies.totalMs, 0)} ms, ${fmt(mixed.copies.maxMs, 1)} ms at most; ` +
      `longest GC pause ${fmt(mixed.gc.maxMs, 1)} ms (${mixed.gc.count} pauses, ${fmt(mixed.gc.totalMs, 0)} ms). Timed alone here, ` +
      `best of 3, for one ${lw}×${lh} image: processImage ${fmt(tProcess, 0)} ms (of which the JS resizeBicubic ${fmt(tResize, 0)} ms ` +
      `and patchify ${fmt(tPatchify, 0)} ms run synchronously in whichever thread runs processImage), slice() of its pixel array ` +
      `${fmt(tCopy, 0)} ms, structuredClone ${fmt(tClone, 0)} ms: on an idle core a copy is cheap; under the model's load it is not.`,
  );
  report.env.onnx = {
    model: ONNX_MODEL, modelBytes: model.totalBytes, images: { small: n, sizes: ONNX_SMALL_SIZES, large: large.files.length, largeSize: ONNX_LARGE_SIZE },
    maxTokens: ONNX_MAX_TOKENS, threads, startupS: startup, engine: engine ?? null,
    eld: { mixed: { ...mixed, stderr: undefined }, small: { ...smallOnly, stderr: undefined }, transferred: moved ? { ...moved, stderr: undefined } : null },
    preprocessMs: { processImage: tProcess, resizeBicubic: tResize, patchify: tPatchify, slice: tCopy, structuredClone: tClone },
  };
}
