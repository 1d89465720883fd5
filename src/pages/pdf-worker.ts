// Opens PDFs and renders their pages with pdf.js, off the main thread: parsing
// and rasterising are plain JavaScript and would stall the pipeline.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { format } from 'node:util';
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { PDFDocument } from '@cantoo/pdf-lib';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import type { PageViewport } from 'pdfjs-dist/types/src/display/display_utils.js';
import { lowerPriority, ownThreadId, threadCpuTicks } from '../worker-threads.js';
import { loadSharp } from '../preprocess.js';
import { largestImage, loadForScans, scanPage, type ScanPage } from './pdf-extract.js';
import { CLOCK, type PdfReply, type PdfRequest, type PdfWorkerData, type RenderedPage } from './pdf-protocol.js';

const port = parentPort;
if (!port) throw new Error('pdf-worker.ts must run in a worker thread');
lowerPriority();
const settings = workerData as PdfWorkerData;
const clock = new Int32Array(settings.clock);
const tid = ownThreadId();
Atomics.store(clock, CLOCK.tid, tid);
Atomics.store(clock, CLOCK.request, -1);

/** The request whose pdf.js work runs now; what the libraries print is put down to it. */
let holder: number | undefined;
let lastHolder: number | undefined;
const printed = new Map<number, string[]>();
/** Requests not yet answered. */
const active = new Set<number>();
/** pdf-lib and pdf.js print to the console; those lines go back with the request's reply, never straight to the terminal. */
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

/** Work already done per request, for a request whose pdf.js work comes in several turns. */
const spent = new Map<number, { ticks: number; wallMs: number }>();
let turns: Promise<unknown> = Promise.resolve();
const wallNow = (): number => Date.now() - settings.epochMs;

/**
 * Runs a request's pdf.js work, one request at a time, and marks on the shared
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
    canvasBytes = 0;
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

const capBytes = settings.memoryCapMb * 2 ** 20;
/** Bytes of the canvases alive in the current turn (pdf.js makes one per pattern tile, mask and group). */
let canvasBytes = 0;

/** Counts each canvas's pixels against the cap before it is made: they live outside the V8 heap the cap bounds. */
function account(bytes: number): void {
  if (bytes > 0) {
    const heap = v8.getHeapStatistics();
    if (canvasBytes + bytes + heap.used_heap_size + heap.external_memory > capBytes) throw new MemoryLimit('memory');
  }
  canvasBytes += bytes;
}

type CanvasEntry = { canvas: Canvas | null; context: SKRSContext2D | null };

/** pdf.js's canvas factory, counting: every canvas pdf.js draws on comes from here. */
class CountedCanvasFactory {
  create(width: number, height: number): CanvasEntry {
    if (width <= 0 || height <= 0) throw new Error('Invalid canvas size');
    account(width * height * 4);
    const canvas = createCanvas(width, height);
    return { canvas, context: canvas.getContext('2d') };
  }

  reset(entry: CanvasEntry, width: number, height: number): void {
    if (!entry.canvas) throw new Error('Canvas is not specified');
    account((width * height - entry.canvas.width * entry.canvas.height) * 4);
    entry.canvas.width = width;
    entry.canvas.height = height;
  }

  destroy(entry: CanvasEntry): void {
    if (!entry.canvas) throw new Error('Canvas is not specified');
    canvasBytes -= entry.canvas.width * entry.canvas.height * 4;
    entry.canvas.width = entry.canvas.height = 0;
    entry.canvas = null;
    entry.context = null;
  }
}
const canvases = new CountedCanvasFactory();

const pdfjsDir = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
interface OpenPdf {
  doc: PDFDocumentProxy;
  /** The file, kept until the pages' scans are looked for. */
  data: Uint8Array | undefined;
  scans: Promise<PDFDocument | undefined> | undefined;
}
const open = new Map<number, OpenPdf>();

/** A file's fault (it becomes an error row), as opposed to a fault of ours. */
class PdfFault extends Error {}

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
  if (request.type === 'open') return exclusive(request.id, () => openPdf(request));
  if (request.type === 'close') {
    const entry = open.get(request.doc);
    open.delete(request.doc);
    await exclusive(request.id, async () => entry?.doc.destroy());
    return { reply: { id: request.id, closed: true }, transfer: [] };
  }
  return renderPage(request);
}

async function openPdf(request: Extract<PdfRequest, { type: 'open' }>): Promise<{ reply: PdfReply; transfer: ArrayBuffer[] }> {
  const task = pdfjs.getDocument({
    // A copy: pdf.js detaches the buffer it is given, and the scan reader needs the bytes too.
    data: request.data.slice(),
    // Non-embedded standard fonts and CJK character maps come with pdfjs-dist; nothing is fetched.
    standardFontDataUrl: `${pdfjsDir}/standard_fonts/`,
    cMapUrl: `${pdfjsDir}/cmaps/`,
    cMapPacked: true,
    wasmUrl: `${pdfjsDir}/wasm/`,
    useSystemFonts: false,
    isEvalSupported: false,
    enableXfa: false,
    // Embedded images past the pixel limit are left out rather than decoded (image bombs).
    maxImageSize: request.maxInputPixels,
    // Errors only; they are captured with the file's other messages.
    verbosity: 0,
    // Counts the canvases pdf.js makes (pattern tiles, masks, groups) against the memory cap.
    CanvasFactory: CountedCanvasFactory,
  } as Parameters<typeof pdfjs.getDocument>[0]);
  const doc = await task.promise;
  open.set(request.id, { doc, data: request.data, scans: undefined });
  return { reply: { id: request.id, pages: doc.numPages }, transfer: [] };
}

