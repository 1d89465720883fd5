// Runs every check, endpoints concurrently with the local ones, in report order.
import { DEFAULT_MODEL, isDirectory } from '../models/resolve.js';
import { checkCache } from './cache-check.js';
import { fail, type CheckResult } from './check.js';
import { checkEndpoint } from './endpoint-check.js';
import { checkImageFormats, checkSharp } from './image-formats.js';
import { checkLocalModel } from './local-model.js';
import { checkNode } from './node-version.js';
import { checkOnnxRuntime } from './onnx-runtime.js';
import { checkPdf } from './pdf-check.js';
import { checkPdfFonts } from './pdf-fonts-check.js';
import { t } from '../i18n/index.js';

const FORMATS = 'image formats';

export interface DoctorOptions {
  endpoints: string[];
  /** --model: looked for on the endpoints, or locally when there are none. */
  model?: string;
  apiKey?: string;
  cache: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
}

export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const servers = options.endpoints.length > 0;
  const endpoints = Promise.all(options.endpoints.map((url, i) =>
    guard(`endpoint ${i + 1}`, () => checkEndpoint({ url, model: options.model, apiKey: options.apiKey, timeoutMs: options.timeoutMs }))));
  const onnx = guard('onnxruntime', () => checkOnnxRuntime(!servers, options.env));
  const results: CheckResult[] = [await guard('node', async () => checkNode())];
  const sharp = await checkSharp().catch((error: unknown) => ({ result: crashed('sharp', error), sharp: undefined }));
  results.push(sharp.result);
  const sharpModule = sharp.sharp;
  results.push(sharpModule
    ? await guard(FORMATS, () => checkImageFormats(sharpModule))
    : fail(FORMATS, t('doctor:formats.no_sharp'), t('doctor:formats.no_sharp.fix')));
  results.push(await guard('pdf', checkPdf));
  results.push(await guard('pdf fonts', async () => checkPdfFonts(options.env)));
  results.push(await onnx);
  results.push(await guard('cache', async () => checkCache(options.cache)));
  results.push(...(await endpoints));
  // With endpoints, --model names the server's model; the local check is about runs without them.
  // A folder is stat'ed once, here, and the answer passed on.
  const folder = options.model === undefined ? undefined : isDirectory(options.model);
  const local = options.model !== undefined && (!servers || folder) ? { model: options.model, folder } : { model: DEFAULT_MODEL };
  results.push(await guard('local model', async () => checkLocalModel({ ...local, endpoints: servers, env: options.env })));
  return results;
}

/** A check that throws is reported as failed, so one bug does not hide the other checks. */
async function guard(check: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (error) {
    return crashed(check, error);
  }
}

function crashed(check: string, error: unknown): CheckResult {
  return fail(check, t('doctor:crashed.detail', { message: String((error as Error).message ?? error).split('\n')[0] }), t('doctor:crashed.fix'));
}
