// An image's content identity: a digest of what reaches the model, blind to the
// metadata that archives write back into their files (EXIF, XMP, IPTC, comments,
// PNG text). The orientation is metadata that does change what the model sees, so
// it is part of the identity; so is an ICC profile (colour conversion). A file
// that cannot be read this way (another format, or not well formed) has none,
// and is known by its file hash alone.
import { createHash } from 'node:crypto';
import { tiffOrder } from './tiff-order.js';

/** Bumped when the rule changes, so identities of two rules never match. */
const RULE = 'content-v1';

/** The identity of `data`, or undefined where only the file hash can tell. */
export function contentIdentity(data: Buffer): string | undefined {
  try {
    if (isJpeg(data)) return jpegIdentity(data);
    if (isPng(data)) return pngIdentity(data);
    if (isWebp(data)) return webpIdentity(data);
  } catch (error) {
    if (error instanceof Malformed) return undefined;
    throw error;
  }
  return undefined;
}

class Malformed extends Error {}

function need(ok: boolean): void {
  if (!ok) throw new Malformed();
}

/** The identity of the kept byte ranges of an image of `kind` shown at `orientation`. */
function digest(kind: string, orientation: number, kept: readonly Buffer[]): string {
  const hash = createHash('sha256').update(`${RULE}\0${kind}\0${orientation}\0`);
  for (const part of kept) hash.update(part);
  return `${kind}:${hash.digest('hex')}`;
}

const isJpeg = (d: Buffer): boolean => d.length > 4 && d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff;

/** JPEG markers left out: APP1 (EXIF, XMP), APP13 (IPTC, Photoshop), COM. */
const JPEG_METADATA = new Set([0xe1, 0xed, 0xfe]);

/** Every segment before the first scan but the metadata ones, then the scans and the rest as they are. */
function jpegIdentity(d: Buffer): string {
  const kept: Buffer[] = [d.subarray(0, 2)];
  let orientation = 1;
  let pos = 2;
  for (;;) {
    need(pos + 1 < d.length && d[pos] === 0xff);
    while (d[pos + 1] === 0xff) pos++; // fill bytes
    const marker = d[pos + 1] as number;
    if (marker === 0xda || marker === 0xd9) {
      kept.push(d.subarray(pos));
      break;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push(d.subarray(pos, pos + 2));
      pos += 2;
      continue;
    }
    need(pos + 4 <= d.length);
    const end = pos + 2 + d.readUInt16BE(pos + 2);
    need(end <= d.length && end > pos + 3);
    if (marker === 0xe1 && d.toString('latin1', pos + 4, pos + 10) === 'Exif\0\0') {
      orientation = exifOrientation(d.subarray(pos + 10, end)) ?? orientation;
    }
    if (!JPEG_METADATA.has(marker)) kept.push(d.subarray(pos, end));
    pos = end;
  }
  return digest('jpeg', orientation, kept);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isPng = (d: Buffer): boolean => d.length > 8 && d.subarray(0, 8).equals(PNG_SIGNATURE);
/** PNG chunks left out: text, the modification time and EXIF. */
const PNG_METADATA = new Set(['tEXt', 'zTXt', 'iTXt', 'tIME', 'eXIf']);

function pngIdentity(d: Buffer): string {
  const kept: Buffer[] = [];
  let orientation = 1;
  let pos = 8;
  while (pos < d.length) {
    need(pos + 12 <= d.length);
    const length = d.readUInt32BE(pos);
    const type = d.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + length;
    need(end <= d.length);
    if (type === 'eXIf') orientation = exifOrientation(d.subarray(pos + 8, pos + 8 + length)) ?? orientation;
    if (!PNG_METADATA.has(type)) kept.push(d.subarray(pos, end));
    pos = end;
    if (type === 'IEND') break;
  }
  return digest('png', orientation, kept);
}

const isWebp = (d: Buffer): boolean => d.length > 12 && d.toString('latin1', 0, 4) === 'RIFF' && d.toString('latin1', 8, 12) === 'WEBP';
/** VP8X flag bits that only say whether EXIF (0x08) and XMP (0x04) chunks follow. */
const VP8X_METADATA_FLAGS = 0x08 | 0x04;

/**
 * The chunks but EXIF and XMP, with VP8X's metadata flags cleared (and VP8X left out where it has
 * nothing else to say); the RIFF size, which they change, is left out.
 */
function webpIdentity(d: Buffer): string {
  const kept: Buffer[] = [];
  let orientation = 1;
  let pos = 12;
  while (pos + 8 <= d.length) {
    const type = d.toString('latin1', pos, pos + 4);
    const size = d.readUInt32LE(pos + 4);
    const end = pos + 8 + size + (size % 2);
    need(pos + 8 + size <= d.length);
    const body = d.subarray(pos + 8, pos + 8 + size);
    if (type === 'EXIF') {
      // Some writers keep JPEG's "Exif\0\0" before the TIFF header.
      orientation = exifOrientation(body.toString('latin1', 0, 6) === 'Exif\0\0' ? body.subarray(6) : body) ?? orientation;
    } else if (type === 'VP8X') {
      need(size >= 1);
      const header = Buffer.from(body);
      header[0] = (header[0] as number) & ~VP8X_METADATA_FLAGS;
      // With no flag left (no ICC profile, alpha or animation) it is only there for the metadata:
      // exiftool adds it to a simple WebP, whose image is then the same.
      if (header[0] !== 0) kept.push(d.subarray(pos, pos + 8), header);
    } else if (type !== 'XMP ') {
      kept.push(d.subarray(pos, pos + 8 + size));
    }
    pos = end;
  }
  return digest('webp', orientation, kept);
}

/** The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block; undefined when absent or unreadable. */
function exifOrientation(tiff: Buffer): number | undefined {
  const read = tiff.length < 8 ? undefined : tiffOrder(tiff);
  if (!read) return undefined;
  const { u16, u32 } = read;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > tiff.length) return undefined;
    // SHORT (3), one value, stored in the first two bytes of the value field.
    if (u16(at) === 0x0112 && u16(at + 2) === 3) return u16(at + 8);
  }
  return undefined;
}
