// Turns the user's paths into a sorted list of image and PDF files, stat'ed once.
import { isUtf8 } from 'node:buffer';
import { lstat, opendir, readdir, stat } from 'node:fs/promises';
import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { NoInput } from '../support/errors.js';

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
}

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

interface Matchers {
  include: ((p: string) => boolean) | undefined;
  exclude: ((p: string) => boolean) | undefined;
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

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device file';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** Walks files and folders; returns image files sorted by path, each listed once. */
export async function walk(inputs: string[], options: WalkOptions): Promise<FileEntry[]> {
  const matchers: Matchers = { include: compile(options.include), exclude: compile(options.exclude) };
  const found = new Map<string, FileEntry>();
  const skip = options.onSkip ?? (() => {});

  const consider = (filePath: string, rel: string, st: Stats, explicit: boolean, fsPath?: Buffer): void => {
    if (!hasCatalogExtension(filePath)) {
      if (explicit) skip(filePath, 'not a recognised image extension');
      return;
    }
    const matchPath = rel || path.basename(filePath);
    if (matchers.include && !matchers.include(matchPath)) return;
    if (matchers.exclude?.(matchPath)) return;
    if (!st.isFile()) {
      skip(filePath, kindOf(st));
      return;
    }
    if (!found.has(filePath)) {
      found.set(filePath, {
        path: filePath, relativePath: rel || path.basename(filePath),
        size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev, ...(fsPath ? { fsPath } : {}),
      });
    }
  };

  for (const input of inputs) {
    let st: Stats;
    try {
      // Paths named on the command line are followed, like `find -H`.
      st = await stat(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') {
        let isLink = false;
        try { isLink = (await lstat(input)).isSymbolicLink(); } catch { /* absent */ }
        if (!isLink) throw new NoInput(`No such file or folder: ${input}`);
        skip(input, code === 'ELOOP' ? 'symlink loop' : 'dangling symlink');
        continue;
      }
      throw new NoInput(`Cannot read ${input}: ${(error as Error).message}`);
    }
    if (st.isDirectory()) {
      await walkDir(input, '', options, matchers, consider, skip, new Set([`${st.dev}:${st.ino}`]));
    } else {
      consider(input, '', st, true);
    }
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walkDir(
  dir: string,
  rel: string,
  options: WalkOptions,
  matchers: Matchers,
  consider: (filePath: string, rel: string, st: Stats, explicit: boolean, fsPath?: Buffer) => void,
  skip: (filePath: string, reason: string) => void,
  ancestors: Set<string>,
): Promise<void> {
  let handle;
  try {
    handle = await opendir(dir, { bufferSize: 256 });
  } catch (error) {
    const why = whyUnreadable(error as NodeJS.ErrnoException);
    // An input folder that cannot be listed is no input at all; one below it is a hole in the catalog.
    if (rel === '') throw new NoInput(`Cannot open the folder ${dir}: ${why}`);
    options.onUnreadable?.(dir, why);
    return;
  }
  const subdirs: [string, string, Stats][] = [];
  const files: [string, string][] = [];
  let undecodable = false;
  for await (const dirent of handle) {
    // A name that is not valid UTF-8 arrives with U+FFFD in it and cannot be opened by that name.
    if (dirent.name.includes('\uFFFD')) {
      undecodable = true;
      continue;
    }
    if (!options.hidden && dirent.name.startsWith('.')) continue;
    const full = path.join(dir, dirent.name);
    const childRel = rel ? `${rel}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) {
      if (matchers.exclude?.(childRel)) continue;
      subdirs.push([full, childRel, undefined as unknown as Stats]);
    } else if (dirent.isSymbolicLink()) {
      if (!options.followSymlinks) {
        if (hasCatalogExtension(dirent.name)) skip(full, 'symlink (use --follow-symlinks)');
        continue;
      }
      let target: Stats;
      try {
        target = await stat(full);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        skip(full, code === 'ELOOP' ? 'symlink loop' : 'dangling symlink');
        continue;
      }
      if (target.isDirectory()) {
        if (matchers.exclude?.(childRel)) continue;
        subdirs.push([full, childRel, target]);
      } else {
        consider(full, childRel, target, false);
      }
    } else if (hasCatalogExtension(dirent.name)) {
      files.push([full, childRel]);
    }
  }
  if (undecodable) await walkRawNames(dir, rel, options, consider, skip);
  for (const [full, childRel] of files) {
    try {
      // Synchronous lstat is several times faster than the async one for large folders.
      consider(full, childRel, lstatSync(full), false);
    } catch (error) {
      skip(full, `cannot stat: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  for (const [full, childRel, known] of subdirs) {
    let st = known;
    if (!st) {
      try { st = await lstat(full); } catch { continue; }
    }
    const id = `${st.dev}:${st.ino}`;
    // A folder already on the current path means a symlink loop.
    if (ancestors.has(id)) {
      skip(full, 'symlink loop');
      continue;
    }
    ancestors.add(id);
    await walkDir(full, childRel, options, matchers, consider, skip, ancestors);
    ancestors.delete(id);
  }
}

function whyUnreadable(error: NodeJS.ErrnoException): string {
  if (error.code === 'EACCES' || error.code === 'EPERM') return `permission denied (${error.code})`;
  return error.code ?? error.message;
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

/** Shows a file name's bytes: valid UTF-8 as is, every other byte as \xNN. */
function displayName(raw: Buffer): string {
  let out = '';
  let start = 0;
  while (start < raw.length) {
    let end = raw.length;
    // The longest valid prefix, then one escaped byte.
    while (end > start && !isUtf8(raw.subarray(start, end))) end--;
    out += raw.subarray(start, end).toString('utf8');
    if (end < raw.length) out += `\\x${(raw[end] as number).toString(16).padStart(2, '0')}`;
    start = end + 1;
  }
  return out;
}

/** The entries of a folder whose names are not valid UTF-8 (or contain U+FFFD): opened by their raw bytes. */
async function walkRawNames(
  dir: string,
  rel: string,
  options: WalkOptions,
  consider: (filePath: string, rel: string, st: Stats, explicit: boolean, fsPath?: Buffer) => void,
  skip: (filePath: string, reason: string) => void,
): Promise<void> {
  let names: Buffer[];
  try {
    names = await readdir(dir, { encoding: 'buffer' });
  } catch (error) {
    options.onUnreadable?.(dir, whyUnreadable(error as NodeJS.ErrnoException));
    return;
  }
  for (const raw of names) {
    // Exactly the names the first pass set aside: undecodable ones, and real names that contain U+FFFD.
    if (!raw.toString('utf8').includes('\uFFFD')) continue;
    const name = displayName(raw);
    if (!options.hidden && name.startsWith('.')) continue;
    const full = path.join(dir, name);
    const fsPath = Buffer.concat([Buffer.from(dir.endsWith(path.sep) ? dir : dir + path.sep), raw]);
    let st: Stats;
    try {
      st = options.followSymlinks ? await stat(fsPath) : await lstat(fsPath);
    } catch (error) {
      skip(full, `cannot stat: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    if (st.isDirectory()) {
      const why = isUtf8(raw) ? 'contains U+FFFD' : 'is not valid UTF-8';
      skip(full, `a folder whose name ${why} (rename it to catalog what is inside)`);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (hasCatalogExtension(name)) skip(full, 'symlink (use --follow-symlinks)');
      continue;
    }
    consider(full, rel ? `${rel}/${name}` : name, st, false, fsPath);
  }
}

/** Splits --files-from input: NUL-separated if it contains a NUL, else by lines. */
export function splitFileList(text: string): string[] {
  const parts = text.includes('\0') ? text.split('\0') : text.split(/\r?\n/);
  return parts.filter((p) => p.length > 0);
}
