// PDFs for tests, made here: scanned-style pages (one JPEG each), text pages,
// and broken ones (encrypted, truncated, no pages, a bomb).
import {
  beginText, endText, moveText, PDFDocument, setFontAndSize, setTextRenderingMode, showText, StandardFonts, TextRenderingMode,
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
