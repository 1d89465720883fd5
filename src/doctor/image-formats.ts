// sharp and the image formats it decodes here: each format is tried on a
// real sample, since sharp.format lists HEIF as readable even when the HEVC
// decoder that HEIC photos need is missing.
import type SharpType from 'sharp';
import { decodeErrorCause, MISSING_FORMAT_FIX } from '../image/decode-error.js';
import { loadSharp } from '../image/preprocess.js';
import { IMAGE_EXTENSIONS } from '../pipeline/walk.js';
import { fail, ok, warn, type CheckResult } from './check.js';
import { FORMAT_SAMPLES, SAMPLE_GREY, SAMPLE_SIZE, type FormatSample } from './format-samples.js';

const SHARP_INSTALL = 'https://sharp.pixelplumbing.com/install';

/** The `sharp` check, and sharp itself for the format check (undefined when it failed to load). */
export async function checkSharp(): Promise<{ result: CheckResult; sharp?: typeof SharpType }> {
  let sharp: typeof SharpType;
  try {
    sharp = await loadSharp();
  } catch (error) {
    return {
      result: fail(
        'sharp',
        `sharp failed to load: ${firstLine(error)}`,
        `reinstall it for this OS and CPU: npm rebuild sharp (or rm -rf node_modules && npm ci); see ${SHARP_INSTALL}`,
      ),
    };
  }
  const versions = sharp.versions as Record<string, string | undefined>;
  // The prebuilt binaries list their bundled libraries (heif, png, …); a global libvips lists only itself.
  const origin = versions.heif !== undefined ? "sharp's prebuilt" : 'globally installed';
  return { result: ok('sharp', `sharp ${versions.sharp ?? '?'}, libvips ${versions.vips ?? '?'} (${origin})`), sharp };
}

export async function checkImageFormats(sharp: typeof SharpType): Promise<CheckResult> {
  // One at a time: libvips keeps one error buffer, and concurrent failures garble each other's messages.
  const tried: { sample: FormatSample; problem: string | undefined }[] = [];
  for (const sample of FORMAT_SAMPLES) tried.push({ sample, problem: await decodeProblem(sharp, sample) });
  const decoded = tried.filter((t) => t.problem === undefined).map((t) => t.sample);
  const failed = tried.filter((t): t is { sample: FormatSample; problem: string } => t.problem !== undefined);
  const untested = [...IMAGE_EXTENSIONS].filter((ext) => !FORMAT_SAMPLES.some((s) => s.extensions.includes(ext)));
  const parts = [`decodes ${decoded.map((s) => s.name).join(', ') || 'nothing'}`];
  if (failed.length > 0) {
    const exts = failed.map((f) => f.sample.files ?? f.sample.extensions.map((e) => `.${e}`).join(' ')).join(', ');
    parts.push(`cannot decode ${failed.map((f) => `${f.sample.name} (${f.problem})`).join(', ')}: ${exts} files become error rows`);
  }
  if (untested.length > 0) parts.push(`not tested: ${untested.map((e) => `.${e}`).join(' ')}`);
  const detail = parts.join('; ');
  if (failed.length === 0) return ok('image formats', detail);
  const broken = failed.filter((f) => f.sample.prebuilt).map((f) => f.sample.name);
  const fixes: Record<string, string> = MISSING_FORMAT_FIX;
  const fix = failed.map((f) => fixes[f.sample.name]).filter((s): s is string => s !== undefined);
  if (broken.length > 0) {
    return fail(
      'image formats',
      detail,
      [`sharp should decode ${broken.join(', ')} out of the box: reinstall it (npm rebuild sharp); if it uses a global libvips, that libvips lacks these loaders (see ${SHARP_INSTALL})`, ...fix].join('. '),
    );
  }
  return warn('image formats', detail, fix.join('. '));
}

/** Why the sample does not decode to its 8x8 grey; undefined when it does. */
async function decodeProblem(sharp: typeof SharpType, sample: FormatSample): Promise<string | undefined> {
  try {
    const { data, info } = await sharp(Buffer.from(sample.base64, 'base64'), { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== SAMPLE_SIZE || info.height !== SAMPLE_SIZE) return `decoded as ${info.width}x${info.height}`;
    // Lossy formats may drift a little; a wrong decoder is far off.
    if (data.some((v) => Math.abs(v - SAMPLE_GREY) > 12)) return 'decoded to the wrong colours';
    return undefined;
  } catch (error) {
    return shortReason(error);
  }
}

/** sharp's message without libvips' noise: the line naming the cause. */
function shortReason(error: unknown): string {
  const line = decodeErrorCause(error) || 'unknown error';
  if (/unsupported image format/i.test(line)) return 'no decoder';
  const hevc = /not been built in: (\w+)/.exec(line);
  if (hevc) return `no ${hevc[1]} decoder`;
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0] ?? '';
}
