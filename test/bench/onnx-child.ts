// A child process for the onnx section, so what it measures runs in a fresh
// process with nothing else on its event loop. Three modes; each prints one
// JSON line on stdout.
//
//   catalog: `glm-vision catalog ...` run in this process (main() from
//     dist/cli/main.js, the code bin/glm-vision.js runs) with the event-loop
//     delay monitor on. Also reports what crossed to the model worker (message
//     sizes, how long each postMessage held the main thread), the longest GC
//     pause, and the batch sizes as seen from the main thread.
//   peer: transformers.js on the same model and images, one image at a time
//     (test/helpers/transformers-peer.ts), timed after loading and one warm-up.
//   engine: the model alone (Engine from dist/backends/onnx/engine.js, no CLI,
//     no worker): the same jobs at each batch size, with the time split
//     between the vision encoder, prompt prefill and decode steps.
//
//   node --import tsx test/bench/onnx-child.ts '<json ChildInput>'
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as EngineModule from '../../src/backends/onnx/engine.js';
import type * as ImageModule from '../../src/backends/onnx/image-processor.js';
import type * as MainModule from '../../src/cli/main.js';
import type * as ModelDirModule from '../../src/models/model-dir.js';
import type * as TextModule from '../../src/backends/onnx/text.js';
import { ROOT } from '../helpers/cli.js';

export interface CatalogInput {
  mode: 'catalog';
  /** Everything after `glm-vision`. */
  args: string[];
  /** monitorEventLoopDelay resolution in ms (default 5). */
  resolutionMs?: number;
}

export interface EngineInput {
  mode: 'engine';
  model: string;
  images: string[];
  prompt: string;
  maxTokens: number;
  threads: number;
  batchSizes: number[];
}

/** transformers.js on the same model and images: its own processing and greedy generate(), one image at a time. */
export interface PeerInput {
  mode: 'peer';
  model: string;
  family: 'qwen2_vl' | 'glm';
  images: string[];
  prompt: string;
  maxTokens: number;
  threads: number;
}

export interface PeerResult {
  /** Processor and model loaded. */
  loadMs: number;
  /** The images, after loading (one warm-up image excluded). */
  wallMs: number;
  tokensOut: number[];
}

export type ChildInput = CatalogInput | EngineInput | PeerInput;

export interface CatalogResult {
  code: number;
  wallMs: number;
  /**
   * Event-loop delay in ms as the histogram records it: each sample is the
   * whole timer interval, so min ≈ the resolution and max is the worst gap
   * between two turns of the loop.
   */
  eld: { resolutionMs: number; min: number; p50: number; p99: number; max: number; mean: number; count: number };
  /** 'infer' messages to the model worker: how many, and how long each postMessage held the main thread. */
  posts: { count: number } & Timing;
  /** The main thread over the whole run: time on a CPU and time runnable but waiting for one (Linux schedstat). */
  mainThread?: { onCpuMs: number; runqueueMs: number };
  /** The same histogram from the first job posted to the model worker to the end of the run: the delay while the model runs. */
  eldModel?: { p50: number; p99: number; max: number; count: number };
  /** ms from the start of main() to the first job posted to the model worker, and to the last result back. */
  firstPostMs?: number;
  lastResultMs?: number;
  /**
   * The longest gaps between turns of a 5 ms timer chain: when each started
   * (ms from the start of main()), and how much of it the main thread spent
   * on a CPU (running JS or native code) and runnable but waiting for a CPU
   * (Linux schedstat; undefined elsewhere), and how much of it GC pauses
   * overlapped (a pause can be off-CPU: the main thread waits for V8's GC
   * helper threads, which wait for a CPU).
   */
  stalls: { atMs: number; ms: number; onCpuMs?: number; runqueueMs?: number; gcMs: number }[];
  /** Longest and total GC pause on the main thread, ms. */
  gc: { maxMs: number; totalMs: number; count: number };
  /** Batch sizes as seen from the main thread: results that arrive within 25 ms of the previous one count as one batch. */
  batches: number[];
  stderr: string;
}

