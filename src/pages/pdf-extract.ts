// A scanner's PDF page is usually one JPEG stretched over the page, perhaps
// with an invisible OCR text layer. Such a page is the JPEG: we hand its bytes
// to libvips (fast, shrink-on-load) instead of decoding it in JavaScript and
// drawing it. Anything else, or anything unusual about the image, is rendered.
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, type PDFPage,
} from '@cantoo/pdf-lib';

/** A page that is exactly one JPEG: its bytes and the page's clockwise rotation. */
export interface ScanPage {
  jpeg: Uint8Array;
  rotate: 0 | 90 | 180 | 270;
}

type Token = { kind: 'number'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: string } | { kind: 'other' };

/** The tokens of a content stream; undefined for anything this reader does not follow (inline images). */
export function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  const delimiter = /[\s()<>[\]{}/%]/;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '%') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '(') {
      // A string: balanced parentheses, backslash escapes.
      let depth = 0;
      for (; i < text.length; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '(') depth++;
        else if (text[i] === ')' && --depth === 0) break;
      }
      i++;
      tokens.push({ kind: 'other' });
    } else if (c === '<' && text[i + 1] !== '<') {
      i = text.indexOf('>', i) + 1 || text.length;
      tokens.push({ kind: 'other' });
    } else if (c === '<' || c === '>' || c === '[' || c === ']') {
      i += c === '<' || c === '>' ? 2 : 1;
      tokens.push({ kind: 'other' });
    } else if (c === '/') {
      let j = i + 1;
      while (j < text.length && !delimiter.test(text[j]!)) j++;
      tokens.push({ kind: 'name', value: text.slice(i + 1, j) });
      i = j;
    } else {
      let j = i;
      while (j < text.length && !delimiter.test(text[j]!)) j++;
      if (j === i) return undefined;
      const word = text.slice(i, j);
      i = j;
      if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) tokens.push({ kind: 'number', value: Number(word) });
      else if (word === 'BI' || word === 'ID' || word === 'EI') return undefined;
      else tokens.push({ kind: 'op', value: word });
    }
  }
  return tokens;
}

type Matrix = [number, number, number, number, number, number];
const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
  m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
  m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5],
];

/** Operators that change nothing drawn: colours, line style, rendering intent, flatness. */
const HARMLESS = new Set(['g', 'G', 'rg', 'RG', 'k', 'K', 'cs', 'CS', 'sc', 'SC', 'scn', 'SCN', 'w', 'J', 'j', 'M', 'd', 'ri', 'i']);
const TEXT_STATE = new Set(['Tf', 'Td', 'TD', 'Tm', 'T*', 'Tc', 'Tw', 'Tz', 'TL', 'Ts']);
const SHOW_TEXT = new Set(['Tj', 'TJ', "'", '"']);

/**
 * The one image a content stream paints and where, when painting it is all
 * the stream does that can be seen: graphics states, transforms, harmless
 * state and invisible text (render mode 3, as OCR layers are written).
 */
export function singleImage(tokens: Token[]): { name: string; ctm: Matrix } | undefined {
  interface State { ctm: Matrix; gs: boolean; textMode: number }
  let state: State = { ctm: [1, 0, 0, 1, 0, 0], gs: false, textMode: 0 };
  const stack: State[] = [];
  const operands: Token[] = [];
  let inText = false;
  let found: { name: string; ctm: Matrix } | undefined;
  for (const token of tokens) {
    if (token.kind !== 'op') {
      operands.push(token);
      continue;
    }
    const args = operands.splice(0);
    const nums = args.map((a) => (a.kind === 'number' ? a.value : NaN));
    switch (token.value) {
      case 'q':
        stack.push({ ...state });
        break;
      case 'Q':
        state = stack.pop() ?? state;
        break;
      case 'cm':
        if (nums.length !== 6 || nums.some(Number.isNaN)) return undefined;
        state.ctm = multiply(nums as Matrix, state.ctm);
        break;
      case 'gs':
        // An extended graphics state (opacity, blend, soft mask) must not be in force where the image is painted.
        state.gs = true;
        break;
      case 'Do': {
        const name = args[0];
        if (found || inText || state.gs || name?.kind !== 'name') return undefined;
        found = { name: name.value, ctm: state.ctm };
        break;
      }
      case 'BT':
        inText = true;
        break;
      case 'ET':
        inText = false;
        break;
      case 'Tr':
        state.textMode = nums[0] ?? NaN;
        break;
      default:
        if (HARMLESS.has(token.value)) break;
        if (inText && TEXT_STATE.has(token.value)) break;
        if (inText && SHOW_TEXT.has(token.value) && state.textMode === 3) break;
        return undefined;
    }
  }
  return found;
}

const name = (n: string): PDFName => PDFName.of(n);

