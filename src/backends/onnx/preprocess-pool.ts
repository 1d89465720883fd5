// A small pool of preprocessing threads, so the main thread's event loop
// stays responsive while images are turned into patches.
import { Worker } from 'node:worker_threads';
import { FileFailure } from '../../errors.js';
import type { ProcessedImage, VisionConfig } from './image-processor.js';
import type { SerializedError } from './protocol.js';

type Reply = { id: number; image: ProcessedImage } | { id: number; error: SerializedError };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (i: ProcessedImage) => void; reject: (e: unknown) => void }>;
}

/** Where a sibling module lives, and how to start it (source files under tsx need the loader). */
export function workerUrl(name: string, base: string): { url: URL; execArgv: string[] } {
  const isTs = base.endsWith('.ts');
  return { url: new URL(`./${name}.${isTs ? 'ts' : 'js'}`, base), execArgv: isTs ? ['--import', 'tsx'] : [] };
}

export class PreprocessPool {
  private readonly slots: Slot[];
  private nextId = 0;

  constructor(size: number, vision: VisionConfig, maxInputPixels: number) {
    const { url, execArgv } = workerUrl('preprocess-worker', import.meta.url);
    this.slots = Array.from({ length: Math.max(1, size) }, () => {
      const slot: Slot = { worker: new Worker(url, { workerData: { vision, maxInputPixels }, execArgv }), pending: new Map() };
      slot.worker.unref();
      slot.worker.on('message', (reply: Reply) => {
        const p = slot.pending.get(reply.id);
        if (!p) return;
        slot.pending.delete(reply.id);
        if ('image' in reply) p.resolve(reply.image);
        else p.reject(reply.error.name === 'FileFailure' ? new FileFailure(reply.error.message) : new Error(reply.error.message));
      });
      slot.worker.on('error', (error) => {
        for (const p of slot.pending.values()) p.reject(error);
        slot.pending.clear();
      });
      return slot;
    });
  }

  run(data: Buffer): Promise<ProcessedImage> {
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, data });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
