// Scanned pages taken straight from their JPEG: only when the page is exactly
// that image, and then the same picture PDFium would draw.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { degrees, PDFDict, PDFDocument, PDFName, PDFRawStream, StandardFonts } from '@cantoo/pdf-lib';
import sharp from 'sharp';
import type * as PoolModule from '../src/pages/pdf-pool.js';
import { loadForScans, scanPage, singleImage, tokenize } from '../src/pages/pdf-extract.js';
import { startPdfium, tidyText } from '../src/pages/pdfium.js';
import { makePdf, makeVectorPdf, rawPdf, scanJpeg } from './helpers/pdfs.js';

// The built pool: its worker thread runs dist/ (worker threads do not take the tsx loader).
const built = new URL('../dist/pages/pdf-pool.js', import.meta.url).href;
const { PdfPool } = (await import(built)) as typeof PoolModule;
const pool = new PdfPool(100_000_000, 1);
after(() => pool.close());

async function load(pdf: Buffer): Promise<PDFDocument> {
  const doc = await loadForScans(pdf, (await PDFDocument.load(pdf)).getPageCount());
  assert.ok(doc);
  return doc;
}

/** A page holding one JPEG drawn at `box` (x, y, w, h) on an A4 page, optionally with the page rotated. */
async function oneImagePdf(box: [number, number, number, number], rotate = 0, extra?: (doc: PDFDocument) => Promise<void>): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const image = await doc.embedJpg(await scanJpeg(5, 400, 566));
  const page = doc.addPage([595, 842]);
  page.drawImage(image, { x: box[0], y: box[1], width: box[2], height: box[3] });
  if (rotate) page.setRotation(degrees(rotate));
  const saved = await doc.save({ useObjectStreams: false });
  if (!extra) return Buffer.from(saved);
  // Changed after a save, once the image is written as a stream.
  const again = await PDFDocument.load(saved);
  await extra(again);
  return Buffer.from(await again.save({ useObjectStreams: false }));
}

/** The dictionary of the first image on the first page. */
function imageDict(doc: PDFDocument): PDFDict {
  const xobjects = doc.getPage(0).node.Resources()?.lookup(PDFName.of('XObject'), PDFDict);
  const first = xobjects?.entries()[0]?.[1];
  const stream = first && doc.context.lookup(first);
  assert.ok(stream instanceof PDFRawStream);
  return stream.dict;
}

