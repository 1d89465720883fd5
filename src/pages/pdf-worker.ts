// Opens PDFs and renders their pages with PDFium (WebAssembly), off the main
// thread: parsing and rasterising would otherwise stall the pipeline.
import { createHash } from 'node:crypto';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { PDFDocument } from '@cantoo/pdf-lib';
import { lowerPriority, ownThreadId, threadCpuTicks } from '../support/worker-threads.js';
import { loadSharp } from '../image/preprocess.js';
import { largestImage, loadForScans, scanPage, type ScanPage } from './pdf-extract.js';
import { fontFolders, installedFaces } from './pdf-fonts.js';
import { provideFonts } from './pdfium-fonts.js';
import { documentLoader, startPdfium, tidyText } from './pdfium.js';
import { CLOCK, type PdfReply, type PdfRequest, type PdfWorkerData, type RenderedPage } from './pdf-protocol.js';
import type { PdfWireError } from './pdf-pool.js';
import { DocumentLimit, FileFailure } from '../support/errors.js';
import { serializeError } from '../support/worker-errors.js';

const port = parentPort;
if (!port) throw new Error('pdf-worker.ts must run in a worker thread');
lowerPriority();
const settings = workerData as PdfWorkerData;
const clock = new Int32Array(settings.clock);
const tid = ownThreadId();
Atomics.store(clock, CLOCK.tid, tid);
Atomics.store(clock, CLOCK.request, -1);

/** The request whose PDF work runs now; what the libraries print is put down to it. */
let holder: number | undefined;
let lastHolder: number | undefined;
const printed = new Map<number, string[]>();
/** Requests not yet answered. */
const active = new Set<number>();
/** pdf-lib and PDFium print to the console; those lines go back with the request's reply, never straight to the terminal. */
function note(...args: unknown[]): void {
  const id = holder ?? lastHolder;
  if (id === undefined || !active.has(id)) return;
  const line = format(...args).trim();
  const list = printed.get(id) ?? [];
  if (line && list.length < 20 && !list.includes(line)) list.push(line);
  printed.set(id, list);
}
// eslint-disable-next-line no-console -- replacing the console is the point: nothing reaches the terminal raw
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[method] = note;

/** Work already done per request, for a request whose PDF work comes in several turns. */
const spent = new Map<number, { ticks: number; wallMs: number }>();
let turns: Promise<unknown> = Promise.resolve();
const wallNow = (): number => Date.now() - settings.epochMs;

/**
 * Runs a request's PDF work, one request at a time, and marks on the shared
 * clock whose work it is and since when: the pool reads this thread's CPU clock
 * against that (a render stuck in a synchronous loop cannot answer a question),
 * and knows whose work it was if the thread dies of its memory cap.
 */
function exclusive<T>(id: number, work: () => Promise<T>): Promise<T> {
  const turn = async (): Promise<T> => {
    const before = spent.get(id) ?? { ticks: 0, wallMs: 0 };
    const ticks0 = threadCpuTicks(tid) ?? 0;
    const wall0 = wallNow();
    Atomics.store(clock, CLOCK.startTicks, ticks0 - before.ticks);
    Atomics.store(clock, CLOCK.startWallMs, wall0 - before.wallMs);
    Atomics.store(clock, CLOCK.request, id);
    holder = lastHolder = id;
    try {
      return await work();
    } finally {
      Atomics.store(clock, CLOCK.request, -1);
      holder = undefined;
      spent.set(id, { ticks: before.ticks + (threadCpuTicks(tid) ?? 0) - ticks0, wallMs: before.wallMs + wallNow() - wall0 });
    }
  };
  const result = turns.then(turn);
  turns = result.catch(() => undefined);
  return result;
}

/** Went over this thread's memory cap: the pool names the limit and the flag. */
class MemoryLimit extends Error {}
/** A file's fault (it becomes an error row), as opposed to a fault of ours. */
class PdfFault extends Error {}
/** PDFium aborted earlier on this thread: nothing more can run on it. */
class Broken extends Error {}

/** PDFium could not grow its heap: the abort that follows is a memory limit. */
let outOfMemory = false;
/** PDFium aborted; its instance is unusable and the pool replaces this thread. */
let aborted = false;
/** What the WebAssembly runtime prints when the heap cannot grow, or as it aborts: the request's error, not warnings about the file. */
const HEAP_FULL = /^(growMemory:|Cannot enlarge memory|Failed to grow the heap)/;
const engine = await startPdfium(settings.wasmMemoryMb, (line) => {
  if (HEAP_FULL.test(line)) outOfMemory = true;
  else if (!line.startsWith('Aborted(')) note(line);
});
const pdfium = engine.pdfium;
// Fonts a PDF names without embedding them come from the system's font folders.
provideFonts(engine, () => installedFaces(fontFolders()));
const loader = documentLoader(engine);