/**
 * Total and longest time of a kind of call; for the longest, how much of it
 * the thread spent on a CPU and how much runnable but waiting for one
 * (/proc/thread-self/schedstat; undefined where that is missing).
 */
export interface Timing {
  totalMs: number;
  maxMs: number;
  maxOnCpuMs?: number;
  maxRunqueueMs?: number;
}

export interface StageTime {
  runs: number;
  ms: number;
}

export interface EngineBatchResult {
  batchSize: number;
  wallMs: number;
  /** session.run() time by stage; prefill is the decoder's first call per batch, decode the rest. */
  stages: { vision: StageTime; embed: StageTime; prefill: StageTime; decode: StageTime };
  /** Everything else in generate(): sampling, tensor building, KV bookkeeping (wall minus run() time). */
  otherMs: number;
  tokensIn: number[];
  tokensOut: number[];
}

export interface EngineResult {
  loadMs: number;
  batches: EngineBatchResult[];
  /** Rows whose generated token ids are the same at every batch size. */
  identical: number;
  rows: number;
}

const BATCH_GAP_MS = 25;
/** A gap in the timer chain longer than this is listed as a stall. */
const STALL_MS = 20;

/** This thread's [ns on a CPU, ns runnable but waiting for a CPU], or undefined off Linux. */
function schedstat(): [number, number] | undefined {
  try {
    const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return cpu === undefined || wait === undefined || !Number.isFinite(cpu) || !Number.isFinite(wait) ? undefined : [cpu, wait];
  } catch {
    return undefined;
  }
}

function distUrl(...parts: string[]): string {
  return pathToFileURL(path.join(ROOT, 'dist', ...parts)).href;
}

