// Setting values from environment variables: GLM_VISION_<KEY> (and the usual
// API-key variables). An empty variable counts as unset.
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { checkSetting, type Setting, type Value } from './settings.js';

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/** A list: a JSON array of strings, else one item (split on commas and spaces where the setting allows). */
function list(setting: Setting, raw: string): string[] {
  if (raw.trim().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed as string[];
    } catch {
      // Not JSON: a glob such as [abc]*.jpg.
    }
  }
  return setting.splitEnv ? raw.split(/[\s,]+/).filter((s) => s.length > 0) : [raw];
}

export function envValue(setting: Setting, env: NodeJS.ProcessEnv): { value: Value; name: string } | undefined {
  const name = setting.env.find((n) => env[n]);
  if (name === undefined) return undefined;
  const raw = env[name] as string;
  const label = `$${name}`;
  let value: Value;
  if (setting.kind === 'boolean') {
    if (!TRUE.test(raw.trim()) && !FALSE.test(raw.trim())) {
      throw new UsageError(t('config:check.envBoolean', { label, value: JSON.stringify(raw) }));
    }
    value = TRUE.test(raw.trim());
  } else {
    value = setting.kind === 'list' ? list(setting, raw) : raw;
  }
  checkSetting(setting, label, value);
  return { value, name };
}
