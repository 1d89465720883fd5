// A clock and timers that move only when a test says so, for code that takes
// `now` and `setTimeout`/`clearTimeout` as parameters.

interface Timer {
  at: number;
  callback: () => void;
}

export class FakeClock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  /** Milliseconds since the clock was made. */
  readonly now = (): number => this.time;

  readonly setTimeout = (callback: () => void, ms: number): number => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    if (typeof handle === 'number') this.timers.delete(handle);
  };

  /** When each pending timer is due, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, firing each timer that falls due, in order, at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, Timer] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

/** Resolves once every queued microtask (and promise reaction they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
