// One HTTP exchange under a per-attempt time limit and the caller's signal.

/** Thrown when an exchange outlives its time limit (headers and body both count). */
export class AttemptTimeout extends Error {
  override name = 'AttemptTimeout';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export interface FetchedText {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Fetches and reads the whole body. Rejects with the caller's abort reason as
 * soon as `signal` aborts (even if the fetch implementation ignores signals),
 * with AttemptTimeout after `timeoutMs`, else with whatever fetch threw.
 */
export async function fetchText(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<FetchedText> {
  signal.throwIfAborted();
  const controller = new AbortController();
  const onCallerAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new AttemptTimeout(timeoutMs)), timeoutMs);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as unknown), { once: true });
  });
  aborted.catch(() => undefined);
  const exchange = (async (): Promise<FetchedText> => {
    const response = await fetchFn(url, { ...init, signal: controller.signal });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  })();
  // The loser of the race below must not surface as an unhandled rejection.
  exchange.catch(() => undefined);
  try {
    return await Promise.race([exchange, aborted]);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (controller.signal.reason instanceof AttemptTimeout) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onCallerAbort);
  }
}

/** The default clock: resolves after `ms`, rejects with the abort reason on abort. */
export function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles like `promise`, or rejects with the abort reason as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as unknown);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
