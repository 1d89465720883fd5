// Opens PDFs and renders their pages with pdf.js, off the main thread: parsing
// and rasterising are plain JavaScript and would stall the pipeline.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { createCanvas } from '@napi-rs/canvas';
import type { PDFDocument } from '@cantoo/pdf-lib';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import type { PageViewport } from 'pdfjs-dist/types/src/display/display_utils.js';
import { lowerPriority } from '../worker-threads.js';
import { loadSharp } from '../preprocess.js';
import { largestImage, loadForScans, scanPage, type ScanPage } from './pdf-extract.js';
import type { PdfReply, PdfRequest, RenderedPage } from './pdf-protocol.js';

const port = parentPort;
if (!port) throw new Error('pdf-worker.ts must run in a worker thread');
lowerPriority();

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
  handle(request).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (error: unknown) => port.postMessage({ id: request.id, error: describe(error) } satisfies PdfReply),
  );
});

async function handle(request: PdfRequest): Promise<{ reply: PdfReply; transfer: ArrayBuffer[] }> {
  if (request.type === 'open') {
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
      verbosity: 0,
    });
    const doc = await task.promise;
    open.set(request.id, { doc, data: request.data, scans: undefined });
    return { reply: { id: request.id, pages: doc.numPages }, transfer: [] };
  }
  if (request.type === 'close') {
    const entry = open.get(request.doc);
    open.delete(request.doc);
    await entry?.doc.destroy();
    return { reply: { id: request.id, closed: true }, transfer: [] };
  }
  const entry = open.get(request.doc);
  if (!entry) throw new Error(`PDF ${request.doc} is not open`);
  const doc = entry.doc;
  const page = await doc.getPage(request.page);
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
    const structure = await structureOf(entry);
    const big = structure && quietly(() => largestImage(structure, request.page - 1));
    if (big && big.width * big.height > request.maxInputPixels) {
      // pdf.js would leave it out and draw an empty page; the model must not be shown that as the page.
      throw new PdfFault(
        `page ${request.page} holds an image of ${big.width}×${big.height} pixels, more than --max-input-pixels ${request.maxInputPixels}`,
      );
    }
    const scan = structure && quietly(() => scanPage(structure, request.page - 1));
    const drawn = (scan && (await fromJpeg(scan, width, height, request.maxInputPixels))) ?? (await draw(page, viewport, width, height));
    const content = await page.getTextContent();
    let text = '';
    for (const item of content.items) {
      if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
    }
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
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  type RenderParameters = Parameters<typeof page.render>[0];
  await page.render({
    canvas: canvas as unknown as RenderParameters['canvas'],
    canvasContext: context as unknown as RenderParameters['canvasContext'],
    viewport,
    background: '#ffffff',
  }).promise;
  const data = context.getImageData(0, 0, width, height).data;
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels: 4 };
}

/** One line naming what is wrong with the file, in the words a user would search for. */
function describe(error: unknown): { message: string; fileFault: boolean } {
  const e = error as { name?: string; message?: string; code?: number };
  const message = String(e?.message ?? error).replace(/\.$/, '');
  if (error instanceof PdfFault) return { message, fileFault: true };
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
