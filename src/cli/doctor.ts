// `glm-vision doctor`: checks this machine before a catalog run and says how
// to fix what is missing. Exit 0 when nothing failed (warnings allowed), 1
// when a check failed.
import { defaultCachePath } from '../cache/open.js';
import { DEFAULT_MODEL } from '../models/resolve.js';
import { formatJson, formatReport } from '../doctor/report.js';
import { runDoctor, type DoctorOptions } from '../doctor/run-doctor.js';
import { apiKeyFrom } from './catalog.js';
import { sharedSettings } from './config.js';
import type { CliIO } from './io.js';
import { httpUrl, numberIn } from '../config/validate.js';

/** The raw option values commander hands over. */
export interface DoctorFlags {
  endpoint: string[];
  model?: string;
  apiKey?: string;
  cache?: string;
  timeout: string;
  json?: boolean;
  config?: string | false;
}

export const DOCTOR_DEFAULTS = { timeout: '10', model: DEFAULT_MODEL };

/** Written in --help and the README; keep the two in step. */
export const DOCTOR_EXIT_CODES_HELP = `
Exit codes:
  0    no check failed (warnings allowed)
  1    at least one check failed (each failed line says how to fix it)
  2    usage error (bad --endpoint URL or --timeout)
`;

/** Every setting the doctor uses, resolved in one place (flags, then the environment, then defaults). */
export function doctorOptions(flags: DoctorFlags, env: NodeJS.ProcessEnv): DoctorOptions {
  return {
    endpoints: flags.endpoint.map((e) => httpUrl('--endpoint', e)),
    model: flags.model,
    apiKey: apiKeyFrom(flags, env),
    cache: flags.cache ?? defaultCachePath(env),
    timeoutMs: numberIn('--timeout', flags.timeout, 0, 3600, true) * 1000,
    env,
  };
}

export async function doctorCommand(given: DoctorFlags, io: CliIO): Promise<number> {
  const flags = sharedSettings(given, ['cache', 'endpoint', 'model', 'apiKey'], io);
  const results = await runDoctor(doctorOptions(flags, io.env));
  const colour = !!io.stdout.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  io.stdout.write(flags.json ? formatJson(results) : formatReport(results, colour));
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
