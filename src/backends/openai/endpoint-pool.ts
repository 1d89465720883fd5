// Spreads requests over endpoints and sets aside the ones that stop answering.

import { t } from '../../i18n/index.js';
import { timeText } from '../../i18n/units.js';
import { reasonText } from './reason-text.js';

export const FAILURES_BEFORE_COOLDOWN = 3;
export const COOLDOWN_START_MS = 5_000;
export const COOLDOWN_MAX_MS = 60_000;

export interface Endpoint {
  /** Base URL used for requests. */
  readonly url: string;
  /** Base URL as shown to users. */
  readonly label: string;
  inFlight: number;
  /** Connection-level failures in a row (refused, reset, timeout). */
  failures: number;
  cooldownUntil: number;
  nextCooldownMs: number;
  /** Whether it ever answered with HTTP in this run. */
  reached: boolean;
  /** What the last connection-level failure was, e.g. "connection refused". */
  problem: string | undefined;
  /** Whether it is currently considered down (for one warning per change). */
  down: boolean;
  /** The requests whose failures make up the current streak. */
  streak: Set<object>;
  /** Whether every failure in the streak was a timeout. */
  streakTimeoutsOnly: boolean;
}

/** How an attempt went, as far as endpoint health is concerned. */
export type Outcome = { reached: true } | { reached: false; problem: string; timeout: boolean } | 'unknown';

export interface PoolOptions {
  now: () => number;
  warn: (message: string) => void;
}

export class EndpointPool {
  readonly endpoints: readonly Endpoint[];
  private cursor = 0;

  constructor(
    endpoints: readonly { url: string; label: string }[],
    private readonly options: PoolOptions,
  ) {
    this.endpoints = endpoints.map(({ url, label }) => ({
      url,
      label,
      inFlight: 0,
      failures: 0,
      cooldownUntil: 0,
      nextCooldownMs: COOLDOWN_START_MS,
      reached: false,
      problem: undefined,
      down: false,
      streak: new Set(),
      streakTimeoutsOnly: true,
    }));
  }

  /**
   * Picks the live endpoint with the fewest requests in flight (ties go round
   * robin), preferring any other than `avoid`. When all are set aside, the one
   * whose cooldown ends first (other than `avoid`) gets the request as a probe.
   */
  acquire(avoid?: Endpoint): Endpoint {
    const now = this.options.now();
    const live = this.endpoints.filter((ep) => this.isAvailable(ep, now));
    const chosen =
      live.length > 0
        ? this.leastBusy(preferOthers(live, avoid))
        : preferOthers(this.endpoints, avoid).reduce((best, ep) => (ep.cooldownUntil < best.cooldownUntil ? ep : best));
    chosen.inFlight++;
    return chosen;
  }

  /**
   * As acquire, among the live endpoints that `admits` (--concurrency auto); undefined when
   * some are live and none has room. When all are set aside, acquire's probe goes out.
   */
  acquireIf(admits: (ep: Endpoint) => boolean, avoid?: Endpoint): Endpoint | undefined {
    const now = this.options.now();
    const live = this.endpoints.filter((ep) => this.isAvailable(ep, now));
    if (live.length === 0) return this.acquire(avoid);
    const open = live.filter(admits);
    if (open.length === 0) return undefined;
    const chosen = this.leastBusy(preferOthers(open, avoid));
    chosen.inFlight++;
    return chosen;
  }

  /** Records how an attempt by `request` (any object identifying it) went. */
  release(ep: Endpoint, outcome: Outcome, request: object): void {
    ep.inFlight = Math.max(0, ep.inFlight - 1);
    if (outcome === 'unknown') return;
    if (outcome.reached) {
      ep.reached = true;
      ep.failures = 0;
      ep.cooldownUntil = 0;
      ep.nextCooldownMs = COOLDOWN_START_MS;
      ep.problem = undefined;
      ep.streak.clear();
      ep.streakTimeoutsOnly = true;
      if (ep.down) {
        ep.down = false;
        this.options.warn(t('server:pool.back', { url: ep.label }));
      }
      return;
    }
    ep.failures++;
    ep.problem = outcome.problem;
    ep.streak.add(request);
    if (!outcome.timeout) ep.streakTimeoutsOnly = false;
    const now = this.options.now();
    if (ep.failures >= FAILURES_BEFORE_COOLDOWN && now >= ep.cooldownUntil) {
      const cooldown = ep.nextCooldownMs;
      ep.cooldownUntil = now + cooldown;
      ep.nextCooldownMs = Math.min(cooldown * 2, COOLDOWN_MAX_MS);
      if (!ep.down) {
        ep.down = true;
        const values = { url: ep.label, time: timeText(cooldown), count: ep.failures, problem: reasonText(outcome.problem) };
        this.options.warn(this.endpoints.length > 1 ? t('server:pool.aside_others', values) : t('server:pool.aside', values));
      }
    }
  }

  /**
   * True when no endpoint is known to answer: each is set aside or has failed
   * and never answered. Timeouts that only `request` met do not count: that
   * one file may be what is slow, and it must not stop the whole run.
   */
  allDown(request: object): boolean {
    return this.endpoints.every((ep) => {
      const down = ep.failures >= FAILURES_BEFORE_COOLDOWN || (ep.failures > 0 && !ep.reached);
      const onlyThisFileTimedOut = ep.streakTimeoutsOnly && ep.streak.size === 1 && ep.streak.has(request);
      return down && !onlyThisFileTimedOut;
    });
  }

  /** "http://a/v1 (connection refused), http://b/v1 (no answer within 60 s)", in the reader's language. */
  describe(): string {
    return this.endpoints.map((ep) => t('server:unreachable.endpoint', { url: ep.label, problem: reasonText(ep.problem ?? 'unreachable') })).join(t('cli:list.names'));
  }

  /** What a person checks next when none answers: the servers, then doctor on each. */
  nextStep(): string {
    const labels = this.endpoints.map((ep) => ep.label);
    const flags = labels.map((l) => `--endpoint ${l}`).join(' ');
    return labels.length === 1 ? t('ask:unreachable.nextOne', { url: labels[0], flags }) : t('ask:unreachable.nextMany', { urls: labels.join(t('cli:list.names')), flags });
  }

  private isAvailable(ep: Endpoint, now: number): boolean {
    if (now < ep.cooldownUntil) return false;
    // After a cooldown, one probe at a time until it answers again.
    return !(ep.failures >= FAILURES_BEFORE_COOLDOWN && ep.inFlight > 0);
  }

  private leastBusy(candidates: readonly Endpoint[]): Endpoint {
    const n = this.endpoints.length;
    let best: Endpoint | undefined;
    let bestIndex = 0;
    for (let i = 0; i < n; i++) {
      const index = (this.cursor + i) % n;
      const ep = this.endpoints[index];
      if (ep === undefined || !candidates.includes(ep)) continue;
      if (best === undefined || ep.inFlight < best.inFlight) {
        best = ep;
        bestIndex = index;
      }
    }
    if (best === undefined) throw new Error('endpoint pool: no candidates');
    this.cursor = (bestIndex + 1) % n;
    return best;
  }
}

function preferOthers(endpoints: readonly Endpoint[], avoid: Endpoint | undefined): readonly Endpoint[] {
  const others = endpoints.filter((ep) => ep !== avoid);
  return others.length > 0 ? others : endpoints;
}
