// Opens PDFs and renders their pages with PDFium (WebAssembly), off the main
// thread: parsing and rasterising would otherwise stall the pipeline.
import { createHash } from 'node:crypto';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { PDFDocument } from '@cantoo/pdf-lib';
import { lowerPriority, ownThreadId, threadCpuTicks } from '../support/worker-threads.js';
import { largestImage, loadForScans, scanPage } from './pdf-extract.js';
import { fontFolders, installedFaces } from './pdf-fonts.js';
import { provideFonts } from './pdfium-fonts.js';
import { documentLoader, startPdfium } from './pdfium.js';
import { CLOCK, type PdfReply, type PdfRequest, type PdfWorkerData, type RenderedPage } from './pdf-protocol.js';
import { draw, fromJpeg, pageText } from './pdf-draw.js';
import { Broken, describe, isPdfiumAbort, MemoryLimit, PdfFault } from './pdf-worker-errors.js';

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
    (error: unknown) => {
      if (isPdfiumAbort(error)) aborted = true;
      port.postMessage({ id: request.id, error: describe(error, outOfMemory), warnings: done() } satisfies PdfReply);
    },
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
    const [drawn, text] = await exclusive(request.id, async () => [fromScan ?? draw(engine, page.handle, width, height), pageText(engine, page.handle)] as const);
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