async function renderPage(request: Extract<PdfRequest, { type: 'render' }>): Promise<{ reply: PdfReply; transfer: ArrayBuffer[] }> {
  const entry = open.get(request.doc);
  if (!entry) throw new Error(`PDF ${request.doc} is not open`);
  const doc = entry.doc;
  const page = await exclusive(request.id, () => doc.getPage(request.page));
  try {
    const natural = page.getViewport({ scale: request.dpi / 72 });
    const fullWidth = Math.max(1, Math.round(natural.width));
    const fullHeight = Math.max(1, Math.round(natural.height));
    if (fullWidth * fullHeight > request.maxInputPixels) {
      throw new PdfFault(
        `page ${request.page} is too large when rendered: ${fullWidth}×${fullHeight} pixels at ${request.dpi} dpi ` +
          `exceeds --max-input-pixels ${request.maxInputPixels}`,
      );
    }
    // Rendered straight at the model's pixel budget: no point drawing pixels the resize throws away.
    const shrink = Math.min(1, Math.sqrt(request.maxPixels / (fullWidth * fullHeight)));
    const viewport = page.getViewport({ scale: (request.dpi / 72) * shrink });
    const width = Math.max(1, Math.round(viewport.width));
    const height = Math.max(1, Math.round(viewport.height));
    const scan = await exclusive(request.id, async () => {
      const structure = await structureOf(entry);
      const big = structure && quietly(() => largestImage(structure, request.page - 1));
      if (big && big.width * big.height > request.maxInputPixels) {
        // pdf.js would leave it out and draw an empty page; the model must not be shown that as the page.
        throw new PdfFault(
          `page ${request.page} holds an image of ${big.width}×${big.height} pixels, more than --max-input-pixels ${request.maxInputPixels}`,
        );
      }
      return structure && quietly(() => scanPage(structure, request.page - 1));
    });
    // libvips decodes a scan beside the other request's pdf.js work, on threads of its own.
    const fromScan = scan && (await fromJpeg(scan, width, height, request.maxInputPixels));
    const [drawn, text] = await exclusive(request.id, async () => {
      const pixels = fromScan ?? (await draw(page, viewport, width, height));
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
      }
      return [pixels, text] as const;
    });
    const { pixels, channels } = drawn;
    const rendered: RenderedPage = {
      width, height, channels, fullWidth, fullHeight,
      pixelHash: createHash('sha256').update(`${width}x${height}x${channels}\n`).update(pixels).digest('hex'),
      pixels,
      text: text.replace(/[ \t]+\n/g, '\n').trim(),
    };
    return { reply: { id: request.id, page: rendered }, transfer: [pixels.buffer as ArrayBuffer] };
  } finally {
    page.cleanup();
  }
}

/** The PDF as pdf-lib reads it, for the scans' JPEGs and image sizes (parsed once, on the first page rendered). */
async function structureOf(entry: OpenPdf): Promise<PDFDocument | undefined> {
  if (entry.data) {
    entry.scans = loadForScans(entry.data, entry.doc.numPages);
    entry.data = undefined;
  }
  return entry.scans;
}

/** A look at the file's structure that fails is no answer: pdf.js draws the page. */
function quietly<T>(look: () => T): T | undefined {
  try {
    return look();
  } catch {
    return undefined;
  }
}

type Pixels = { pixels: Uint8Array; channels: RenderedPage['channels'] };

/** The scan resized as pdf.js would draw it; undefined when libvips will not decode it (pdf.js then draws it). */
async function fromJpeg(scan: ScanPage, width: number, height: number, maxInputPixels: number): Promise<Pixels | undefined> {
  const sharp = await loadSharp();
  try {
    // pdf.js ignores a profile inside the JPEG; so must we, to show the same colours.
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

async function draw(page: PDFPageProxy, viewport: PageViewport, width: number, height: number): Promise<Pixels> {
  const entry = canvases.create(width, height);
  const { canvas, context } = entry as { canvas: Canvas; context: SKRSContext2D };
  type RenderParameters = Parameters<typeof page.render>[0];
  try {
    await page.render({
      canvas: canvas as unknown as RenderParameters['canvas'],
      canvasContext: context as unknown as RenderParameters['canvasContext'],
      viewport,
      background: '#ffffff',
    }).promise;
    const data = context.getImageData(0, 0, width, height).data;
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels: 4 };
  } finally {
    canvases.destroy(entry);
  }
}

/** One line naming what is wrong with the file, in the words a user would search for. */
function describe(error: unknown): { message: string; fileFault: boolean; limit?: 'memory' } {
  const e = error as { name?: string; message?: string; code?: number };
  const message = String(e?.message ?? error).replace(/\.$/, '');
  if (error instanceof PdfFault) return { message, fileFault: true };
  if (error instanceof MemoryLimit) return { message, fileFault: true, limit: 'memory' };
  switch (e?.name) {
    case 'PasswordException':
      return { message: 'the PDF is encrypted and needs a password to open', fileFault: true };
    case 'InvalidPDFException':
      return { message: `not a readable PDF (${message}): corrupt, truncated or not a PDF`, fileFault: true };
    case 'FormatError':
    case 'UnknownErrorException':
    case 'MissingPDFException':
    case 'ResponseException':
      return { message: `corrupt PDF: ${message}`, fileFault: true };
    default:
      // Anything else pdf.js throws while reading a file is still about that file.
      return { message: `cannot read the PDF: ${message}`, fileFault: e?.name !== 'DataCloneError' };
  }
}
