// PDFs for tests, made here: scanned-style pages (one JPEG each), text pages,
// and broken ones (encrypted, truncated, no pages, a bomb).
import {
  beginText, endText, moveText, PDFDocument, rgb, setFontAndSize, setTextRenderingMode, showText, StandardFonts, TextRenderingMode,
} from '@cantoo/pdf-lib';
import { rawPdf } from '../../src/pages/raw-pdf.js';
import { noiseImage } from './images.js';

export { rawPdf };

export type PageSpec =
  | { kind: 'scan'; seed: number; width?: number; height?: number }
  | { kind: 'text'; text: string }
  | { kind: 'blank'; width: number; height: number };

/** A4 in points. */
const A4: [number, number] = [595, 842];

/** A scan: a JPEG of noise drawn over the whole page, as a scanner's PDF holds it. */
export async function scanJpeg(seed: number, width = 620, height = 877): Promise<Buffer> {
  return noiseImage(width, height, seed).jpeg({ quality: 80 }).toBuffer();
}

export async function makePdf(pages: PageSpec[], options: { ocrLayer?: string } = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    if (spec.kind === 'blank') {
      doc.addPage([spec.width, spec.height]);
      continue;
    }
    const page = doc.addPage(A4);
    if (spec.kind === 'scan') {
      const image = await doc.embedJpg(await scanJpeg(spec.seed, spec.width, spec.height));
      page.drawImage(image, { x: 0, y: 0, width: A4[0], height: A4[1] });
      // An OCR layer as OCRmyPDF writes one: text in render mode 3, invisible.
      if (options.ocrLayer) {
        const key = page.node.newFontDictionary(font.name, font.ref);
        page.pushOperators(
          beginText(), setTextRenderingMode(TextRenderingMode.Invisible), setFontAndSize(key, 12), moveText(40, 780),
          showText(font.encodeText(options.ocrLayer)), endText(),
        );
      }
    } else {
      page.drawText(spec.text, { x: 50, y: 760, size: 18, font, lineHeight: 24 });
    }
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/**
 * A PDF whose standard security handler needs a user password: the /U entry
 * does not match the empty password, so no reader can open it without one.
 */
/**
 * Born-digital pages, drawn rather than scanned: 30 lines of text in three
 * standard fonts, a bar chart, an ellipse, a dashed rule and a curve on each.
 */
export async function makeVectorPdf(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const fonts = [StandardFonts.Helvetica, StandardFonts.TimesRoman, StandardFonts.Courier];
  const embedded = await Promise.all(fonts.map((f) => doc.embedFont(f)));
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage(A4);
    page.drawText(`Report page ${p + 1}: quarterly figures`, { x: 50, y: 790, size: 20, font: embedded[0] });
    for (let l = 0; l < 30; l++) {
      const text = `Line ${l + 1} of page ${p + 1}. The quick brown fox jumps over the lazy dog ${p * 31 + l}.`;
      page.drawText(text, { x: 50, y: 750 - l * 14, size: 10, font: embedded[l % 3] });
    }
    for (let k = 0; k < 12; k++) {
      const height = 20 + ((k * 37 + p * 11) % 150);
      page.drawRectangle({ x: 50 + k * 40, y: 200, width: 30, height, color: rgb(((k * 20) % 255) / 255, 0.4, 0.7), borderColor: rgb(0, 0, 0), borderWidth: 0.5 });
    }
    page.drawEllipse({ x: 450, y: 110, xScale: 60, yScale: 40, color: rgb(0.9, 0.6, 0.1), borderColor: rgb(0.2, 0.2, 0.2), borderWidth: 2 });
    page.drawLine({ start: { x: 50, y: 180 }, end: { x: 545, y: 180 }, thickness: 1, dashArray: [4, 2], color: rgb(0.3, 0.3, 0.3) });
    page.drawSvgPath('M 0 0 C 40 -80 120 -80 160 0 S 280 80 320 0 L 320 60 L 0 60 Z', {
      x: 60, y: 160, color: rgb(0.2, 0.6, 0.3), borderColor: rgb(0, 0, 0.5), borderWidth: 1, scale: 0.9,
    });
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

export async function makeEncryptedPdf(): Promise<Buffer> {
  const plain = (await makePdf([{ kind: 'text', text: 'secret' }])).toString('latin1');
  const hex = (n: number, fill: string): string => `<${fill.repeat(n)}>`;
  const encrypt = `<< /Filter /Standard /V 1 /R 2 /Length 40 /O ${hex(32, 'ab')} /U ${hex(32, 'cd')} /P -44 >>`;
  // Trailer: point /Encrypt at a direct dictionary and add the /ID the handler hashes.
  const patched = plain.replace(/trailer\s*<</, `trailer\n<< /Encrypt ${encrypt} /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]`);
  if (patched === plain) throw new Error('no trailer to patch');
  return Buffer.from(patched, 'latin1');
}

/** The PDF with every offset in its cross-reference table wrong (readers rebuild it by scanning the file). */
export function corruptXref(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const start = text.lastIndexOf('\nxref');
  if (start < 0) throw new Error('no xref table');
  return Buffer.from(text.slice(0, start) + text.slice(start).replace(/^\d{10} 00000 n/gm, '0000000009 00000 n'), 'latin1');
}

/** The first `fraction` of a PDF's bytes: the xref table and trailer are gone. */
export function truncate(pdf: Buffer, fraction: number): Buffer {
  return pdf.subarray(0, Math.floor(pdf.length * fraction));
}

/** A PDF of `count` empty pages, each `size` points square: a bomb by count or by size. */
export async function makeBomb(count: number, size: number): Promise<Buffer> {
  return makePdf(Array.from({ length: count }, () => ({ kind: 'blank' as const, width: size, height: size })));
}

/** A PDF whose page tree has no pages (pdf-lib would add a blank one). */
export function makeEmptyPdf(): Buffer {
  return rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']);
}

/** A stream object's body: the dictionary entries given, its /Length, and the content. */
function stream(dict: string, content: string): string {
  return `<< ${dict} /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
}

/**
 * One page filled with a tiling pattern whose tile paints a form that fills
 * itself twice with the next pattern, `depth` deep: 2^depth tiles to draw, and
 * each level's tile a canvas of its own. `scale` (each pattern's /Matrix)
 * above 1 makes every level's canvas large: then memory runs out before time.
 */
export function makeNestedTilingPdf(depth = 40, scale = 4): Buffer {
  // Objects: 1 catalog, 2 pages, 3 page, 4 contents, then pattern k at 5 + 2k and its form at 6 + 2k.
  const pattern = (k: number): number => 5 + 2 * k;
  const form = (k: number): number => 6 + 2 * k;
  const bodies = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Pattern << /P ${pattern(0)} 0 R >> >> /Contents 4 0 R >>`,
    stream('', '/Pattern cs /P scn 0 0 612 792 re f'),
  ];
  for (let k = 0; k < depth; k++) {
    bodies.push(stream(
      `/Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 100 100] /XStep 100 /YStep 100 /Matrix [${scale} 0 0 ${scale} 0 0] ` +
        `/Resources << /XObject << /F ${form(k)} 0 R >> >>`,
      '/F Do',
    ));
    const inner = k + 1 < depth
      ? stream(`/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /Pattern << /P ${pattern(k + 1)} 0 R >> >>`,
        '/Pattern cs /P scn 0 0 100 100 re f /Pattern cs /P scn 10 10 50 50 re f')
      : stream('/Type /XObject /Subtype /Form /BBox [0 0 100 100]', '0.5 g 0 0 100 100 re f');
    bodies.push(inner);
  }
  return rawPdf(bodies);
}

/** A page drawing a form that fills with a pattern whose tile draws the form again: a cycle no reader can finish. */
export function makeCyclicPdf(): Buffer {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /A 5 0 R >> >> /Contents 4 0 R >>',
    stream('', '/A Do'),
    // Form A fills with pattern P and draws form B; B draws A: both ways round.
    stream('/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Pattern << /P 7 0 R >> /XObject << /B 6 0 R >> >>',
      '/Pattern cs /P scn 0 0 612 792 re f /B Do'),
    stream('/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /A 5 0 R >> >>', '/A Do /A Do'),
    stream('/Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 50 50] /XStep 50 /YStep 50 /Resources << /XObject << /A 5 0 R >> >>',
      '/A Do /A Do'),
  ]);
}