async function catalog(input: CatalogInput): Promise<CatalogResult> {
  const posts: CatalogResult['posts'] = { count: 0, totalMs: 0, maxMs: 0 };
  /** Runs fn, adding its wall time (and, for the longest, its schedstat split) to t. */
  const timed = <T>(t: Timing, fn: () => T): T => {
    const s0 = schedstat();
    const p0 = performance.now();
    const out = fn();
    const ms = performance.now() - p0;
    const s1 = schedstat();
    t.totalMs += ms;
    if (ms > t.maxMs) {
      t.maxMs = ms;
      t.maxOnCpuMs = s0 && s1 ? (s1[0] - s0[0]) / 1e6 : undefined;
      t.maxRunqueueMs = s0 && s1 ? (s1[1] - s0[1]) / 1e6 : undefined;
    }
    return out;
  };
  const resolutionMs = input.resolutionMs ?? 5;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  const hModel = monitorEventLoopDelay({ resolution: resolutionMs });
  let t0 = performance.now();
  let firstPostMs: number | undefined;
  const resultTimes: number[] = [];
  // Instrument the worker boundary: the backend's workers are this class.
  const proto = Worker.prototype as unknown as {
    postMessage: (this: Worker, message: unknown, transfer?: unknown) => void;
    emit: (this: Worker, event: string | symbol, ...args: unknown[]) => boolean;
  };
  const post = proto.postMessage;
  proto.postMessage = function (this: Worker, message: unknown, transfer?: unknown): void {
    if ((message as { type?: string } | undefined)?.type !== 'infer') return post.call(this, message, transfer);
    if (posts.count === 0) {
      firstPostMs = performance.now() - t0;
      hModel.enable();
    }
    posts.count++;
    timed(posts, () => post.call(this, message, transfer));
  };
  const emit = proto.emit;
  proto.emit = function (this: Worker, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && (args[0] as { type?: string } | undefined)?.type === 'result') resultTimes.push(performance.now() - t0);
    return emit.call(this, event, ...args);
  };
  const gc = { maxMs: 0, totalMs: 0, count: 0 };
  const gcPauses: [number, number][] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcPauses.push([e.startTime, e.startTime + e.duration]);
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });

  const { main } = (await import(distUrl('cli', 'main.js'))) as typeof MainModule;
  let stderr = '';
  const sink = (collect: boolean): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback): void {
        if (collect && stderr.length < 20_000) stderr += chunk.toString();
        callback();
      },
    });

  gcObserver.observe({ entryTypes: ['gc'] });
  const sched0 = schedstat();
  t0 = performance.now();
  h.enable();
  // A timer chain that notes when and for how long the loop stalled.
  const stalls: CatalogResult['stalls'] = [];
  let tick = performance.now();
  let tickSched = schedstat();
  let stop = false;
  const chain = (): void => {
    const now = performance.now();
    const sched = schedstat();
    if (now - tick > STALL_MS) {
      const split = sched && tickSched ? { onCpuMs: (sched[0] - tickSched[0]) / 1e6, runqueueMs: (sched[1] - tickSched[1]) / 1e6 } : {};
      stalls.push({ atMs: tick - t0, ms: now - tick, ...split, gcMs: 0 });
    }
    tick = now;
    tickSched = sched;
    if (!stop) setTimeout(chain, resolutionMs).unref();
  };
  setTimeout(chain, resolutionMs).unref();
  let code: number;
  try {
    code = await main(input.args, { stdin: Readable.from([]), stdout: sink(false), stderr: sink(true), env: process.env, cwd: process.cwd() });
  } finally {
    h.disable();
    hModel.disable();
    stop = true;
    gcObserver.disconnect();
  }
  const wallMs = performance.now() - t0;
  const sched1 = schedstat();
  const ms = (ns: number): number => ns / 1e6;

  // A batch's results are posted together; batches are far longer apart than BATCH_GAP_MS.
  const batches: number[] = [];
  let last = -Infinity;
  for (const t of resultTimes) {
    if (t - last > BATCH_GAP_MS) batches.push(1);
    else batches[batches.length - 1] = (batches[batches.length - 1] as number) + 1;
    last = t;
  }
  return {
    code, wallMs,
    eld: {
      resolutionMs, min: ms(h.min), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean),
      count: h.count,
    },
    eldModel: firstPostMs === undefined
      ? undefined
      : { p50: ms(hModel.percentile(50)), p99: ms(hModel.percentile(99)), max: ms(hModel.max), count: hModel.count },
    firstPostMs, lastResultMs: resultTimes[resultTimes.length - 1],
    stalls: stalls
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10)
      .map((x) => {
        const [from, to] = [t0 + x.atMs, t0 + x.atMs + x.ms];
        const gcMs = gcPauses.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
        return { ...x, gcMs };
      }),
    posts, gc, batches, stderr,
    mainThread: sched0 && sched1 ? { onCpuMs: ms(sched1[0] - sched0[0]), runqueueMs: ms(sched1[1] - sched0[1]) } : undefined,
  };
}

type Session = { run: (feeds: Record<string, { dims: readonly number[] }>) => Promise<unknown> };

