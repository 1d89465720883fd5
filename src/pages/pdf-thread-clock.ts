// The pool's side of a rendering thread's shared clock (see CLOCK): how much
// the request whose PDF work runs there now has used.
import { CLOCK_TICKS_PER_SECOND, threadCpuTicks } from '../support/worker-threads.js';
import { CLOCK } from './pdf-protocol.js';

export interface ClockReading {
  request: number;
  /** Seconds of the thread's CPU (wall seconds where there is no CPU clock). */
  seconds: number;
  /** Wall seconds since the request's turn began. */
  wall: number;
}

/** Undefined when no request's PDF work is running, or another's turn began while reading. */
export function readClock(clock: Int32Array, epochMs: number): ClockReading | undefined {
  const request = Atomics.load(clock, CLOCK.request);
  if (request < 0) return undefined;
  const ticks = threadCpuTicks(Atomics.load(clock, CLOCK.tid));
  const wall = (Date.now() - epochMs - Atomics.load(clock, CLOCK.startWallMs)) / 1000;
  const seconds = ticks !== undefined ? (ticks - Atomics.load(clock, CLOCK.startTicks)) / CLOCK_TICKS_PER_SECOND : wall;
  // Another request's turn began meanwhile: its start was not the one read.
  return Atomics.load(clock, CLOCK.request) === request ? { request, seconds, wall } : undefined;
}

/** Whether the thread has a CPU clock the pool can read (else wall time is counted). */
export function hasCpuClock(clock: Int32Array): boolean {
  return threadCpuTicks(Atomics.load(clock, CLOCK.tid)) !== undefined;
}