/** FPDF_GetLastError's codes (fpdfview.h). */
const OPEN_ERRORS: Record<number, string> = {
  2: 'not a readable PDF: the file cannot be read as one (corrupt, truncated or not a PDF)',
  3: 'not a readable PDF: corrupt, truncated or not a PDF',
  4: 'the PDF is encrypted and needs a password to open',
  5: 'the PDF is encrypted with a security handler PDFium does not support',
  6: 'not a readable PDF: its page tree is corrupt',
};
const BITMAP_BGR = 2;
const FPDF_ANNOT = 0x01;
const FPDF_REVERSE_BYTE_ORDER = 0x10;

interface OpenPdf {
  doc: number;
  /** Closes the document; PDFium reads the file as it goes, so the file lives until then. */
  close(): void;
  /** The file, kept until the pages' scans are looked for. */
  data: Uint8Array | undefined;
  pages: number;
  scans: Promise<PDFDocument | undefined> | undefined;
}
const open = new Map<number, OpenPdf>();

port.on('message', (request: PdfRequest) => {
  active.add(request.id);
  const done = (): string[] | undefined => {
    active.delete(request.id);
    spent.delete(request.id);
    const warnings = printed.get(request.id);
    printed.delete(request.id);
    return warnings;
  };
  handle(request).then(
    ({ reply, transfer }) => port.postMessage({ ...reply, warnings: done() } satisfies PdfReply, transfer),
    (error: unknown) => port.postMessage({ id: request.id, error: describe(error), warnings: done() } satisfies PdfReply),
  );
});

async function handle(request: PdfRequest): Promise<{ reply: PdfReply; transfer: ArrayBuffer[] }> {
  if (aborted) throw new Broken('the renderer on this thread stopped earlier');
  if (request.type === 'open') return exclusive(request.id, async () => openPdf(request));
  if (request.type === 'close') {
    const entry = open.get(request.doc);
    open.delete(request.doc);
    if (entry) {
      await exclusive(request.id, async () => entry.close());
    }
    return { reply: { id: request.id, closed: true }, transfer: [] };
  }
  return renderPage(request);
}

function openPdf(request: Extract<PdfRequest, { type: 'open' }>): { reply: PdfReply; transfer: ArrayBuffer[] } {
  const { data } = request;
  const { doc, error, close } = loader.open(data);
  if (error === -1) throw new MemoryLimit('memory');
  if (!doc) throw new PdfFault(OPEN_ERRORS[error] ?? `cannot read the PDF (PDFium error ${error})`);
  const pages = pdfium.FPDF_GetPageCount(doc);
  open.set(request.id, { doc, close, data, pages, scans: undefined });
  return { reply: { id: request.id, pages }, transfer: [] };
}

async function renderPage(request: Extract<PdfRequest, { type: 'render' }>): Promise<{ reply: PdfReply; transfer: ArrayBuffer[] }> {
  const entry = open.get(request.doc);
  if (!entry) throw new Error(`PDF ${request.doc} is not open`);
  const page = await exclusive(request.id, async () => {
    const handle = pdfium.FPDF_LoadPage(entry.doc, request.page - 1);
    if (!handle) throw new PdfFault(`page ${request.page} cannot be read: its page object is corrupt`);
    // In points, with the page's /Rotate applied.
    return { handle, width: pdfium.FPDF_GetPageWidthF(handle), height: pdfium.FPDF_GetPageHeightF(handle) };
  });
  try {
    const scale = request.dpi / 72;
    const fullWidth = Math.max(1, Math.round(page.width * scale));
    const fullHeight = Math.max(1, Math.round(page.height * scale));
    if (fullWidth * fullHeight > request.maxInputPixels) {
      throw new PdfFault(
        `page ${request.page} is too large when rendered: ${fullWidth}×${fullHeight} pixels at ${request.dpi} dpi ` +
          `exceeds --max-input-pixels ${request.maxInputPixels}`,
      );
    }
    // Rendered straight at the model's pixel budget: no point drawing pixels the resize throws away.
    const shrink = Math.min(1, Math.sqrt(request.maxPixels / (fullWidth * fullHeight)));
    const width = Math.max(1, Math.round(page.width * scale * shrink));
    const height = Math.max(1, Math.round(page.height * scale * shrink));
    const scan = await exclusive(request.id, async () => {
      const structure = await structureOf(entry);
      const big = structure && quietly(() => largestImage(structure, request.page - 1));
      if (big && big.width * big.height > request.maxInputPixels) {
        // An image bomb: decoding it would take the thread's whole memory for one picture.
        throw new PdfFault(
          `page ${request.page} holds an image of ${big.width}×${big.height} pixels, more than --max-input-pixels ${request.maxInputPixels}`,
        );
      }
      return structure && quietly(() => scanPage(structure, request.page - 1));
    });
    // libvips decodes a scan beside the other request's PDFium work, on threads of its own.
    const fromScan = scan && (await fromJpeg(scan, width, height, request.maxInputPixels));
    const [drawn, text] = await exclusive(request.id, async () => [fromScan ?? draw(page.handle, width, height), pageText(page.handle)] as const);
    const { pixels, channels } = drawn;
    const rendered: RenderedPage = {
      width, height, channels, fullWidth, fullHeight,
      pixelHash: createHash('sha256').update(`${width}x${height}x${channels}\n`).update(pixels).digest('hex'),
      pixels,
      text,
    };
    return { reply: { id: request.id, page: rendered }, transfer: [pixels.buffer as ArrayBuffer] };
  } finally {
    if (!aborted) pdfium.FPDF_ClosePage(page.handle);
  }
}

