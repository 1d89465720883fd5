// Which config file applies: --config FILE, else $GLM_VISION_CONFIG, else the
// nearest glm-vision.config.json in the working folder or above it.
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { t } from '../i18n/index.js';

export const CONFIG_NAME = 'glm-vision.config.json';

export interface ConfigLocation {
  file: string;
  /** How it was chosen, for messages. */
  by: 'flag' | 'env' | 'search';
}

export interface LocateOptions {
  /** --config FILE, or false for --no-config. */
  config?: string | false;
  env: NodeJS.ProcessEnv;
  cwd: string;
  warn: (message: string) => void;
}

function statFile(file: string): Stats | undefined {
  try {
    const st = statSync(file);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A found file that belongs to someone else (not you, not root) is passed over: anyone may write
 * /tmp/glm-vision.config.json, and a config file chooses where your images are sent.
 */
function trusted(st: Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || st.uid === uid || st.uid === 0;
}

export function locateConfig(options: LocateOptions): ConfigLocation | undefined {
  if (options.config === false) return undefined;
  if (options.config !== undefined) return { file: path.resolve(options.cwd, options.config), by: 'flag' };
  const fromEnv = options.env.GLM_VISION_CONFIG;
  if (fromEnv) return { file: path.resolve(options.cwd, fromEnv), by: 'env' };
  for (let dir = path.resolve(options.cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, CONFIG_NAME);
    const st = statFile(file);
    if (st && trusted(st)) return { file, by: 'search' };
    if (st) options.warn(t('config:file.otherOwner', { file, uid: st.uid }));
    if (path.dirname(dir) === dir) return undefined;
  }
}
