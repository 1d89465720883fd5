// A single-image TIFF's content identity. A TIFF's tags point anywhere in the file, and exiftool
// moves the image data when it rewrites them, so no byte range stays put: the identity is the
// decoded pixels of its first image (as stored, before rotation), with the orientation and the ICC
// profile, which change what the model sees. It costs a decode, paid only when the file hash missed.
import { createHash } from 'node:crypto';
import { loadSharp } from './preprocess.js';
import { shared } from './sharp-gate.js';

/** Bumped when the rule changes, so identities of two rules never match. */
const RULE = 'tiff-pixels-v1';

/** The identity of a TIFF, or undefined when it cannot be decoded within `maxInputPixels`. */
export async function tiffIdentity(data: Buffer, maxInputPixels: number): Promise<string | undefined> {
  const sharp = await loadSharp();
  try {
    const input = { page: 0, limitInputPixels: maxInputPixels, failOn: 'error' as const };
    const meta = await shared(() => sharp(data, input).metadata());
    const { data: pixels, info } = await shared(() => sharp(data, input).raw().toBuffer({ resolveWithObject: true }));
    const hash = createHash('sha256')
      .update(`${RULE}\0${meta.orientation ?? 1}\0${info.width}x${info.height}x${info.channels}\0${meta.depth ?? ''}\0`)
      .update(meta.icc ?? Buffer.alloc(0))
      .update('\0')
      .update(pixels);
    return `tiff:${hash.digest('hex')}`;
  } catch {
    // Its own failure shows when it is prepared for the model; here it simply has no identity.
    return undefined;
  }
}
