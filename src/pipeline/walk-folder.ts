// One folder of the walk: its entries listed, filtered and sorted, its files
// stat'ed a batch at a time, its subfolders walked in their place. Each folder's
// entries are sorted with a folder's name read as "name/", which puts every path
// exactly where a sort of the whole tree's paths would: the walk streams in
// path order and holds one listing per level, never the tree.
import { isUtf8 } from 'node:buffer';
import { lstatSync, readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { t } from '../i18n/index.js';
import { NoInput } from '../support/errors.js';
import { hasCatalogExtension, type FileEntry, type WalkOptions } from './walk.js';

/** Files stat'ed and handed on at a time: the cache is asked about each batch in one go. */
export const WALK_BATCH = 512;

export interface Matchers {
  include: ((p: string) => boolean) | undefined;
  exclude: ((p: string) => boolean) | undefined;
}

/** What the walk of one input shares between its folders. */
export interface FolderWalk {
  options: WalkOptions;
  matchers: Matchers;
  skip: (filePath: string, reason: string) => void;
  /** Folders on the current path (dev:ino): a symlink back to one is a loop. */
  ancestors: Set<string>;
  /** Told, by the first pass, how many files each folder it lists holds. */
  listed?: (files: number) => void;
}

/** A listed entry: a file to stat (or already stat'ed, through a symlink or by raw name), or a folder to walk. */
interface Entry {
  /** The sort key: the name, a folder's with "/" after it. */
  key: string;
  full: string;
  rel: string;
  folder: boolean;
  /** Known already: a symlink's target, or an entry opened by its raw bytes. */
  st?: Stats;
  fsPath?: Buffer;
  /** A plain entry that the folder listing says is a regular file (what the counting pass counts). */
  regular?: boolean;
}

const byKey = (a: Entry, b: Entry): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Applies --include/--exclude and the file checks; the entry the catalog gets, or undefined.
 * A listed entry's extension was checked by the listing; a path named directly (`explicit`) is checked here.
 */
export function considered(
  filePath: string, rel: string, st: Stats, explicit: boolean, w: Pick<FolderWalk, 'matchers' | 'skip'>, fsPath?: Buffer,
): FileEntry | undefined {
  if (explicit && !hasCatalogExtension(filePath)) {
    w.skip(filePath, t('pipeline:skip.extension'));
    return undefined;
  }
  if (!wanted(filePath, rel, w.matchers)) return undefined;
  if (!st.isFile()) {
    w.skip(filePath, kindOf(st));
    return undefined;
  }
  const entry: FileEntry = {
    path: filePath, relativePath: rel || path.basename(filePath), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev,
  };
  if (fsPath) entry.fsPath = fsPath;
  return entry;
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return t('pipeline:skip.fifo');
  if (st.isSocket()) return t('pipeline:skip.socket');
  if (st.isCharacterDevice() || st.isBlockDevice()) return t('pipeline:skip.device');
  if (st.isDirectory()) return t('pipeline:skip.directory');
  return t('pipeline:skip.notRegular');
}

/** The files under `dir`, in path order, a batch at a time; what the listing skips was said by countFolder. */
export async function* walkFolder(dir: string, rel: string, w: FolderWalk): AsyncGenerator<FileEntry[]> {
  const { onUnreadable: _said, ...quiet } = w.options;
  const entries = listFolder(dir, rel, { ...w, skip: () => {}, options: quiet });
  if (!entries) return;
  entries.sort(byKey);
  let batch: FileEntry[] = [];
  for (const entry of entries) {
    if (!entry.folder) {
      const found = statEntry(entry, w);
      if (found) batch.push(found);
      if (batch.length >= WALK_BATCH) {
        yield batch;
        batch = [];
      }
      continue;
    }
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
    const id = enter(entry, w, false);
    if (id === undefined) continue;
    try {
      yield* walkFolder(entry.full, entry.rel, w);
    } finally {
      w.ancestors.delete(id);
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The first pass: names only, nothing stat'ed but symlinks and folders. It says what
 * is skipped and which folders cannot be read; the files it counts are those the
 * second pass will find, but for ones that vanish or cannot be stat'ed in between.
 */
export function countFolder(dir: string, rel: string, w: FolderWalk, keep: (rel: string) => boolean): { found: number; kept: number } {
  const total = { found: 0, kept: 0 };
  const entries = listFolder(dir, rel, w) ?? [];
  for (const entry of entries) {
    if (!entry.folder && (entry.st ? entry.st.isFile() : entry.regular) && wanted(entry.full, entry.rel, w.matchers)) {
      total.found++;
      if (keep(entry.rel)) total.kept++;
    }
  }
  w.listed?.(total.found);
  for (const entry of entries) {
    if (!entry.folder) continue;
    const id = enter(entry, w, true);
    if (id === undefined) continue;
    const below = countFolder(entry.full, entry.rel, w, keep);
    w.ancestors.delete(id);
    total.found += below.found;
    total.kept += below.kept;
  }
  return total;
}

/** Puts a folder on the current path; undefined when it is gone or loops back to one already on it. */
function enter(entry: Entry, w: FolderWalk, loud: boolean): string | undefined {
  let st = entry.st;
  if (!st) {
    try { st = lstatSync(entry.full); } catch { return undefined; }
  }
  const id = `${st.dev}:${st.ino}`;
  // A folder already on the current path means a symlink loop.
  if (w.ancestors.has(id)) {
    if (loud) w.skip(entry.full, t('pipeline:skip.symlinkLoop'));
    return undefined;
  }
  w.ancestors.add(id);
  return id;
}

/** --include and --exclude (the listing has already kept only catalog extensions). */
function wanted(filePath: string, rel: string, matchers: Matchers): boolean {
  const matchPath = rel || path.basename(filePath);
  return !(matchers.include && !matchers.include(matchPath)) && !matchers.exclude?.(matchPath);
}

function statEntry(entry: Entry, w: FolderWalk): FileEntry | undefined {
  let st = entry.st;
  if (!st) {
    try {
      // Synchronous lstat is several times faster than the async one for large folders.
      st = lstatSync(entry.full);
    } catch (error) {
      w.skip(entry.full, t('pipeline:skip.cannotStat', { why: (error as NodeJS.ErrnoException).code ?? (error as Error).message }));
      return undefined;
    }
  }
  return considered(entry.full, entry.rel, st, false, w, entry.fsPath);
}

/** The folder's entries worth a look, in listing order; undefined when a folder below an input cannot be listed. */
function listFolder(dir: string, rel: string, w: FolderWalk): Entry[] | undefined {
  const { options, matchers, skip } = w;
  let dirents: Dirent[];
  try {
    // Synchronous, like the lstat of each file: a thread hop per folder made the walk of a
    // large tree wait more than it worked. (A large tree's second pass runs in a worker thread.)
    dirents = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    // An input folder that cannot be listed is no input at all; one below it is a hole in the catalog.
    if (rel === '') throw unopenedInput(dir, error);
    options.onUnreadable?.(dir, whyUnreadable(error as NodeJS.ErrnoException));
    return undefined;
  }
  const prefix = pathPrefix(dir);
  const entries: Entry[] = [];
  let undecodable = false;
  for (const dirent of dirents) {
    const name = dirent.name;
    // A name that is not valid UTF-8 arrives with U+FFFD in it and cannot be opened by that name.
    if (name.includes('\uFFFD')) {
      undecodable = true;
      continue;
    }
    if (!options.hidden && name.startsWith('.')) continue;
    const full = prefix + name;
    const childRel = rel ? `${rel}/${name}` : name;
    if (dirent.isDirectory()) {
      if (!matchers.exclude?.(childRel)) entries.push({ key: `${name}/`, full, rel: childRel, folder: true });
    } else if (dirent.isSymbolicLink()) {
      if (!options.followSymlinks) {
        if (hasCatalogExtension(name)) skip(full, t('pipeline:skip.symlink'));
        continue;
      }
      let target: Stats;
      try {
        target = statSync(full);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        skip(full, t(code === 'ELOOP' ? 'pipeline:skip.symlinkLoop' : 'pipeline:skip.danglingSymlink'));
        continue;
      }
      if (target.isDirectory()) {
        if (!matchers.exclude?.(childRel)) entries.push({ key: `${name}/`, full, rel: childRel, folder: true, st: target });
      } else if (hasCatalogExtension(name)) {
        entries.push({ key: name, full, rel: childRel, folder: false, st: target });
      }
    } else if (hasCatalogExtension(name)) {
      entries.push({ key: name, full, rel: childRel, folder: false, regular: dirent.isFile() });
    }
  }
  if (undecodable) listRawNames(dir, rel, w, entries);
  return entries;
}

/** What starts every path below `dir`: path.join(dir, name) for any name, without normalising each one. */
export function pathPrefix(dir: string): string {
  const base = path.join(dir, '.');
  return base === '.' ? '' : base.endsWith(path.sep) ? base : base + path.sep;
}

/** An input folder that cannot be opened: no input (exit 66). */
export function unopenedInput(dir: string, error: unknown): NoInput {
  return new NoInput(t('pipeline:walk.cannotOpenFolder', { dir, why: whyUnreadable(error as NodeJS.ErrnoException) }));
}

function whyUnreadable(error: NodeJS.ErrnoException): string {
  if (error.code === 'EACCES' || error.code === 'EPERM') return t('pipeline:walk.permissionDenied', { code: error.code });
  return error.code ?? error.message;
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
function listRawNames(dir: string, rel: string, w: FolderWalk, entries: Entry[]): void {
  const { options, skip } = w;
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
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
      st = options.followSymlinks ? statSync(fsPath) : lstatSync(fsPath);
    } catch (error) {
      skip(full, t('pipeline:skip.cannotStat', { why: (error as NodeJS.ErrnoException).code ?? (error as Error).message }));
      continue;
    }
    if (st.isDirectory()) {
      skip(full, t(isUtf8(raw) ? 'pipeline:skip.folderNameFffd' : 'pipeline:skip.folderNameNotUtf8'));
      continue;
    }
    if (st.isSymbolicLink()) {
      if (hasCatalogExtension(name)) skip(full, t('pipeline:skip.symlink'));
      continue;
    }
    if (hasCatalogExtension(name)) entries.push({ key: name, full, rel: rel ? `${rel}/${name}` : name, folder: false, st, fsPath });
  }
}
