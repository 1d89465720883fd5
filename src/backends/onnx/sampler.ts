// Next-token choice: greedy, or temperature / top-k / top-p sampling with a seeded generator.

export interface SamplingParams {
  temperature: number;
  topP: number;
  topK: number;
}

/** mulberry32: deterministic, uniform in [0, 1). Seeds above 2^32 are folded in, not truncated. */
export function createRng(seed: number): () => number {
  const whole = Math.floor(Number.isFinite(seed) ? Math.abs(seed) : 0);
  let state = (whole >>> 0) ^ Math.imul(Math.floor(whole / 0x1_0000_0000) >>> 0, 0x9e3779b9);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** NaN never wins. */
function read(logits: Float32Array, i: number): number {
  const v = logits[i] as number;
  return v === v ? v : -Infinity;
}

function argmax(logits: Float32Array, offset: number, vocab: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = read(logits, offset + i);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * The m largest entries, best first (ties: lower index first), via a size-m min-heap: O(vocab log m), no full sort.
 * The heap root is the worst kept entry; "worse" means smaller value, or equal value and higher index.
 */
function topEntries(logits: Float32Array, offset: number, vocab: number, m: number): number[] {
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => {
    const va = read(logits, offset + a);
    const vb = read(logits, offset + b);
    return va < vb || (va === vb && a > b);
  };
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < heap.length && worse(heap[l] as number, heap[w] as number)) w = l;
      if (r < heap.length && worse(heap[r] as number, heap[w] as number)) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w] as number, heap[i] as number];
      i = w;
    }
  };
  for (let i = 0; i < vocab; i++) {
    if (heap.length < m) {
      heap.push(i);
      let c = heap.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c] as number, heap[p] as number)) break;
        [heap[c], heap[p]] = [heap[p] as number, heap[c] as number];
        c = p;
      }
    } else if (worse(heap[0] as number, i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

const BUCKETS_PER_NAT = 64;
const BUCKETS = 64 * BUCKETS_PER_NAT; // weights below e^-64 of the top share the last bucket

/**
 * top_p over the whole vocabulary in O(vocab): bucket tokens by log-weight (linear in the logit), find the bucket
 * where the cumulative mass crosses top_p, and sort only that bucket.
 */
function nucleusOverAll(
  logits: Float32Array,
  offset: number,
  vocab: number,
  maxValue: number,
  temperature: number,
  topP: number,
  rng: () => number,
): number {
  const keys = new Uint16Array(vocab);
  const weights = new Float64Array(vocab);
  const mass = new Float64Array(BUCKETS);
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    const drop = (maxValue - read(logits, offset + i)) / temperature;
    const key = Math.min(BUCKETS - 1, Math.floor(drop * BUCKETS_PER_NAT));
    const w = Math.exp(-drop);
    keys[i] = key;
    weights[i] = w;
    mass[key] = (mass[key] as number) + w;
    total += w;
  }
  const target = topP * total;
  let boundary = 0;
  for (let cum = 0; boundary < BUCKETS - 1; boundary++) {
    cum += mass[boundary] as number;
    if (cum >= target) break;
  }
  const kept: number[] = [];
  const edge: number[] = [];
  let sum = 0;
  for (let i = 0; i < vocab; i++) {
    const key = keys[i] as number;
    if (key < boundary) {
      kept.push(i);
      sum += weights[i] as number;
    } else if (key === boundary) {
      edge.push(i);
    }
  }
  edge.sort((a, b) => (weights[b] as number) - (weights[a] as number) || a - b);
  for (const i of edge) {
    if (sum >= target) break;
    kept.push(i);
    sum += weights[i] as number;
  }
  const r = rng() * sum;
  let acc = 0;
  for (const i of kept) {
    acc += weights[i] as number;
    if (r < acc) return i;
  }
  return kept[kept.length - 1] as number;
}

/** Index of the draw r in [0, total) over the weights, walking in order; the last one on rounding. */
function draw(weights: ArrayLike<number>, count: number, total: number, r: number): number {
  let target = r * total;
  for (let i = 0; i < count; i++) {
    target -= weights[i] as number;
    if (target < 0) return i;
  }
  return count - 1;
}

/** Whether these parameters always pick the most likely token: temperature 0, top_k 1 or top_p 0. */
export function isGreedy(params: SamplingParams): boolean {
  return !(params.temperature > 0) || Math.floor(params.topK) === 1 || params.topP <= 0;
}

/**
 * Picks the next token from logits[offset .. offset + vocab). temperature 0 is argmax (lowest index on ties);
 * otherwise softmax(logits / temperature), keep the top_k (0 = all), then the smallest set whose probability
 * (renormalised over what top_k kept, as transformers does) reaches top_p, and draw from it.
 */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  params: SamplingParams,
  rng: () => number,
): number {
  if (!Number.isInteger(offset) || !Number.isInteger(vocab) || offset < 0 || vocab < 1 || offset + vocab > logits.length) {
    throw new RangeError(`logits slice [${offset}, ${offset + vocab}) is outside the ${logits.length} values given`);
  }
  if (isGreedy(params)) return argmax(logits, offset, vocab);
  const { temperature } = params;
  const topK = params.topK > 0 ? Math.min(Math.floor(params.topK), vocab) : vocab;
  const topP = Number.isNaN(params.topP) ? 1 : params.topP;

  const maxValue = read(logits, offset + argmax(logits, offset, vocab));
  if (maxValue === -Infinity || maxValue === Infinity) return argmax(logits, offset, vocab);
  const weight = (i: number): number => Math.exp((read(logits, offset + i) - maxValue) / temperature);

  // Everything, in index order: no sorting needed.
  if (topK === vocab && topP >= 1) {
    const weights = new Float64Array(vocab);
    let total = 0;
    for (let i = 0; i < vocab; i++) total += weights[i] = weight(i);
    return draw(weights, vocab, total, rng());
  }

  if (topK === vocab) return nucleusOverAll(logits, offset, vocab, maxValue, temperature, topP, rng);

  // top_p is measured against the distribution renormalised over the top_k.
  const candidates = topEntries(logits, offset, vocab, topK);
  let total = 0;
  for (const i of candidates) total += weight(i);
  const weights: number[] = [];
  let kept = 0;
  for (const i of candidates) {
    const w = weight(i);
    weights.push(w);
    kept += w;
    if (kept >= topP * total) break;
  }
  const pick = draw(weights, weights.length, kept, rng());
  return candidates[pick] as number;
}
