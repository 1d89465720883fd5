// Download progress on stderr: one cli-progress bar per file on a TTY,
// otherwise a line when each file starts and ends.
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import path from 'node:path';
import { t } from '../i18n/index.js';
import { NO_PROGRESS, sizeText, type DownloadProgress, type PullPlan } from './pull.js';

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * The line printed before a pull starts, from the Hub's file list: "glm-vision: downloading org/name (dtype q4):
 * 7 files, 1.4 GB into ~/.cache/huggingface/hub". A first run that quietly fetches gigabytes looks like a hang.
 */
export function planLine(plan: PullPlan, home: string | undefined): string {
  const name = plan.revision === 'main' ? plan.repo : `${plan.repo}@${plan.revision}`;
  const into = home && (plan.cacheDir === home || plan.cacheDir.startsWith(`${home}${path.sep}`))
    ? `~${plan.cacheDir.slice(home.length)}`
    : plan.cacheDir;
  const values = { name, dtype: plan.dtype, count: plan.files, size: sizeText(plan.bytes), dir: into, present: plan.present };
  return `${plan.present > 0 ? t('models:plan.line_present', values) : t('models:plan.line', values)}\n`;
}

export function createDownloadProgress(stderr: Writable & { isTTY?: boolean }, quiet: boolean): DownloadProgress {
  if (quiet) return NO_PROGRESS;
  if (!stderr.isTTY) {
    return {
      file(name, total) {
        stderr.write(`${t('models:progress.start', { name, size: mb(total) })}\n`);
        return { update: () => undefined, done: () => stderr.write(`${t('models:progress.done', { name })}\n`) };
      },
      stop: () => undefined,
    };
  }
  let bars: cliProgress.MultiBar | undefined;
  return {
    file(name, total) {
      bars ??= new cliProgress.MultiBar(
        {
          stream: stderr as NodeJS.WriteStream,
          format: '{bar} {percentage}% | {size} | {name}',
          hideCursor: true,
          fps: 5,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      const bar = bars.create(total, 0, { name, size: mb(total) });
      return { update: (done) => bar.update(done), done: () => bar.update(total) };
    },
    stop() {
      bars?.stop();
      bars = undefined;
    },
  };
}
