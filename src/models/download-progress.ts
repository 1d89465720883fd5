// Download progress on stderr: one cli-progress bar per file on a TTY,
// otherwise a line when each file starts and ends.
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import { NO_PROGRESS, type DownloadProgress } from './pull.js';

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export function createDownloadProgress(stderr: Writable & { isTTY?: boolean }, quiet: boolean): DownloadProgress {
  if (quiet) return NO_PROGRESS;
  if (!stderr.isTTY) {
    return {
      file(name, total) {
        stderr.write(`glm-vision: downloading ${name} (${mb(total)})\n`);
        return { update: () => undefined, done: () => stderr.write(`glm-vision: downloaded ${name}\n`) };
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
