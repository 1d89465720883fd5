// Which flavour to speak to each endpoint when it is 'auto': probed on first
// use, shared by the requests waiting on it, and remembered.
import { t } from '../../i18n/index.js';
import { probeFlavor } from './detect-flavor.js';
import type { Endpoint } from './endpoint-pool.js';
import type { Flavor, ResolvedFlavor } from './flavors.js';
import { raceAbort } from './http.js';
import { oneLine } from './redact.js';

export interface FlavorResolverOptions {
  flavor: Flavor;
  model: string;
  timeoutMs: number;
  fetch: typeof fetch;
  headersFor: (ep: Endpoint) => Record<string, string>;
  /** Already redacted. */
  warn: (message: string) => void;
}

export class FlavorResolver {
  private readonly detected = new Map<Endpoint, ResolvedFlavor>();
  private readonly detecting = new Map<Endpoint, Promise<ResolvedFlavor>>();
  private readonly detectionWarned = new Set<Endpoint>();

  constructor(private readonly options: FlavorResolverOptions) {}

  /** The flavour to speak to `ep`; 'auto' is resolved on first use and remembered. */
  async flavorFor(ep: Endpoint, signal: AbortSignal): Promise<ResolvedFlavor> {
    if (this.options.flavor !== 'auto') return this.options.flavor;
    const known = this.detected.get(ep);
    if (known !== undefined) return known;
    let pending = this.detecting.get(ep);
    if (pending === undefined) {
      pending = this.detect(ep);
      this.detecting.set(ep, pending);
      const forget = (): void => void this.detecting.delete(ep);
      pending.then(forget, forget);
    }
    return raceAbort(pending, signal);
  }

  private async detect(ep: Endpoint): Promise<ResolvedFlavor> {
    // Shared by every request waiting on it, so no single caller's signal.
    const probe = await probeFlavor(ep.url, {
      fetch: this.options.fetch,
      headers: this.options.headersFor(ep),
      model: this.options.model,
      signal: new AbortController().signal,
      timeoutMs: this.options.timeoutMs,
    });
    if (probe.remember) this.detected.set(ep, probe.flavor);
    if (probe.problem !== undefined && !this.detectionWarned.has(ep)) {
      this.detectionWarned.add(ep);
      this.options.warn(t('server:flavor.unknown', { url: ep.label, problem: oneLine(probe.problem, 200) }));
    }
    return probe.flavor;
  }
}
