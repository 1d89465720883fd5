// Messages between the PDF pool and its rendering threads.
import type { SerializedError } from '../support/worker-errors.js';

export type PdfRequest =
  | { type: 'open'; id: number; data: Uint8Array; maxInputPixels: number }
  | { type: 'render'; id: number; doc: number; page: number; dpi: number; maxPixels: number; maxInputPixels: number }
  | { type: 'close'; id: number; doc: number };

/** What a rendering thread is started with. */
export interface PdfWorkerData {
  /** An Int32Array over it, slots as in CLOCK: which request holds PDFium and since when. */
  clock: SharedArrayBuffer;
  /** Date.now() when the thread was made: wall times in the clock count from it (they fit an int32). */
  epochMs: number;
  /** The most PDFium's WASM heap may grow to (the thread's V8 heap has a cap of its own). */
  wasmMemoryMb: number;
}

/**
 * Slots of the shared clock. The thread runs one request's PDF work at a
 * time and writes here who it is and when it started, so the pool can read the
 * thread's CPU clock against it, and knows whose work was running if the
 * thread dies of its memory cap.
 */
export const CLOCK = {
  /** The thread's Linux thread id (0: unknown, wall time is used instead). */
  tid: 0,
  /** The request whose PDF work is running, -1 for none. */
  request: 1,
  /** The thread's CPU clock (ticks) at which that request would have started had it run without a break. */
  startTicks: 2,
  /** The same in wall-clock ms from epochMs, for where there is no CPU clock. */
  startWallMs: 3,
  slots: 4,
} as const;

/** A page as pixels, with its identity and text layer. */
export interface RenderedPage {
  /** The pixels handed to the model: at --dpi, or smaller to fit --max-pixels. */
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  pixels: Uint8Array;
  /** The page's size at --dpi, for the catalog. */
  fullWidth: number;
  fullHeight: number;
  /** sha256 of the size and the pixels. */
  pixelHash: string;
  /** The PDF's own text layer ('' when it has none). */
  text: string;
}

/**
 * A failure as a rendering thread sends it: serializeError's fields (the class to revive; limit 'memory' is a
 * DocumentLimit the pool words itself), with the protocol's flags beside them.
 */
export type PdfWireError = SerializedError & {
  /** The file's fault (a FileFailure, an error row), not ours; the class in `code` says the same. */
  fileFault: boolean;
  /** The renderer on the thread can do nothing more; the pool replaces the thread. */
  broken?: boolean;
};

/** What the libraries printed while working on the request (captured, never printed raw). */
type Noted = { warnings?: string[] };

export type PdfReply = Noted & (
  | { id: number; pages: number }
  | { id: number; page: RenderedPage }
  | { id: number; closed: true }
  | { id: number; error: PdfWireError }
);

/** Which renderer draws PDF pages: part of what a remembered failure depends on. */
export const PDF_RENDERER = 'renderer pdfium';
