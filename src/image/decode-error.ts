// One-line reasons for image decode failures: sharp/libvips messages cleaned of
// libvips' error-buffer noise, and formats the prebuilt sharp lacks named with
// what would make them work.

import { t } from '../i18n/index.js';

const SHARP_INSTALL = 'https://sharp.pixelplumbing.com/install';

/** How to read each format the prebuilt sharp lacks, in the reader's language; shared with glm-vision doctor. */
export function missingFormatFix(format: string): string | undefined {
  if (format === 'HEIC') return t('image:fix.heic', { url: SHARP_INSTALL });
  if (format === 'BMP') return t('image:fix.bmp', { url: SHARP_INSTALL });
  return undefined;
}

const UNSUPPORTED = {
  heic: 'HEIC (HEVC) images cannot be decoded by the prebuilt sharp: convert them to JPEG, or see glm-vision doctor',
  bmp:
    'BMP images cannot be decoded by the prebuilt sharp (its libvips has no BMP loader): convert them to PNG ' +
    '(magick IN.bmp OUT.png), or install sharp against a system libvips with ImageMagick support (magickload); see glm-vision doctor',
  ojpeg:
    'old-style JPEG-in-TIFF (OJPEG, TIFF compression 6) cannot be decoded by the prebuilt sharp (its libtiff has no OJPEG codec): ' +
    'convert it to PNG (magick IN.tif OUT.png), or install sharp against a system libvips whose libtiff reads OJPEG',
};

/** Lines libvips leaves in the buffer that never name the cause. */
const NOISE = [
  /^source: bad seek/, // read-retry noise before the real cause
  /Unknown pseudo-tag \d+/, // libtiff, after a codec it lacks
  /^(Warning treated as error due to failOn setting|Unknown error)$/, // sharp, when the buffer was empty
  /^[\w ]+:$/, // a libvips domain with nothing after it
];

/** sharp's prefixes that wrap a libvips cause. */
const WRAPPERS = /^\s*Input (?:buffer|file) has corrupt header:\s*/;

/**
 * The line of a sharp error naming the cause, cleaned: no noise, no repeats,
 * no trailing colon, no empty wrapper ('' when nothing is left).
 */
export function decodeErrorCause(error: unknown): string {
  const lines = messageOf(error).split('\n').map((l) => l.trim().replace(WRAPPERS, '').trim());
  const useful = lines.filter((l) => l !== '' && !NOISE.some((n) => n.test(l)));
  // libvips appends the failure that ended the operation last.
  return stripColon(useful.at(-1) ?? '');
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : '';
}

function stripColon(text: string): string {
  return text.replace(/[\s:]+$/, '');
}

/** True when an error's text says nothing of its cause (lost to a neighbour's decode). */
export function lostCause(error: unknown): boolean {
  return decodeErrorCause(error) === '';
}

/** The container a buffer's first bytes name, or undefined. */
export function sniffFormat(data: Buffer | undefined): string | undefined {
  if (!data || data.length < 4) return undefined;
  const ascii = data.subarray(0, 12).toString('latin1');
  if (isBmp(data)) return 'BMP';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'JPEG';
  if (ascii.startsWith('\x89PNG')) return 'PNG';
  if (ascii.startsWith('GIF8')) return 'GIF';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'WebP';
  if (/^(II\*\0|MM\0\*|II\+\0|MM\0\+)/.test(ascii)) return 'TIFF';
  if (ascii.slice(4, 8) === 'ftyp') return 'HEIF';
  return undefined;
}

/** "BM", the file size or 0, and a known DIB header size: a Windows bitmap. */
function isBmp(data: Buffer): boolean {
  if (data.length < 18 || data.toString('latin1', 0, 2) !== 'BM') return false;
  return [12, 16, 40, 52, 56, 64, 108, 124].includes(data.readUInt32LE(14));
}

/** TIFF compression 6: old-style JPEG, which libtiff names in its messages. */
const OJPEG = /Old-style JPEG compression support is not configured/i;

/**
 * A one-line reason for a decode failure, shared by every image path. `data`,
 * when given, lets the reason name the format libvips would not recognise.
 */
export function describeDecodeError(error: unknown, data?: Buffer): string {
  const full = messageOf(error);
  const message = decodeErrorCause(error);
  if (/compression format has not been built in: HEVC/i.test(message)) return UNSUPPORTED.heic;
  if (OJPEG.test(full)) return UNSUPPORTED.ojpeg;
  if (/unsupported image format/i.test(message)) {
    const format = sniffFormat(data);
    if (format === 'BMP') return UNSUPPORTED.bmp;
    // libvips tries a loader only when it can read the file's header.
    if (format !== undefined) return `corrupt or truncated ${format}: libvips cannot read its header`;
    return 'not an image, or a format sharp cannot decode';
  }
  const header = WRAPPERS.test(full);
  if (message === '') return `${header ? 'corrupt or truncated image' : 'cannot decode image'}: libvips gave no reason`;
  if (/pixel limit/i.test(message)) return `image too large: ${message}`;
  if (header || /premature end|truncated|unexpected end|Invalid SOS|VipsJpeg|read error|seek error|not enough data|decoding error|not yet in table|Not a JPEG file/i.test(message)) {
    return `corrupt or truncated image: ${message}`;
  }
  return `cannot decode image: ${message}`;
}
