// sharp and the image formats it decodes here: each format is tried on a
// real sample, since sharp.format lists HEIF as readable even when the HEVC
// decoder that HEIC photos need is missing.
import type SharpType from 'sharp';
import { decodeErrorCause, missingFormatFix } from '../image/decode-error.js';
import { t } from '../i18n/index.js';
import { loadSharp } from '../image/preprocess.js';
import { IMAGE_EXTENSIONS } from '../pipeline/walk.js';
import { fail, ok, warn, type CheckResult } from './check.js';
import { FORMAT_SAMPLES, SAMPLE_GREY, SAMPLE_SIZE, type FormatSample } from './format-samples.js';

const SHARP_INSTALL = 'https://sharp.pixelplumbing.com/install';
const FORMATS = 'image formats';

/** The `sharp` check, and sharp itself for the format check (undefined when it failed to load). */
export async function checkSharp(): Promise<{ result: CheckResult; sharp?: typeof SharpType }> {
  let sharp: typeof SharpType;
  try {
    sharp = await loadSharp();
  } catch (error) {
    return {
      result: fail('sharp', t('doctor:sharp.failed', { why: firstLine(error) }), t('doctor:sharp.failed.fix', { url: SHARP_INSTALL })),
    };
  }
  const versions = sharp.versions as Record<string, string | undefined>;
  // The prebuilt binaries list their bundled libraries (heif, png, …); a global libvips lists only itself.
  const found = { sharp: versions.sharp ?? '?', vips: versions.vips ?? '?' };
  return { result: ok('sharp', versions.heif !== undefined ? t('doctor:sharp.ok.prebuilt', found) : t('doctor:sharp.ok.global', found)), sharp };
}

export async function checkImageFormats(sharp: typeof SharpType): Promise<CheckResult> {
  // One at a time: libvips keeps one error buffer, and concurrent failures garble each other's messages.
  const tried: { sample: FormatSample; problem: string | undefined }[] = [];
  for (const sample of FORMAT_SAMPLES) tried.push({ sample, problem: await decodeProblem(sharp, sample) });
  const decoded = tried.filter((t) => t.problem === undefined).map((t) => t.sample);
  const failed = tried.filter((t): t is { sample: FormatSample; problem: string } => t.problem !== undefined);
  const untested = [...IMAGE_EXTENSIONS].filter((ext) => !FORMAT_SAMPLES.some((s) => s.extensions.includes(ext)));
  const parts = [decoded.length ? t('doctor:formats.decodes', { formats: decoded.map((s) => s.name).join(t('cli:list.names')) }) : t('doctor:formats.decodes_nothing')];
  if (failed.length > 0) {
    const files = failed.map((f) => (f.sample.files && t(f.sample.files)) ?? f.sample.extensions.map((e) => `.${e}`).join(' ')).join(t('cli:list.names'));
    const formats = failed.map((f) => t('doctor:formats.failed_format', { format: f.sample.name, problem: f.problem })).join(t('cli:list.names'));
    parts.push(t('doctor:formats.cannot', { formats, files }));
  }
  if (untested.length > 0) parts.push(t('doctor:formats.untested', { extensions: untested.map((e) => `.${e}`).join(' ') }));
  const detail = parts.join(t('doctor:list.separator'));
  if (failed.length === 0) return ok(FORMATS, detail);
  const broken = failed.filter((f) => f.sample.prebuilt).map((f) => f.sample.name);
  const fix = failed.map((f) => missingFormatFix(f.sample.name)).filter((s): s is string => s !== undefined);
  const separator = t('doctor:formats.fix.separator');
  if (broken.length > 0) {
    return fail(FORMATS, detail, [t('doctor:formats.broken.fix', { formats: broken.join(t('cli:list.names')), url: SHARP_INSTALL }), ...fix].join(separator));
  }
  return warn(FORMATS, detail, fix.join(separator));
}

/** Why the sample does not decode to its 8x8 grey; undefined when it does. */
async function decodeProblem(sharp: typeof SharpType, sample: FormatSample): Promise<string | undefined> {
  try {
    const { data, info } = await sharp(Buffer.from(sample.base64, 'base64'), { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== SAMPLE_SIZE || info.height !== SAMPLE_SIZE) return t('doctor:formats.problem.size', { width: info.width, height: info.height });
    // Lossy formats may drift a little; a wrong decoder is far off.
    if (data.some((v) => Math.abs(v - SAMPLE_GREY) > 12)) return t('doctor:formats.problem.colours');
    return undefined;
  } catch (error) {
    return shortReason(error);
  }
}

/** sharp's message without libvips' noise: the line naming the cause. */
function shortReason(error: unknown): string {
  const line = decodeErrorCause(error) || t('doctor:formats.problem.unknown');
  if (/unsupported image format/i.test(line)) return t('doctor:formats.problem.no_decoder');
  const hevc = /not been built in: (\w+)/.exec(line);
  if (hevc) return t('doctor:formats.problem.no_codec', { codec: hevc[1] });
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0] ?? '';
}