/** The PDF with `junk` bytes before its %PDF- header (offsets stay relative to the header, as readers take them). */
export function withJunkBefore(pdf: Buffer, junk = 'junk\r\n\x00\xff junk before the header\n'): Buffer {
  return Buffer.concat([Buffer.from(junk, 'latin1'), pdf]);
}

/** A one-page text PDF with a number too large for pdf-lib to read without a warning. */
export function makeWarningPdf(text = 'warns'): Buffer {
  const content = `BT /F1 18 Tf 50 700 Td (${text}) Tj ET`;
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R /Huge 77777777777777777 >>',
    stream('', content),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]);
}

/**
 * One page of Chinese text in a font the PDF names but does not embed
 * (SimSun, as older Chinese office PDFs do), and a line of Latin text in Arial,
 * also not embedded.
 */
export function makeUnembeddedCjkPdf(text = '中文文本'): Buffer {
  const hex = [...text].map((c) => c.codePointAt(0)!.toString(16).padStart(4, '0')).join('');
  const content = `BT /F1 48 Tf 20 40 Td <${hex}> Tj ET BT /F2 20 Tf 20 10 Td (Arial text) Tj ET`;
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 240 100] /Resources << /Font << /F1 5 0 R /F2 8 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>',
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 >>',
    '<< /Type /FontDescriptor /FontName /SimSun /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
    '<< /Type /Font /Subtype /TrueType /BaseFont /Arial /Encoding /WinAnsiEncoding >>',
  ]);
}
