// A page's pixels and text from PDFium, and a scanned page's pixels from its
// JPEG (libvips), inside a rendering thread.
import { loadSharp } from '../image/preprocess.js';
import type { ScanPage } from './pdf-extract.js';
import { tidyText, type PdfiumHandle } from './pdfium.js';
import type { RenderedPage } from './pdf-protocol.js';
import { MemoryLimit } from './pdf-worker-errors.js';

const BITMAP_BGR = 2;
const FPDF_ANNOT = 0x01;
const FPDF_REVERSE_BYTE_ORDER = 0x10;

export type Pixels = { pixels: Uint8Array; channels: RenderedPage['channels'] };

/** The scan resized as PDFium would draw it; undefined when libvips will not decode it (PDFium then draws it). */
export async function fromJpeg(scan: ScanPage, width: number, height: number, maxInputPixels: number): Promise<Pixels | undefined> {
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
export function draw(engine: PdfiumHandle, page: number, width: number, height: number): Pixels {
  const { pdfium } = engine;
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
export function pageText(engine: PdfiumHandle, page: number): string {
  const { pdfium } = engine;
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