/** PDFium drawing the whole page at 72 dpi, as RGB: what the pool would do were the page not a scan. */
async function drawnByPdfium(pdf: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const engine = await startPdfium(256, () => undefined);
  const { pdfium } = engine;
  const pointer = engine.malloc(pdf.length);
  engine.heap().set(pdf, pointer);
  const doc = pdfium.FPDF_LoadMemDocument(pointer, pdf.length, '');
  const page = pdfium.FPDF_LoadPage(doc, 0);
  const width = Math.round(pdfium.FPDF_GetPageWidthF(page));
  const height = Math.round(pdfium.FPDF_GetPageHeightF(page));
  // BGRA, drawn on white.
  const bitmap = pdfium.FPDFBitmap_CreateEx(width, height, 4, 0, 0);
  pdfium.FPDFBitmap_FillRect(bitmap, 0, 0, width, height, 0xffffffff);
  pdfium.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, 0);
  const stride = pdfium.FPDFBitmap_GetStride(bitmap);
  const bgra = Buffer.from(engine.heap().subarray(pdfium.FPDFBitmap_GetBuffer(bitmap), pdfium.FPDFBitmap_GetBuffer(bitmap) + stride * height));
  pdfium.FPDFBitmap_Destroy(bitmap);
  pdfium.FPDF_ClosePage(page);
  pdfium.FPDF_CloseDocument(doc);
  engine.free(pointer);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = y * stride + x * 4;
      const to = (y * width + x) * 3;
      data[to] = bgra[from + 2]!;
      data[to + 1] = bgra[from + 1]!;
      data[to + 2] = bgra[from]!;
    }
  }
  return { data, width, height };
}

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('scanned pages taken from their JPEG', () => {
  it('reads content streams: one image painted, invisible text allowed, anything visible refused', () => {
    const image = (s: string) => singleImage(tokenize(s) ?? []);
    assert.deepEqual(image('q 595 0 0 842 0 0 cm /Im0 Do Q'), { name: 'Im0', ctm: [595, 0, 0, 842, 0, 0] });
    assert.ok(image('q 2 0 0 2 0 0 cm 100 0 0 100 10 20 cm /Im0 Do Q BT 3 Tr /F1 12 Tf (hidden \\) text) Tj [(a) -20 (b)] TJ ET'));
    assert.equal(image('q 595 0 0 842 0 0 cm /Im0 Do Q BT /F1 12 Tf (shown) Tj ET'), undefined, 'visible text');
    assert.equal(image('q 595 0 0 842 0 0 cm /Im0 Do Q 0 0 10 10 re f'), undefined, 'a filled rectangle');
    assert.equal(image('q /GS0 gs 595 0 0 842 0 0 cm /Im0 Do Q'), undefined, 'an extended graphics state on the image');
    assert.equal(image('q 0 0 100 100 re W n 595 0 0 842 0 0 cm /Im0 Do Q'), undefined, 'a clip');
    assert.equal(image('/Im0 Do /Im1 Do'), undefined, 'two images');
    assert.equal(tokenize('BI /W 1 /H 1 ID x EI'), undefined, 'inline image');
  });

  it('takes a full-page JPEG as it is, rotation included; a partial one, or a text page, is drawn', async () => {
    const jpeg = await scanJpeg(5, 400, 566);
    const full = await load(await oneImagePdf([0, 0, 595, 842]));
    assert.deepEqual(Buffer.from(scanPage(full, 0)?.jpeg ?? []), jpeg);
    assert.equal(scanPage(await load(await oneImagePdf([0, 0, 595, 842], 90)), 0)?.rotate, 90);
    assert.equal(scanPage(await load(await oneImagePdf([10, 10, 500, 800])), 0), undefined);
    assert.equal(scanPage(await load(await makePdf([{ kind: 'text', text: 'x' }])), 0), undefined);
    const captioned = await oneImagePdf([0, 0, 595, 842], 0, async (doc) => {
      doc.getPage(0).drawText('caption', { x: 10, y: 10, size: 12, font: await doc.embedFont(StandardFonts.Helvetica) });
    });
    assert.equal(scanPage(await load(captioned), 0), undefined);
    assert.ok(scanPage(await load(await makePdf([{ kind: 'scan', seed: 1 }], { ocrLayer: 'OCR text' })), 0));
  });

  it('leaves to PDFium a scan with an annotation, optional content, an ICC profile or a crop box past the media box', async () => {
    const variants: Record<string, (doc: PDFDocument) => void> = {
      annotation: (doc) => {
        const square = doc.context.register(doc.context.obj({ Type: 'Annot', Subtype: 'Square', Rect: [0, 0, 100, 100], IC: [0, 0, 0] }));
        doc.getPage(0).node.set(PDFName.of('Annots'), doc.context.obj([square]));
      },
      'optional content': (doc) => imageDict(doc).set(PDFName.of('OC'), doc.context.register(doc.context.obj({ Type: 'OCG', Name: 'x' }))),
      'ICC profile': (doc) => {
        const profile = doc.context.register(doc.context.flateStream(new Uint8Array(16), { N: 3 }));
        imageDict(doc).set(PDFName.of('ColorSpace'), doc.context.obj([PDFName.of('ICCBased'), profile]));
      },
      'crop box past the media box': (doc) => {
        const page = doc.getPage(0);
        page.setCropBox(0, 0, 700, 900);
        page.setMediaBox(0, 0, 595, 842);
      },
    };
    for (const [what, change] of Object.entries(variants)) {
      const pdf = await oneImagePdf([0, 0, 595, 842], 0, async (doc) => change(doc));
      assert.equal(scanPage(await load(pdf), 0), undefined, what);
    }
    // The same page untouched is taken from its JPEG.
    assert.ok(scanPage(await load(await oneImagePdf([0, 0, 595, 842])), 0));
  });

  it('gives the picture PDFium draws, for upright and rotated pages', async () => {
    for (const rotate of [0, 90, 270]) {
      const pdf = await oneImagePdf([0, 0, 595, 842], rotate);
      const doc = await pool.open(pdf);
      const page = await doc.render(1, { dpi: 72, maxPixels: 10_000_000 });
      await doc.close();
      const reference = await drawnByPdfium(pdf);
      assert.deepEqual([page.width, page.height], [reference.width, reference.height], `rotate ${rotate}`);
      const rgb = page.channels === 3 ? page.pixels : await sharp(Buffer.from(page.pixels), { raw: { width: page.width, height: page.height, channels: page.channels } }).removeAlpha().raw().toBuffer();
      // Both resample the same JPEG (libvips and PDFium): a level or two apart on average, never another picture.
      assert.ok(meanDifference(rgb, reference.data) < 4, `rotate ${rotate}: mean difference ${meanDifference(rgb, reference.data)}`);
    }
  });
});

