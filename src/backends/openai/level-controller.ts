// How many requests one endpoint gets at once under --concurrency auto. Pure: the caller
// reports what happened and when, and asks what is allowed; there are no timers here.
//
// Without server metrics (throughput): the level doubles each round (a round is `level`
// answers) while answers per second keep rising by RISE, then holds where they stopped
// rising; every HOLD_ROUNDS rounds it tries a quarter more and keeps it only if the rate
// rose. A round's rate is Σ(in flight when sent) / Σ(time to answer) over its answers
// (Little's law, answer by answer), once the first `level` answers at a new level have
// passed: counting answers per second instead is thrown off by servers that finish a whole
// batch in the same step, and the burst that fills a new level meets a queue still forming. With metrics (vLLM, SGLang): each sample sets the level so that about `queue` =
// max(MIN_QUEUE, running / 8) requests wait on the server: its batch never runs dry, and
// never floods. Until the server has been seen full, the level doubles per sample while the
// server runs everything it gets.
// Either way, a 429, 503 or timeout sets a ceiling just below the number in flight when that
// request left; the ceiling rises by a quarter after CEILING_QUIET_MS without another, and a
// Retry-After stops new requests to this endpoint until it has passed.

export const DEFAULT_INITIAL_LEVEL = 8;
export { DEFAULT_MAX_CONCURRENCY as DEFAULT_MAX_LEVEL } from '../../config/constants.js';
export const MIN_QUEUE = 4;
export const RISE = 1.15;
export const HOLD_ROUNDS = 8;
export const MIN_ROUND = 16;
export const CEILING_QUIET_MS = 30_000;

export interface LevelOptions {
  /** The level a run starts at. */
  initial: number;
  /** --max-concurrency: the level never goes above it. */
  max: number;
  /** How long without a rejection before the ceiling a rejection set is raised. */
  ceilingQuietMs?: number;
}

/** What a server's /metrics says: requests in its batch, and waiting for a place in it. */
export interface ServerLoad {
  running: number;
  waiting: number;
}

/** One request, as its answer came back. */
export interface Answered {
  /** When it left. */
  sentAt: number;
  /** Requests in flight to this endpoint when it left, itself included. */
  inFlightAtSend: number;
}

export interface Rejection {
  /** Requests in flight to this endpoint when it left, itself included. */
  inFlightAtSend: number;
  /** The server's Retry-After, in ms. */
  retryAfterMs?: number;
}

interface Round {
  /** Answers to requests sent before this are the last level's. */
  since: number;
  /** Answers still to pass over: the burst that filled the new level saw a queue still forming. */
  skip: number;
  level: number;
  answers: number;
  /** Σ in flight at send, Σ ms to answer. */
  inFlight: number;
  waited: number;
  /** Whether the level was ever full during the round: a rate says nothing about a level not used. */
  full: boolean;
}

export class LevelController {
  level: number;
  peak: number;
  /** Where the level comes from: the server's queue (metrics) or answers per second. */
  source: 'metrics' | 'throughput' = 'throughput';
  /** No new request before this (Retry-After). */
  pausedUntil = 0;
  /** Just below the number in flight that a server refused; Infinity until one did. */
  ceiling = Number.POSITIVE_INFINITY;
  private ceilingSince = 0;
  private readonly max: number;
  private readonly quietMs: number;
  private phase: 'ramp' | 'hold' = 'ramp';
  private round: Round;
  private lastRate = 0;
  private holdRounds = 0;
  /** The level before an upward probe, to go back to if the rate did not rise. */
  private probeFrom: number | undefined;
  /** Requests the server runs at once, once it has been seen with a queue. */
  private capacity: number | undefined;

  constructor(options: LevelOptions) {
    this.max = Math.max(1, options.max);
    this.quietMs = options.ceilingQuietMs ?? CEILING_QUIET_MS;
    this.level = Math.max(1, Math.min(options.initial, this.max));
    this.peak = this.level;
    this.round = { since: 0, skip: this.level, level: this.level, answers: 0, inFlight: 0, waited: 0, full: false };
  }

  /** Whether one more request may leave now, with `inFlight` already on their way. */
  admits(now: number, inFlight: number): boolean {
    this.liftCeiling(now);
    return now >= this.pausedUntil && inFlight < this.level;
  }

