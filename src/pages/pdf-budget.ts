// What each PDF rendering thread may use: its share of --render-memory (split
// between PDFium's WASM heap and the thread's V8 heap), the CPU and stall
// limits of one request, and the words for a request that went over one.
import { DEFAULT_RENDER_CPU_LIMIT_S, DEFAULT_RENDER_MEMORY_MB, MIN_THREAD_MEMORY_MB } from '../config/constants.js';

export interface RenderLimits {
  /** Memory for all rendering threads together, in MB (--render-memory). */
  memoryMb: number;
  /** CPU seconds one request (opening a PDF, rendering a page) may use (--render-cpu-limit). */
  cpuSeconds: number;
}

export interface RenderBudget {
  limits: RenderLimits;
  /** How many threads the memory allows, at most the size asked for. */
  threads: number;
  /** Each thread's share of the memory, in MB. */
  capMb: number;
}

/** Of a thread's share, the V8 heap's part: the rest is PDFium's. */
const V8_SHARE = 0.25;
const MIN_V8_HEAP_MB = 48;

/** A backstop for a request that waits on something that never comes: far past any CPU limit, so load alone never reaches it. */
const STALL_MIN_S = 300;
const STALL_FACTOR = 10;

/** `limits` as a number: the CPU limit in ms, as the pool's argument was before there was a memory limit. */
export function renderBudget(size: number, limits: Partial<RenderLimits> | number): RenderBudget {
  const given = typeof limits === 'number' ? { cpuSeconds: limits / 1000 } : limits;
  const resolved = { memoryMb: given.memoryMb ?? DEFAULT_RENDER_MEMORY_MB, cpuSeconds: given.cpuSeconds ?? DEFAULT_RENDER_CPU_LIMIT_S };
  const threads = Math.max(1, Math.min(size, Math.floor(resolved.memoryMb / MIN_THREAD_MEMORY_MB)));
  return { limits: resolved, threads, capMb: Math.floor(resolved.memoryMb / threads) };
}

/** A thread's share split between its V8 heap (worker resourceLimits) and PDFium's WASM heap. */
export function threadHeaps(capMb: number): { v8Mb: number; wasmMemoryMb: number } {
  const v8Mb = Math.max(MIN_V8_HEAP_MB, Math.floor(capMb * V8_SHARE));
  return { v8Mb, wasmMemoryMb: capMb - v8Mb };
}

/** Wall seconds after which a request that has not used up its CPU is taken for hung (waiting on nothing). */
export function stallSeconds(limits: RenderLimits): number {
  return Math.max(STALL_MIN_S, STALL_FACTOR * limits.cpuSeconds);
}

/** A DocumentLimit's message: `what` ('page 3', 'opening the PDF') went over `limit`. */
export function limitMessage(budget: RenderBudget, what: string, limit: 'cpu' | 'memory' | 'stall', cpuClock: boolean): string {
  const { limits: { memoryMb, cpuSeconds }, capMb, threads } = budget;
  const page = what.startsWith('page');
  return limit === 'stall'
    ? `${what} was not done after ${stallSeconds(budget.limits)} s and is taken for hung (it used less than its --render-cpu-limit ${cpuSeconds} s of CPU)`
    : limit === 'cpu'
    ? `${what} used more than ${cpuSeconds} s of CPU${page ? ' rendering' : ''} (--render-cpu-limit ${cpuSeconds})` +
      (cpuClock ? '' : '; wall time counted: no CPU clock for threads here')
    : `${what} needed more than ${capMb} MB${page ? ' to render' : ''} (--render-memory ${memoryMb} gives ` +
      `${threads === 1 ? 'its one thread' : `each of ${threads} threads`} ${capMb} MB)`;
}
