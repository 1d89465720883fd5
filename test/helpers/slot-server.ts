// A loopback server that behaves like vLLM's scheduler: K model slots, each answer takes
// a fixed service time, and requests past K wait in its queue (first come, first served).
// It can expose vLLM's or SGLang's /metrics gauges, and can refuse with 429 above N
// requests in flight, as a free API tier does. For the bench's concurrency section.
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

export interface SlotServerOptions {
  /** Requests the "model" runs at once (vLLM's --max-num-seqs). */
  slots: number;
  /** How long each answer takes once it has a slot. */
  serviceMs: number;
  /** Which server's gauges GET /metrics shows; false: none (404). */
  metrics: 'vllm' | 'sglang' | false;
  /** Answer 429 (with Retry-After) to a request that would make more than this many in flight. */
  rejectAbove?: number;
  retryAfterS?: number;
}

export interface SlotServerStats {
  /** When the first inference request arrived and the last answer left (performance.now()). */
  firstAt: number | undefined;
  lastAt: number | undefined;
  answered: number;
  /** When each inference request arrived. */
  arrivedAt: number[];
  /** When each 429 was sent. */
  rejectedAt: number[];
  peakRunning: number;
  peakWaiting: number;
  metricsReads: number;
}

export interface SlotServer {
  url: string;
  fake: FakeOpenAI;
  stats: SlotServerStats;
  close(): Promise<void>;
}

export async function startSlotServer(o: SlotServerOptions): Promise<SlotServer> {
  const stats: SlotServerStats = { firstAt: undefined, lastAt: undefined, answered: 0, arrivedAt: [], rejectedAt: [], peakRunning: 0, peakWaiting: 0, metricsReads: 0 };
  let running = 0;
  let inFlight = 0;
  const queue: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (running < o.slots && queue.length === 0) {
      running++;
    } else {
      const turn = new Promise<void>((resolve) => queue.push(resolve));
      stats.peakWaiting = Math.max(stats.peakWaiting, queue.length);
      await turn;
    }
    stats.peakRunning = Math.max(stats.peakRunning, running);
  };
  const free = (): void => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  const gauges = o.metrics === 'sglang'
    ? ['sglang:num_running_reqs', 'sglang:num_queue_reqs']
    : ['vllm:num_requests_running', 'vllm:num_requests_waiting'];
  const metrics = (): string => {
    stats.metricsReads++;
    const [r, w] = gauges as [string, string];
    return `# HELP ${r} Running.\n# TYPE ${r} gauge\n${r}{model_name="bench"} ${running}.0\n` +
      `# HELP ${w} Waiting.\n# TYPE ${w} gauge\n${w}{model_name="bench"} ${queue.length}.0\n`;
  };
  const fake = await startFakeOpenAI({
    ...(o.metrics ? { metrics } : {}),
    handler: async (req) => {
      const now = performance.now();
      stats.firstAt ??= now;
      stats.arrivedAt.push(now);
      if (o.rejectAbove !== undefined && inFlight >= o.rejectAbove) {
        stats.rejectedAt.push(now);
        return { type: 'status', status: 429, headers: { 'retry-after': String(o.retryAfterS ?? 1) } };
      }
      inFlight++;
      await slot();
      await new Promise((resolve) => setTimeout(resolve, o.serviceMs));
      free();
      inFlight--;
      stats.answered++;
      stats.lastAt = performance.now();
      return defaultReply(req);
    },
  });
  return { url: fake.url, fake, stats, close: () => fake.close() };
}
