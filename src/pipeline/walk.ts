// Turns the user's paths into a stream of image and PDF files in path order, stat'ed once.
import { lstat, opendir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { t } from '../i18n/index.js';
import { NoInput } from '../support/errors.js';
import { mergeSorted, type SortedSource } from './sorted-merge.js';
import {
  considered, countFolder, pathPrefix, unopenedInput, walkFolder, WALK_BATCH, type FolderWalk, type Matchers,
} from './walk-folder.js';
import { walkInThread } from './walk-thread.js';

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp', 'gif', 'avif', 'heic', 'heif', 'bmp',
]);

/** What a walk picks up: images, and PDFs (catalogued page by page). */
export const CATALOG_EXTENSIONS: ReadonlySet<string> = new Set([...IMAGE_EXTENSIONS, 'pdf']);

export interface WalkOptions {
  include: string[];
  exclude: string[];
  hidden: boolean;
  followSymlinks: boolean;
  /** Told about every skipped entry that looked like an image. */
  onSkip?: (filePath: string, reason: string) => void;
  /** Told about every folder below an input that could not be listed: its files are missing from the catalog. */
  onUnreadable?: (dir: string, reason: string) => void;
  /** From how many files (the first pass's count) the second pass runs in a worker thread; WALK_THREAD_FROM by default. */
  threadFrom?: number;
}

/**
 * A walk this large stats its files in a worker thread, beside the run: a cached
 * re-run of 100,000 files spends as long on lstat as on everything else.
 */
export const WALK_THREAD_FROM = 10_000;

export interface FileEntry {
  /** The path as the user will see it (SourceFile). */
  path: string;
  /** Path below the root it was found under ('' root means the file was named directly). */
  relativePath: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
  /** The raw bytes of the path when its name is not valid UTF-8 (`path` then shows those bytes as \xNN). */
  fsPath?: Buffer;
}

function compileMatchers(options: Pick<WalkOptions, 'include' | 'exclude'>): Matchers {
  return { include: compile(options.include), exclude: compile(options.exclude) };
}