  /** A request left; `inFlight` counts it. */
  sent(inFlight: number): void {
    if (inFlight >= this.level) this.round.full = true;
  }

  /** An answer came back (any answer the server gave, other than a refusal). */
  completed(now: number, a: Answered): void {
    this.liftCeiling(now);
    if (this.source === 'metrics') return;
    const round = this.round;
    if (a.sentAt < round.since) return;
    if (round.skip > 0) {
      round.skip--;
      return;
    }
    round.answers++;
    round.inFlight += a.inFlightAtSend;
    round.waited += Math.max(0, now - a.sentAt);
    if (round.answers < Math.max(MIN_ROUND, round.level) || round.waited <= 0) return;
    const rate = round.inFlight / round.waited;
    if (!round.full) {
      // The client did not fill the level: nothing learnt about the server.
      this.newRound(now);
      return;
    }
    if (this.phase === 'ramp') {
      if (this.lastRate === 0 || rate > this.lastRate * RISE) {
        this.lastRate = rate;
        this.setLevel(this.level * 2);
        if (this.level === round.level) this.phase = 'hold';
      } else {
        this.phase = 'hold';
        this.lastRate = Math.max(rate, this.lastRate);
      }
    } else if (this.probeFrom !== undefined) {
      if (rate > this.lastRate * RISE) this.lastRate = rate;
      else this.setLevel(this.probeFrom);
      this.probeFrom = undefined;
    } else if (++this.holdRounds >= HOLD_ROUNDS) {
      this.holdRounds = 0;
      this.lastRate = rate;
      const from = this.level;
      this.setLevel(from + Math.max(1, Math.floor(from / 4)));
      if (this.level > from) this.probeFrom = from;
    }
    this.newRound(now);
  }

  /** The server refused a request (429, 503) or it timed out. */
  rejected(now: number, r: Rejection): void {
    this.ceiling = Math.min(this.ceiling, Math.max(1, r.inFlightAtSend - 1));
    this.ceilingSince = now;
    if (r.retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + r.retryAfterMs);
    this.phase = 'hold';
    this.probeFrom = undefined;
    this.setLevel(this.level);
    this.newRound(now);
  }

  /** A sample of the server's /metrics; `inFlight` is ours at this endpoint. */
  observed(now: number, load: ServerLoad, inFlight: number): void {
    this.liftCeiling(now);
    this.source = 'metrics';
    const { running, waiting } = load;
    if (waiting > 0) this.capacity = running;
    const queue = Math.max(MIN_QUEUE, Math.ceil((this.capacity ?? running) / 8));
    if (waiting > queue) {
      this.setLevel(inFlight + queue - waiting);
    } else if (inFlight >= this.level) {
      // The server takes all it gets: double until it is seen full, then keep `queue` waiting.
      this.setLevel(this.capacity === undefined ? this.level * 2 : Math.max(this.level, inFlight + queue - waiting));
    }
  }

  /** Metrics say the server runs all it gets and the level may still double: read them sooner. */
  get climbing(): boolean {
    return this.source === 'metrics' && this.capacity === undefined && this.level < Math.min(this.max, this.ceiling);
  }

  /** The metrics went away: answers per second decide from now on. */
  metricsLost(now: number): void {
    this.source = 'throughput';
    this.phase = 'hold';
    this.newRound(now);
  }

  private setLevel(level: number): void {
    this.level = Math.max(1, Math.min(Math.round(level), this.max, this.ceiling));
    this.peak = Math.max(this.peak, this.level);
  }

  private newRound(now: number): void {
    this.round = { since: now, skip: this.level, level: this.level, answers: 0, inFlight: 0, waited: 0, full: false };
  }

  /** A quiet spell since the last refusal: allow a quarter more. */
  private liftCeiling(now: number): void {
    if (this.ceiling === Number.POSITIVE_INFINITY || now - this.ceilingSince < this.quietMs) return;
    this.ceiling += Math.max(1, Math.floor(this.ceiling / 4));
    this.ceilingSince = now;
    if (this.ceiling >= this.max) this.ceiling = Number.POSITIVE_INFINITY;
  }
}
