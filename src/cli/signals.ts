// SIGINT/SIGTERM for the commands that take time (catalog, the cache tools, report): the first
// signal stops taking work (`stop`), the second stops now (`abort`). The command turns either into
// exit 130. Until release(), the process does not die of the signal itself.

export interface Interrupts {
  /** Aborted by the first signal, with the signal's name as its reason. */
  stop: AbortSignal;
  /** Aborted by the second. */
  abort: AbortSignal;
  /** Stops listening; call it when the work is over. */
  release(): void;
}

export interface InterruptHandlers {
  /** Told of the first signal (say what happens now). */
  first?(signal: NodeJS.Signals): void;
  /** Told of the second; by default it only aborts `abort`. */
  second?(signal: NodeJS.Signals): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function trapInterrupts(handlers: InterruptHandlers = {}): Interrupts {
  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      handlers.first?.(signal);
      stop.abort(signal);
    } else {
      abort.abort(signal);
      handlers.second?.(signal);
    }
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    stop: stop.signal,
    abort: abort.signal,
    release: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}