function compile(globs: string[]): ((p: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  // A glob without a slash matches a base name anywhere, like .gitignore.
  const matchers = globs.map((g) => picomatch(g, { dot: true, basename: !g.includes('/') }));
  return (p) => matchers.some((m) => m(p));
}

export function hasCatalogExtension(filePath: string): boolean {
  const ext = path.extname(filePath).slice(1).toLowerCase();
  return CATALOG_EXTENSIONS.has(ext);
}

/** A walk planned: its inputs checked, its two passes still to run. */
export interface Walk {
  /**
   * The first pass: names only. It says what is skipped and which folders cannot be read;
   * `found` counts the files, `kept` those `keep` keeps (a --shard's part).
   */
  count(keep?: (relativePath: string) => boolean): Promise<{ found: number; kept: number }>;
  /** The second pass: the files, stat'ed, each once, in path order, a batch at a time. */
  files(): AsyncGenerator<FileEntry[]>;
}

/** One input: a folder to walk (`root`: its dev:ino), or a file named directly (already looked at). Plain data: a worker thread gets it. */
export type PlannedInput = { order: number; folder: string; root: string; floor: string } | { order: number; entry: FileEntry };

/**
 * Checks every input before anything is walked: a missing one, or an input folder that
 * cannot be opened, throws NoInput. Folders are read as the passes reach them, one
 * listing per level, so the tree is never held whole.
 */
export async function planWalk(inputs: string[], options: WalkOptions): Promise<Walk> {
  const matchers = compileMatchers(options);
  const skip = options.onSkip ?? (() => {});
  const planned: PlannedInput[] = [];
  for (const [order, input] of inputs.entries()) {
    let st: Stats;
    try {
      // Paths named on the command line are followed, like `find -H`.
      st = await stat(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') {
        let isLink = false;
        try { isLink = (await lstat(input)).isSymbolicLink(); } catch { /* absent */ }
        if (!isLink) throw new NoInput(t('pipeline:walk.noSuchInput', { input }));
        skip(input, t(code === 'ELOOP' ? 'pipeline:skip.symlinkLoop' : 'pipeline:skip.danglingSymlink'));
        continue;
      }
      throw new NoInput(t('pipeline:walk.cannotRead', { input, why: (error as Error).message }));
    }
    if (st.isDirectory()) {
      await mustOpen(input);
      // Every path below the folder starts with its prefix: the merge opens the folder when it gets there.
      planned.push({ order, folder: input, root: `${st.dev}:${st.ino}`, floor: pathPrefix(input) });
    } else {
      const entry = considered(input, '', st, true, { matchers, skip });
      if (entry) planned.push({ order, entry });
    }
  }
  const threadFrom = options.threadFrom ?? WALK_THREAD_FROM;
  // A large walk's second pass starts in its thread as soon as the first pass has seen enough
  // files: the thread starts up while the count goes on.
  let counted = 0;
  let thread: AsyncGenerator<FileEntry[]> | undefined;
  const listed = (files: number): void => {
    counted += files;
    if (counted >= threadFrom && !thread) thread = walkInThread(planned, options);
  };
  return {
    async count(keep = () => true) {
      const total = { found: 0, kept: 0 };
      for (const input of planned) {
        const n = 'entry' in input
          ? { found: 1, kept: keep(input.entry.relativePath) ? 1 : 0 }
          : countFolder(input.folder, '', { ...folderWalk(input.root, options, matchers), listed }, keep);
        if ('entry' in input) listed(1);
        total.found += n.found;
        total.kept += n.kept;
      }
      return total;
    },
    files() {
      const started = thread;
      thread = undefined;
      return started ?? plannedFiles(planned, options);
    },
  };
}

function folderWalk(root: string, options: WalkOptions, matchers: Matchers): FolderWalk {
  return { options, matchers, skip: options.onSkip ?? (() => {}), ancestors: new Set([root]) };
}

/** The second pass over planned inputs, here (or in the walk's worker thread). */
export function plannedFiles(planned: readonly PlannedInput[], options: WalkOptions): AsyncGenerator<FileEntry[]> {
  const matchers = compileMatchers(options);
  const sources: SortedSource<FileEntry>[] = planned.map((input) =>
    'entry' in input
      ? { order: input.order, floor: input.entry.path, open: async function* () { yield [input.entry]; } }
      : { order: input.order, floor: input.floor, open: () => walkFolder(input.folder, '', folderWalk(input.root, options, matchers)) },
  );
  if (sources.length === 1) return (sources[0] as SortedSource<FileEntry>).open() as AsyncGenerator<FileEntry[]>;
  return mergeSorted(sources, (f) => f.path, WALK_BATCH);
}

/** An input folder that cannot be listed is no input at all: said before any work starts. */
async function mustOpen(dir: string): Promise<void> {
  try {
    await (await opendir(dir)).close();
  } catch (error) {
    throw unopenedInput(dir, error);
  }
}

/** A byte that is not UTF-8, as displayName shows it. */
export const ESCAPED_BYTE = /\\x([0-9a-f]{2})/;
/** The walk shows bytes that are not UTF-8 as \xNN; this turns such a name back into its bytes. */
export function rawBytes(shown: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of shown.matchAll(new RegExp(ESCAPED_BYTE.source, 'g'))) {
    parts.push(Buffer.from(shown.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1] as string, 16)]));
    last = (m.index as number) + m[0].length;
  }
  parts.push(Buffer.from(shown.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Splits --files-from input: NUL-separated if it contains a NUL, else by lines. */
export function splitFileList(text: string): string[] {
  const parts = text.includes('\0') ? text.split('\0') : text.split(/\r?\n/);
  return parts.filter((p) => p.length > 0);
}
