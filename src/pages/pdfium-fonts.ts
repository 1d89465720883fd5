// PDFium's questions about installed fonts (fpdf_sysfontinfo.h), answered
// from the faces pdf-fonts.ts finds. The callbacks run inside PDFium's
// rendering, on the rendering thread, synchronously.
import { faceData, normal, pickFace, type InstalledFace } from './pdf-fonts.js';
import type { PdfiumHandle } from './pdfium.js';

/**
 * Hands PDFium an FPDF_SYSFONTINFO (fpdf_sysfontinfo.h, version 1) whose
 * callbacks answer from `faces`, listed on first use.
 */
export function provideFonts(engine: PdfiumHandle, list: () => InstalledFace[]): void {
  const { pdfium } = engine;
  const module = pdfium.pdfium;
  let faces: InstalledFace[] | undefined;
  const all = (): InstalledFace[] => (faces ??= list());
  const cache: { file?: string; data?: Buffer } = {};
  const charsetOf = new Map<number, number>();
  const view = (): DataView => new DataView(engine.heap().buffer);
  const cString = (at: number): string => {
    const heap = engine.heap();
    let end = at;
    while (heap[end] !== 0 && end < heap.length) end++;
    return Buffer.from(heap.subarray(at, end)).toString('latin1');
  };
  const handle = (pick: { index: number; exact: boolean } | undefined, charset: number): number => {
    if (!pick) return 0;
    charsetOf.set(pick.index + 1, charset);
    return pick.index + 1;
  };
  const faceAt = (h: number): InstalledFace | undefined => all()[h - 1];
  const callbacks: [(...args: number[]) => number | void, string][] = [
    // Release
    [() => undefined, 'vi'],
    // EnumFonts: every face under each charset it covers, for PDFium's name matching.
    [(_self, mapper) => {
      for (const face of all()) {
        const bytes = Buffer.from(`${face.family}\0`, 'latin1');
        const at = engine.malloc(bytes.length);
        if (!at) return;
        engine.heap().set(bytes, at);
        for (const charset of face.charsets) pdfium.FPDF_AddInstalledFont(mapper!, at, charset);
        engine.free(at);
      }
    }, 'vii'],
    // MapFont(weight, italic, charset, pitch family, face, *exact)
    [(_self, _weight, _italic, charset, pitch, face, exact) => {
      const pick = pickFace(all(), cString(face!), charset!, pitch!);
      if (exact && pick) view().setInt32(exact, pick.exact ? 1 : 0, true);
      return handle(pick, charset!);
    }, 'iiiiiiii'],
    // GetFont(face)
    [(_self, face) => {
      const wanted = normal(cString(face!));
      const index = all().findIndex((f) => normal(f.family) === wanted);
      return handle(index >= 0 ? { index, exact: true } : undefined, all()[index]?.charsets[0] ?? 0);
    }, 'iii'],
    // GetFontData(font, table, buffer, size): the size wanted; the bytes when they fit.
    [(_self, font, table, buffer, size) => {
      const face = faceAt(font!);
      const data = face && faceData(face, table! >>> 0, cache);
      if (!data) return 0;
      if (buffer) engine.heap().set(data.subarray(0, Math.min(size! >>> 0, data.length)), buffer);
      return data.length;
    }, 'iiiiii'],
    // GetFaceName(font, buffer, size): with its NUL, as PDFium's own implementation counts it.
    [(_self, font, buffer, size) => {
      const face = faceAt(font!);
      if (!face) return 0;
      const bytes = Buffer.from(`${face.family}\0`, 'latin1');
      if (buffer && bytes.length <= size! >>> 0) engine.heap().set(bytes, buffer);
      return bytes.length;
    }, 'iiiii'],
    // GetFontCharset(font)
    [(_self, font) => charsetOf.get(font!) ?? faceAt(font!)?.charsets[0] ?? 0, 'iii'],
    // DeleteFont: faces are not per handle; the file read last is kept for the next question.
    [() => undefined, 'vii'],
  ];
  const info = engine.malloc(4 * (1 + callbacks.length));
  if (!info) throw new Error('PDFium: no memory for the font interface');
  const v = view();
  v.setInt32(info, 1, true);
  callbacks.forEach(([fn, signature], i) => {
    v.setInt32(info + 4 * (i + 1), module.addFunction(fn as (...args: unknown[]) => unknown, signature), true);
  });
  pdfium.FPDF_SetSystemFontInfo(info);
}