/** The JPEG bytes of an image XObject that libvips shows as PDFium would, else undefined. */
function plainJpeg(stream: PDFRawStream, doc: PDFDocument): Uint8Array | undefined {
  const d = stream.dict;
  const filter = d.lookup(name('Filter'));
  const filters = filter instanceof PDFArray ? filter.asArray().map((f) => doc.context.lookup(f)) : [filter];
  if (filters.length !== 1 || filters[0] !== name('DCTDecode')) return undefined;
  if (d.lookup(name('Subtype')) !== name('Image') || d.has(name('SMask')) || d.has(name('Mask')) || d.has(name('Decode'))) return undefined;
  if (d.has(name('DecodeParms')) || d.lookup(name('ImageMask'))?.toString() === 'true') return undefined;
  // Optional content: the renderer may hide it.
  if (d.has(name('OC'))) return undefined;
  const bits = d.lookup(name('BitsPerComponent'));
  if (bits !== undefined && !(bits instanceof PDFNumber && bits.asNumber() === 8)) return undefined;
  // PDFium applies an ICCBased profile; libvips would not see it. Device spaces only.
  const space = d.lookup(name('ColorSpace'));
  return space === name('DeviceRGB') || space === name('DeviceGray') ? stream.contents : undefined;
}

/** Annotations PDFium draws on the page: anything but links and pop-ups without an appearance of their own. */
function hasVisibleAnnotations(page: PDFPage, doc: PDFDocument): boolean {
  const annots = page.node.lookup(name('Annots'));
  if (annots === undefined) return false;
  if (!(annots instanceof PDFArray)) return true;
  return annots.asArray().some((ref) => {
    const a = doc.context.lookup(ref);
    if (!(a instanceof PDFDict)) return false;
    const subtype = a.lookup(name('Subtype'));
    return !(subtype === name('Link') || subtype === name('Popup')) || a.has(name('AP'));
  });
}

/** The pixel count of the largest image the page paints directly (an image bomb would take the thread's memory). */
export function largestImage(doc: PDFDocument, index: number): { width: number; height: number } | undefined {
  const xobjects = doc.getPage(index).node.Resources()?.lookup(name('XObject'));
  if (!(xobjects instanceof PDFDict)) return undefined;
  let largest: { width: number; height: number } | undefined;
  for (const [, ref] of xobjects.entries()) {
    const x = doc.context.lookup(ref);
    if (!(x instanceof PDFRawStream) || x.dict.lookup(name('Subtype')) !== name('Image')) continue;
    const w = x.dict.lookup(name('Width'));
    const h = x.dict.lookup(name('Height'));
    if (!(w instanceof PDFNumber) || !(h instanceof PDFNumber)) continue;
    if (!largest || w.asNumber() * h.asNumber() > largest.width * largest.height) largest = { width: w.asNumber(), height: h.asNumber() };
  }
  return largest;
}

function contentText(page: PDFPage, doc: PDFDocument): string | undefined {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((c) => doc.context.lookup(c)) : [contents];
  let text = '';
  for (const s of streams) {
    if (!(s instanceof PDFRawStream)) return undefined;
    text += `${Buffer.from(decodePDFRawStream(s).decode()).toString('latin1')}\n`;
  }
  return text;
}

/** The page as one JPEG, when it is exactly that: painted over its whole crop box, unrotated in itself. */
export function scanPage(doc: PDFDocument, index: number): ScanPage | undefined {
  const page = doc.getPage(index);
  if (page.node.lookup(name('UserUnit')) !== undefined || hasVisibleAnnotations(page, doc)) return undefined;
  const text = contentText(page, doc);
  const tokens = text === undefined ? undefined : tokenize(text);
  const image = tokens && singleImage(tokens);
  if (!image) return undefined;
  const xobjects = page.node.Resources()?.lookup(name('XObject'));
  const stream = xobjects instanceof PDFDict ? doc.context.lookup(xobjects.get(name(image.name))) : undefined;
  const jpeg = stream instanceof PDFRawStream ? plainJpeg(stream, doc) : undefined;
  if (!jpeg) return undefined;
  // Renderers show the crop box within the media box; a crop box reaching outside it is left to PDFium.
  const box = page.getCropBox();
  const media = page.getMediaBox();
  if (box.x < media.x || box.y < media.y || box.x + box.width > media.x + media.width || box.y + box.height > media.y + media.height) {
    return undefined;
  }
  const [a, b, c, d, e, f] = image.ctm;
  // Half a point: about a pixel at 150 dpi.
  const near = (x: number, y: number): boolean => Math.abs(x - y) <= 0.5;
  if (!(near(a, box.width) && b === 0 && c === 0 && near(d, box.height) && near(e, box.x) && near(f, box.y))) return undefined;
  const rotate = ((page.getRotation().angle % 360) + 360) % 360;
  if (rotate % 90 !== 0) return undefined;
  return { jpeg, rotate: rotate as ScanPage['rotate'] };
}

/** Parses a PDF for scanPage; undefined when it is encrypted (its streams are ciphertext) or does not parse. */
export async function loadForScans(data: Uint8Array, pages: number): Promise<PDFDocument | undefined> {
  try {
    const doc = await PDFDocument.load(data, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
    // Page numbers must mean the same pages as PDFium's.
    return doc.isEncrypted || doc.getPageCount() !== pages ? undefined : doc;
  } catch {
    return undefined;
  }
}
