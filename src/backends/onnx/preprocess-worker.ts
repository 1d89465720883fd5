// Runs the vision preprocessing (a JS resize, normalisation and patch
// flattening: tens of milliseconds per image) off the main thread, and hands
// the patches to the model worker directly.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { RawImage } from '../backend.js';
import { processImage, type VisionConfig } from './image-processor.js';
import { lowerPriority } from '../../support/worker-threads.js';
import type { ImageMessage } from './protocol.js';
import { serializeError } from '../../support/worker-errors.js';

const port = parentPort;
if (!port) throw new Error('preprocess-worker.ts must run in a worker thread');
lowerPriority();
const { vision, maxInputPixels, port: model } = workerData as { vision: VisionConfig; maxInputPixels: number; port: MessagePort };

port.on('message', ({ id, data }: { id: number; data: Uint8Array | RawImage }) => {
  // Structured cloning turns a Buffer into a plain Uint8Array.
  const input = data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : data;
  processImage(input, vision, { maxInputPixels }).then(
    ({ pixelValues, ...image }) => {
      // The pixels first: the model worker waits for them if the request overtakes them.
      model.postMessage({ ref: id, pixelValues } satisfies ImageMessage, [pixelValues.buffer as ArrayBuffer]);
      port.postMessage({ id, image });
    },
    (error: unknown) => port.postMessage({ id, error: serializeError(error) }),
  );
});
