// libvips keeps one error buffer for the whole process; sharp reads it after an
// operation fails and clears it after every operation. So when decodes run side
// by side, a failure's text can be a neighbour's, a mix of both, or gone
// ("Unknown error"). Every sharp operation on this thread goes through here; a
// failed one is run again alone, with nothing else in flight, and that run's
// error is the one reported. Success or failure itself never crosses over, so
// only failures pay for the second run.

let running = 0;
let alone = false;
/** Operations waiting to run alone, first come first served. */
const queue: symbol[] = [];
let wake: (() => void) | undefined;
let changed = new Promise<void>((resolve) => (wake = resolve));

function notify(): void {
  const resolve = wake;
  changed = new Promise<void>((r) => (wake = r));
  resolve?.();
}

async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await changed;
}

/** Runs a sharp operation beside others (it waits while one runs alone). */
export async function shared<T>(op: () => Promise<T>): Promise<T> {
  await until(() => !alone && queue.length === 0);
  running++;
  try {
    return await op();
  } finally {
    running--;
    notify();
  }
}

/** Runs a sharp operation with no other sharp operation of this thread in flight. */
export async function exclusive<T>(op: () => Promise<T>): Promise<T> {
  const ticket = Symbol('alone');
  queue.push(ticket);
  await until(() => !alone && running === 0 && queue[0] === ticket);
  alone = true;
  try {
    return await op();
  } finally {
    alone = false;
    queue.shift();
    notify();
  }
}

/**
 * Runs a decode; if it fails, runs it again alone and reports that run. `op`
 * must build a fresh pipeline each call. `garbled` spots an error whose text
 * was still lost (a sharp call on another thread can clear the buffer), which
 * gets one more lone try.
 */
export async function decodeOwnError<T>(op: () => Promise<T>, garbled: (error: unknown) => boolean): Promise<T> {
  try {
    return await shared(op);
  } catch {
    // Fall through: this failure's text may be another decode's.
  }
  try {
    return await exclusive(op);
  } catch (error) {
    if (!garbled(error)) throw error;
    return exclusive(op);
  }
}
