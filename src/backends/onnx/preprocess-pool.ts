// A small pool of preprocessing threads. Each sends its patch arrays straight
// to the model worker over its own channel, so the megabytes of floats never
// cross the main thread; the main thread gets a handle and the shape.
import { Worker, type MessagePort } from 'node:worker_threads';
import { FileFailure } from '../../support/errors.js';
import type { ImageInput } from '../backend.js';
import { workerUrl } from '../../support/worker-threads.js';
import type { ProcessedImage } from './image-processor.js';
import type { VisionConfig } from './vision-config.js';
import { reviveError, type SerializedError } from '../../support/worker-errors.js';

/** What the main thread learns of a processed image: everything but the pixels, which went to the model worker as `ref`. */
export type ImageInfo = Omit<ProcessedImage, 'pixelValues'> & { ref: number };

type Reply = { id: number; image: Omit<ProcessedImage, 'pixelValues'> } | { id: number; error: SerializedError };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (i: ImageInfo) => void; reject: (e: unknown) => void }>;
}

export class PreprocessPool {
  private readonly slots: Slot[];
  private nextId = 0;

  /** One thread per port; each port's other end belongs to the model worker. */
  constructor(ports: MessagePort[], vision: VisionConfig, maxInputPixels: number) {
    const { url, execArgv } = workerUrl('preprocess-worker', import.meta.url);
    this.slots = ports.map((port) => {
      const worker = new Worker(url, { workerData: { vision, maxInputPixels, port }, transferList: [port], execArgv });
      const slot: Slot = { worker, pending: new Map() };
      worker.unref();
      worker.on('message', (reply: Reply) => {
        const p = slot.pending.get(reply.id);
        if (!p) return;
        slot.pending.delete(reply.id);
        if ('image' in reply) p.resolve({ ...reply.image, ref: reply.id });
        else {
          // A file's fault fails that file; anything else is ours, never a setting.
          const error = reviveError(reply.error);
          p.reject(error instanceof FileFailure ? error : new Error(error.message));
        }
      });
      worker.on('error', (error) => {
        for (const p of slot.pending.values()) p.reject(error);
        slot.pending.clear();
      });
      return slot;
    });
  }

  /** Processes one image; its patches go to the model worker under the returned `ref`. */
  run(data: ImageInput): Promise<ImageInfo> {
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