async function engine(input: EngineInput): Promise<EngineResult> {
  const { Engine } = (await import(distUrl('backends', 'onnx', 'engine.js'))) as typeof EngineModule;
  const { processImage, visionConfigFrom } = (await import(distUrl('backends', 'onnx', 'image-processor.js'))) as typeof ImageModule;
  const { loadModelDir } = (await import(distUrl('models', 'model-dir.js'))) as typeof ModelDirModule;
  const { TextCodec } = (await import(distUrl('backends', 'onnx', 'text.js'))) as typeof TextModule;
  const model = loadModelDir(input.model, 'fp32');
  const cfg = visionConfigFrom(model.preprocessorConfig, model.family, model.preprocessorFile);
  const t0 = performance.now();
  const eng = await Engine.load({ dir: input.model, dtype: 'fp32', device: 'cpu', threads: input.threads || os.availableParallelism() }, () => {});
  const loadMs = performance.now() - t0;
  const codec = await TextCodec.load(input.model, { imageTokenId: model.ids.image, family: model.family });
  const promptIds = codec.promptIds(undefined, input.prompt);

  const jobs: EngineModule.EngineJob[] = [];
  for (const file of input.images) {
    const image = await processImage(await readFile(file), cfg, { maxInputPixels: 1e9 });
    jobs.push({
      pixelValues: image.pixelValues, grid: image.grid, tokens: image.tokens, promptIds, maxTokens: input.maxTokens,
      sampling: { temperature: 0, topP: 1, topK: 0 }, seed: 0,
    });
  }

  // Time every session.run() by stage (the sessions are private fields of Engine).
  type Stage = keyof EngineBatchResult['stages'];
  let stages: Record<Stage, StageTime> = { vision: { runs: 0, ms: 0 }, embed: { runs: 0, ms: 0 }, prefill: { runs: 0, ms: 0 }, decode: { runs: 0, ms: 0 } };
  const sessions = eng as unknown as Record<string, Session | undefined>;
  for (const name of ['vision', 'embed', 'decoder']) {
    const session = sessions[name];
    if (!session || typeof session.run !== 'function') continue;
    const run = session.run.bind(session);
    session.run = async (feeds): Promise<unknown> => {
      const s0 = performance.now();
      const out = await run(feeds);
      const stage: Stage = name === 'decoder' ? ((feeds.inputs_embeds?.dims[1] ?? 1) > 1 ? 'prefill' : 'decode') : (name as Stage);
      stages[stage].runs++;
      stages[stage].ms += performance.now() - s0;
      return out;
    };
  }

  // Warm-up: the first run of a session allocates its arenas.
  await eng.generate([eng.prepare(jobs[0] as EngineModule.EngineJob)]);

  const batches: EngineBatchResult[] = [];
  const ids: string[][] = [];
  for (const batchSize of input.batchSizes) {
    // Like the worker's batcher: same-shape rows together, so batches need no padding.
    const rows = jobs.map((j) => eng.prepare(j));
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => groups.set(r.key, [...(groups.get(r.key) ?? []), i]));
    const order = [...groups.values()].flat();
    stages = { vision: { runs: 0, ms: 0 }, embed: { runs: 0, ms: 0 }, prefill: { runs: 0, ms: 0 }, decode: { runs: 0, ms: 0 } };
    const outputs: EngineModule.EngineOutput[] = new Array<EngineModule.EngineOutput>(rows.length);
    const b0 = performance.now();
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.slice(i, i + batchSize);
      const out = await eng.generate(idx.map((k) => rows[k] as EngineModule.EngineRow));
      idx.forEach((k, j) => (outputs[k] = out[j] as EngineModule.EngineOutput));
    }
    const wallMs = performance.now() - b0;
    const runMs = Object.values(stages).reduce((s, x) => s + x.ms, 0);
    batches.push({
      batchSize, wallMs, stages, otherMs: wallMs - runMs,
      tokensIn: outputs.map((o) => o.tokensIn), tokensOut: outputs.map((o) => o.tokensOut),
    });
    ids.push(outputs.map((o) => o.ids.join(',')));
  }
  const first = ids[0] ?? [];
  const identical = first.filter((v, i) => ids.every((run) => run[i] === v)).length;
  return { loadMs, batches, identical, rows: jobs.length };
}

async function peer(input: PeerInput): Promise<PeerResult> {
  const { Peer } = await import('../helpers/transformers-peer.js');
  const t0 = performance.now();
  const p = await Peer.load(input.model, input.family, input.threads || os.availableParallelism());
  const loadMs = performance.now() - t0;
  // Warm-up, as the engine mode has: the first run of a session allocates its arenas.
  await p.answer(input.images[0] as string, input.prompt, input.maxTokens);
  const tokensOut: number[] = [];
  const b0 = performance.now();
  for (const file of input.images) tokensOut.push((await p.answer(file, input.prompt, input.maxTokens)).length);
  return { loadMs, wallMs: performance.now() - b0, tokensOut };
}

const raw = process.argv[2];
if (!raw) {
  process.stderr.write("usage: node --import tsx test/bench/onnx-child.ts '<json>'\n");
  process.exit(2);
}
const input = JSON.parse(raw) as ChildInput;
(input.mode === 'engine' ? engine(input) : input.mode === 'peer' ? peer(input) : catalog(input)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // Exit at once: ORT's thread pool or a worker must not keep the child alive.
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