/** The PDF as pdf-lib reads it, for the scans' JPEGs and image sizes (parsed once, on the first page rendered). */
async function structureOf(entry: OpenPdf): Promise<PDFDocument | undefined> {
  if (entry.data) {
    entry.scans = loadForScans(entry.data, entry.pages);
    entry.data = undefined;
  }
  return entry.scans;
}

/** A look at the file's structure that fails is no answer: PDFium draws the page. */
function quietly<T>(look: () => T): T | undefined {
  try {
    return look();
  } catch {
    return undefined;
  }
}

type Pixels = { pixels: Uint8Array; channels: RenderedPage['channels'] };

/** The scan resized as PDFium would draw it; undefined when libvips will not decode it (PDFium then draws it). */
async function fromJpeg(scan: ScanPage, width: number, height: number, maxInputPixels: number): Promise<Pixels | undefined> {
  const sharp = await loadSharp();
  try {
    // A PDF's colours come from its /ColorSpace; a profile inside the JPEG is ignored, as PDF renderers do.
    const { data, info } = await sharp(scan.jpeg, { limitInputPixels: maxInputPixels, failOn: 'error', ignoreIcc: true })
      .rotate(scan.rotate)
      .resize(width, height, { fit: 'fill' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || (info.channels !== 1 && info.channels !== 3)) return undefined;
    // A copy into memory of our own: libvips' buffer cannot be transferred to the main thread.
    return { pixels: new Uint8Array(data), channels: info.channels };
  } catch {
    return undefined;
  }
}

/** The page on white, RGB, annotations' appearances included (as a viewer shows it). */
function draw(page: number, width: number, height: number): Pixels {
  const bitmap = pdfium.FPDFBitmap_CreateEx(width, height, BITMAP_BGR, 0, 0);
  if (!bitmap) throw new MemoryLimit('memory');
  try {
    pdfium.FPDFBitmap_FillRect(bitmap, 0, 0, width, height, 0xffffffff);
    pdfium.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, FPDF_ANNOT | FPDF_REVERSE_BYTE_ORDER);
    const stride = pdfium.FPDFBitmap_GetStride(bitmap);
    const start = pdfium.FPDFBitmap_GetBuffer(bitmap);
    const heap = engine.heap();
    const row = width * 3;
    const pixels = new Uint8Array(row * height);
    for (let y = 0; y < height; y++) pixels.set(heap.subarray(start + y * stride, start + y * stride + row), y * row);
    return { pixels, channels: 3 };
  } finally {
    pdfium.FPDFBitmap_Destroy(bitmap);
  }
}

const utf16 = new TextDecoder('utf-16le');

/** The page's text layer, lines as PDFium finds them. */
function pageText(page: number): string {
  const textPage = pdfium.FPDFText_LoadPage(page);
  if (!textPage) return '';
  try {
    const count = pdfium.FPDFText_CountChars(textPage);
    if (count <= 0) return '';
    const buffer = engine.malloc((count + 1) * 2);
    if (!buffer) throw new MemoryLimit('memory');
    try {
      const written = pdfium.FPDFText_GetText(textPage, 0, count, buffer);
      const text = utf16.decode(engine.heap().subarray(buffer, buffer + Math.max(0, written - 1) * 2));
      return tidyText(text);
    } finally {
      engine.free(buffer);
    }
  } finally {
    pdfium.FPDFText_ClosePage(textPage);
  }
}

/** One line naming what is wrong with the file, in the words a user would search for. */
function describe(error: unknown): PdfWireError {
  const message = String((error as Error | undefined)?.message ?? error).replace(/\.$/, '');
  if (error instanceof PdfFault) return wire(new FileFailure(message));
  // The pool words the limit's message: it knows the flag's value and the threads' share.
  if (error instanceof MemoryLimit) return { ...wire(new DocumentLimit(message, 'memory')), limit: 'memory' };
  if (error instanceof Broken) return { ...wire(new Error(message)), broken: true };
  // WebAssembly.RuntimeError: PDFium called abort(), or trapped.
  if ((error as Error | undefined)?.name === 'RuntimeError') {
    aborted = true;
    if (outOfMemory) return { ...wire(new DocumentLimit('memory', 'memory')), limit: 'memory' };
    return { ...wire(new FileFailure(`PDFium stopped on this file (${message})`)), broken: true };
  }
  // A fault of ours: the stack sent is the original's, for the bug report.
  return wire(new Error(`cannot read the PDF: ${message}`), error);
}

/** An error as the pool revives it (see PdfWireError). */
function wire(error: Error, thrown?: unknown): PdfWireError {
  const { limit: _limit, ...sent } = serializeError(error);
  if (thrown instanceof Error && thrown.stack !== undefined) sent.stack = thrown.stack;
  return { ...sent, fileFault: error instanceof FileFailure };
}
