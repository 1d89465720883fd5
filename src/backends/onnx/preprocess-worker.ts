// Runs the vision preprocessing (a JS resize, normalisation and patch
// flattening: tens of milliseconds per image) off the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { processImage, type VisionConfig } from './image-processor.js';
import { serializeError } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('preprocess-worker.ts must run in a worker thread');
const { vision, maxInputPixels } = workerData as { vision: VisionConfig; maxInputPixels: number };

port.on('message', ({ id, data }: { id: number; data: Uint8Array }) => {
  processImage(Buffer.from(data.buffer, data.byteOffset, data.byteLength), vision, { maxInputPixels }).then(
    (image) => port.postMessage({ id, image }, [image.pixelValues.buffer as ArrayBuffer]),
    (error: unknown) => port.postMessage({ id, error: serializeError(error) }),
  );
});
