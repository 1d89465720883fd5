// `glm-vision doctor`: checks this machine before a catalog run and says how
// to fix what is missing. Exit 0 when nothing failed (warnings allowed), 1
// when a check failed.
import { defaultCachePath } from '../config/constants.js';
import { formatJson, formatReport } from '../doctor/report.js';
import { runDoctor, type DoctorOptions } from '../doctor/run-doctor.js';
import { apiKeyFrom } from './defaults.js';
import { sharedSettings } from './config.js';
import type { CliIO } from './io.js';
import type { DoctorFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';
import { withLang } from '../i18n/index.js';

export type { DoctorFlags };

/** Every setting the doctor uses, resolved in one place (flags, then the environment, then defaults). */
export function doctorOptions(given: DoctorFlags, env: NodeJS.ProcessEnv): DoctorOptions {
  const flags = parseFlags('doctor', given);
  return {
    endpoints: flags.endpoint,
    model: flags.model,
    apiKey: apiKeyFrom(flags, env),
    cache: flags.cache ?? defaultCachePath(env),
    timeoutMs: flags.timeout * 1000,
    env,
  };
}

export async function doctorCommand(given: DoctorFlags, io: CliIO): Promise<number> {
  const flags = sharedSettings(given, ['cache', 'endpoint', 'model', 'apiKey'], io);
  // --json is for scripts: the same bytes in every language; the report is for people.
  const run = (): Promise<Awaited<ReturnType<typeof runDoctor>>> => runDoctor(doctorOptions(flags, io.env));
  const results = flags.json ? await withLang('en', run) : await run();
  const colour = !!io.stdout.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  io.stdout.write(flags.json ? formatJson(results) : formatReport(results, colour));
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
