// A report's thumbnails as files beside the page: report.html → report_files/. Each
// run writes a new generation folder inside it, which nothing refers to until the
// new page is renamed into place; only then are earlier generations removed. So at
// every instant, even after a crash, the page in place finds all its thumbnails.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OutputError, whyWriteFailed } from '../emit/sink.js';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';

/** Says whose the folder is: only a folder holding it is ever emptied. */
export const MARKER = 'glm-vision-report.txt';
/** Generation folders: a time and a random part, never reused. */
const GENERATION = /^g[0-9a-z]+-[0-9a-f]{8}$/;

/** report.html → report_files (beside the page, as a browser's "save complete page" does). */
export function thumbnailFolderName(page: string): string {
  return `${path.parse(page).name || path.basename(page)}_files`;
}

export function thumbnailFolderOf(page: string): string {
  return path.join(path.dirname(path.resolve(page)), thumbnailFolderName(page));
}

// Read by people who find the folder; it is known as ours by its name alone, so its text may be in any language.
const markerText = (page: string): string => `${t('report:folder.marker', { page: path.basename(page) })}\n`;

type Found = 'none' | 'ours' | 'empty' | 'foreign';

/** A failed write names the file or folder, and exits 74 like any output that cannot be written. */
async function writing<T>(target: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new OutputError(t('emit:write.cannot', { target, why: whyWriteFailed(error as NodeJS.ErrnoException) }));
  }
}

async function whose(dir: string): Promise<Found> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) return 'foreign';
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw error;
  }
  if (entries.includes(MARKER)) return 'ours';
  return entries.length === 0 ? 'empty' : 'foreign';
}

/** Removes the generations in `dir` other than `keep`, and nothing that is not one. */
async function removeGenerations(dir: string, keep?: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => GENERATION.test(e) && e !== keep).map((e) => rm(path.join(dir, e), { recursive: true, force: true })));
}

export interface ThumbnailFolder {
  /** The folder beside the page. */
  readonly dir: string;
  /** Thumbnails written (one file per distinct picture) and their bytes. */
  readonly files: number;
  readonly bytes: number;
  /** Writes one thumbnail, named by its content; returns the URL the page gives it. */
  put(webp: Buffer): Promise<string>;
  /** Once the page that uses this generation is in place: removes the earlier ones. */
  prune(): Promise<void>;
  /** The run failed: removes this generation (and the folder, if this run made it and it is empty). */
  discard(): Promise<void>;
}

/**
 * Opens the thumbnail folder of `page` for a new generation. A folder of that name
 * that glm-vision did not make is refused, not emptied (UsageError).
 */
export async function openThumbnailFolder(page: string): Promise<ThumbnailFolder> {
  const dir = thumbnailFolderOf(page);
  const name = path.basename(dir);
  const found = await whose(dir);
  if (found === 'foreign') {
    throw new UsageError(t('report:folder.foreign', { folder: name, page: path.basename(page) }));
  }
  const generation = `g${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const root = path.join(dir, generation);
  await writing(dir, async () => {
    await mkdir(dir, { recursive: true });
    if (found !== 'ours') await writeFile(path.join(dir, MARKER), markerText(page));
    await mkdir(root);
  });
  const prefix = `${encodeURIComponent(name)}/${generation}/`;
  const subfolders = new Set<string>();
  let files = 0;
  let bytes = 0;
  return {
    dir,
    get files() {
      return files;
    },
    get bytes() {
      return bytes;
    },
    async put(webp) {
      const hash = createHash('sha256').update(webp).digest('hex').slice(0, 32);
      // 256 subfolders: a folder of 80,000 files is slow to list, and FAT32 (a USB stick) holds only about 16,000 long names per folder.
      const sub = hash.slice(0, 2);
      const file = `${hash.slice(2)}.webp`;
      const target = path.join(root, sub, file);
      await writing(target, async () => {
        if (!subfolders.has(sub)) {
          await mkdir(path.join(root, sub), { recursive: true });
          subfolders.add(sub);
        }
        try {
          await writeFile(target, webp, { flag: 'wx' });
          files++;
          bytes += webp.length;
        } catch (error) {
          // The same picture again (a duplicate file, a page shown twice): one file serves both.
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      });
      return `${prefix}${sub}/${file}`;
    },
    prune: () => removeGenerations(dir, generation),
    async discard() {
      await rm(root, { recursive: true, force: true });
      if (found === 'none' || found === 'empty') {
        await rm(path.join(dir, MARKER), { force: true });
        await rmdir(dir).catch(() => undefined);
      }
    },
  };
}

/**
 * After a page without a folder replaced one with: its folder goes too, if glm-vision
 * made it (what else is in it stays, and so does the folder then).
 */
export async function removeThumbnailFolder(page: string): Promise<void> {
  const dir = thumbnailFolderOf(page);
  if ((await whose(dir)) !== 'ours') return;
  await removeGenerations(dir);
  await rm(path.join(dir, MARKER), { force: true });
  await rmdir(dir).catch(() => undefined);
}
