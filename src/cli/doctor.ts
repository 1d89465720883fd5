// `glm-vision doctor`: checks this machine before a catalog run and says how
// to fix what is missing. Exit 0 when nothing failed (warnings allowed), 1
// when a check failed.
import { defaultCachePath } from '../config/constants.js';
import { formatJson, formatReport } from '../doctor/report.js';
import { runDoctor, type DoctorOptions } from '../doctor/run-doctor.js';
import { apiKeyFrom } from './defaults.js';
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

// In defaults.ts, which main.ts reads to build the options without loading this module.
export { DOCTOR_DEFAULTS, DOCTOR_EXIT_CODES_HELP } from './defaults.js';

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