describe('a PDF that keeps the renderer busy', () => {
  it('fails its file after the CPU limit; a document sharing its thread is reopened on a new one and goes on', async () => {
    const quick = new PdfPool(100_000_000, 1, { cpuSeconds: 1.5 });
    try {
      const innocent = await quick.open(await makePdf([{ kind: 'text', text: 'one' }, { kind: 'text', text: 'two' }]));
      assert.equal((await innocent.render(1, { dpi: 72, maxPixels: 1_000_000 })).width, 595);
      // 600,000 tiny filled rectangles: about 6 s of PDFium's drawing on one core, 4 times the limit.
      const content = '0 g\n' + '1 1 1 1 re f\n'.repeat(600_000);
      const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R >>';
      const slow = rawPdf([
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>',
        page,
        page,
        `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
      ]);
      const doc = await quick.open(slow);
      const gaveUp = (e: Error) => e.name === 'DocumentLimit' && /page 1 used more than 1.5 s of CPU rendering \(--render-cpu-limit 1.5\)/.test(e.message);
      await assert.rejects(doc.render(1, { dpi: 72, maxPixels: 1_000_000 }), gaveUp);
      // The rest of the file is not tried: page 2 fails with page 1's reason.
      await assert.rejects(doc.render(2, { dpi: 72, maxPixels: 1_000_000 }), gaveUp);
      await doc.close();
      assert.equal((await innocent.render(2, { dpi: 72, maxPixels: 1_000_000 })).width, 595);
      await innocent.close();
    } finally {
      await quick.close();
    }
  });
});

describe('the text layer, as PDFium reads it', () => {
  it('gives a born-digital page its lines in order', async () => {
    const doc = await pool.open(await makeVectorPdf(2));
    try {
      const page = await doc.render(2, { dpi: 72, maxPixels: 1_000_000 });
      const lines = page.text.split('\n');
      assert.equal(lines[0], 'Report page 2: quarterly figures');
      assert.equal(lines[1], 'Line 1 of page 2. The quick brown fox jumps over the lazy dog 31.');
      assert.equal(lines.length, 31);
    } finally {
      await doc.close();
    }
  });

  it('joins a word split by a hyphen at a line end, ends lines with LF, and drops control characters', () => {
    assert.equal(tidyText('manip\uFFFEulation of the\r\nsecond line \r\nthird\u0002'), 'manipulation of the\nsecond line\nthird');
  });
});
