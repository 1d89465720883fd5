// Installed fonts for PDFium. A PDF may name a font without embedding it:
// Chinese, Japanese and Korean PDFs often just say "SimSun" or "STSong-Light".
// PDFium built to WebAssembly sees no file system and knows only its Latin
// standard fonts, so such text would be drawn as nothing. We read the
// system's font folders (only each file's header and name tables, and only
// once a PDF asks) and answer PDFium's font questions from them.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One face of an installed font file (a .ttc holds several). */
export interface InstalledFace {
  file: string;
  /** Where the face's table directory starts in the file (0 for a single-face file). */
  offset: number;
  /** The file is a collection (.ttc, .otc). */
  collection: boolean;
  size: number;
  family: string;
  /** PostScript name, often what a PDF names (STSong-Light, SimSun). */
  postscript: string;
  /** Windows charsets the face covers (from its OS/2 code-page bits). */
  charsets: number[];
  weight: number;
  italic: boolean;
}

/** Windows charset numbers PDFium uses, by OS/2 ulCodePageRange1 bit. */
const CHARSET_BY_CODEPAGE_BIT: Record<number, number> = {
  0: 0, 1: 238, 2: 204, 3: 161, 4: 162, 5: 177, 6: 178, 7: 186, 8: 163, 16: 222, 17: 128, 18: 134, 19: 129, 20: 136, 21: 130, 31: 2,
};
const CJK: Record<number, RegExp> = {
  134: /\b(SC|CN|GB|Simp)|Song|Hei|Kai|Fang|WenQuanYi|WQY|YaHei/i,
  136: /\b(TC|HK|TW|Trad)|Ming|Big5/i,
  128: /\bJP\b|Mincho|Gothic|Meiryo/i,
  129: /\bKR\b|Batang|Dotum|Gulim|Malgun/i,
};

/** Where fonts are installed on this OS, and GLM_VISION_FONT_DIRS (path-list) first. */
export function fontFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = os.homedir();
  const extra = (env.GLM_VISION_FONT_DIRS ?? '').split(path.delimiter).filter(Boolean);
  if (process.platform === 'win32') {
    const windir = env.WINDIR ?? 'C:\\Windows';
    return [...extra, path.join(windir, 'Fonts'), path.join(env.LOCALAPPDATA ?? home, 'Microsoft', 'Windows', 'Fonts')];
  }
  if (process.platform === 'darwin') {
    return [...extra, '/System/Library/Fonts', '/Library/Fonts', path.join(home, 'Library', 'Fonts')];
  }
  return [...extra, '/usr/share/fonts', '/usr/local/share/fonts', path.join(home, '.local', 'share', 'fonts'), path.join(home, '.fonts')];
}

/** The font files under `folders` (TrueType and OpenType, single and collections), six levels deep at most. */
function fontFiles(folders: string[]): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 6) visit(full, depth + 1);
      else if (/\.(ttf|otf|ttc|otc)$/i.test(entry.name)) found.push(full);
    }
  };
  for (const folder of folders) visit(folder, 0);
  return found;
}

class Reader {
  private readonly fd: number;
  readonly size: number;
  constructor(file: string) {
    this.fd = openSync(file, 'r');
    this.size = statSync(file).size;
  }
  bytes(at: number, length: number): Buffer {
    const buffer = Buffer.alloc(Math.max(0, Math.min(length, this.size - at)));
    readSync(this.fd, buffer, 0, buffer.length, at);
    return buffer;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** The table directory of the face at `offset`: tag → [offset, length]. */
function tables(reader: Reader, offset: number): Map<string, [number, number]> {
  const head = reader.bytes(offset, 12);
  const count = head.length === 12 ? head.readUInt16BE(4) : 0;
  const dir = reader.bytes(offset + 12, count * 16);
  const result = new Map<string, [number, number]>();
  for (let i = 0; i + 16 <= dir.length; i += 16) result.set(dir.toString('latin1', i, i + 4), [dir.readUInt32BE(i + 8), dir.readUInt32BE(i + 12)]);
  return result;
}

/** A name from the 'name' table: Windows English first, then any Windows, then Mac Roman. */
function nameOf(table: Buffer, id: number): string {
  if (table.length < 6) return '';
  const count = table.readUInt16BE(2);
  const strings = table.readUInt16BE(4);
  let best: { rank: number; value: string } | undefined;
  for (let i = 0; i < count && 6 + i * 12 + 12 <= table.length; i++) {
    const at = 6 + i * 12;
    const [platform, encoding, language, nameId, length, offset] = [0, 2, 4, 6, 8, 10].map((d) => table.readUInt16BE(at + d)) as [number, number, number, number, number, number];
    if (nameId !== id) continue;
    const raw = table.subarray(strings + offset, strings + offset + length);
    let rank: number;
    let value: string;
    if (platform === 3 && (encoding === 1 || encoding === 10)) {
      rank = language === 0x409 ? 0 : 1;
      value = Buffer.from(raw).swap16().toString('utf16le');
    } else if (platform === 1 && encoding === 0) {
      rank = 2;
      value = raw.toString('latin1');
    } else {
      continue;
    }
    if (!best || rank < best.rank) best = { rank, value };
  }
  return best?.value.replace(/\0/g, '').trim() ?? '';
}

function readFace(reader: Reader, file: string, offset: number, collection: boolean): InstalledFace | undefined {
  const dir = tables(reader, offset);
  const name = dir.get('name');
  if (!name) return undefined;
  const names = reader.bytes(name[0], name[1]);
  const family = nameOf(names, 16) || nameOf(names, 1);
  if (!family) return undefined;
  const os2 = dir.get('OS/2');
  const table = os2 ? reader.bytes(os2[0], Math.min(os2[1], 96)) : Buffer.alloc(0);
  const charsets: number[] = [];
  if (table.length >= 82) {
    const bits = table.readUInt32BE(78);
    for (const [bit, charset] of Object.entries(CHARSET_BY_CODEPAGE_BIT)) if (bits & (1 << Number(bit))) charsets.push(charset);
  } else {
    charsets.push(0);
  }
  return {
    file, offset, collection, size: reader.size, family, postscript: nameOf(names, 6), charsets,
    weight: table.length >= 6 ? table.readUInt16BE(4) : 400,
    italic: table.length >= 64 ? (table.readUInt16BE(62) & 1) === 1 : false,
  };
}

/** Every face of every font file in `folders`; files that cannot be read are left out. */
export function installedFaces(folders: string[]): InstalledFace[] {
  const faces: InstalledFace[] = [];
  for (const file of fontFiles(folders)) {
    let reader: Reader | undefined;
    try {
      reader = new Reader(file);
      const head = reader.bytes(0, 12);
      if (head.toString('latin1', 0, 4) === 'ttcf') {
        const count = Math.min(head.readUInt32BE(8), 64);
        const offsets = reader.bytes(12, count * 4);
        for (let i = 0; i + 4 <= offsets.length; i += 4) {
          const face = readFace(reader, file, offsets.readUInt32BE(i), true);
          if (face) faces.push(face);
        }
      } else {
        const face = readFace(reader, file, 0, false);
        if (face) faces.push(face);
      }
    } catch {
      // not a font after all, or unreadable: skipped
    } finally {
      reader?.close();
    }
  }
  // Regular faces first, so a charset's first face is an upright, normal-weight one.
  return faces.sort((a, b) => Number(a.italic) - Number(b.italic) || Math.abs(a.weight - 400) - Math.abs(b.weight - 400));
}

/** A font name without spaces, commas, hyphens and underscores, in lower case: how PDFs and font files spell it differ. */
export const normal = (name: string): string => name.replace(/[\s,_-]/g, '').toLowerCase();
const SERIF = 0x10;

/** The face to draw `face` with in `charset`: by name, else the best face for that script; undefined leaves it to PDFium's own fonts. */
export function pickFace(faces: InstalledFace[], face: string, charset: number, pitchFamily: number): { index: number; exact: boolean } | undefined {
  const wanted = normal(face);
  const named = faces.findIndex((f) => normal(f.family) === wanted || normal(f.postscript) === wanted);
  if (named >= 0) return { index: named, exact: true };
  // Latin text in a font we do not have: PDFium's own serif and sans stand in, the same on every machine.
  if (charset === 0 || charset === 1 || charset === 2) return undefined;
  const indexed = faces.map((f, index) => ({ f, index }));
  let covering = indexed.filter(({ f }) => f.charsets.includes(charset));
  // Pan-CJK fonts (Noto CJK, Source Han) set only some CJK code-page bits (not Big5), and any of them holds the Han characters.
  if (covering.length === 0 && CJK[charset]) covering = indexed.filter(({ f }) => f.charsets.some((c) => CJK[c]));
  if (covering.length === 0) return undefined;
  const serif = (pitchFamily & SERIF) !== 0;
  const score = ({ f }: { f: InstalledFace }): number =>
    (CJK[charset]?.test(`${f.family} ${f.postscript}`) ? 2 : 0) + (/serif|song|ming|mincho|batang/i.test(f.family) === serif ? 1 : 0);
  const best = covering.reduce((a, b) => (score(b) > score(a) ? b : a));
  return { index: best.index, exact: false };
}

/** PDFium's sizes and bytes of a face: a collection is handed whole, with the face found by its offset. */
export function faceData(face: InstalledFace, table: number, cache: { file?: string; data?: Buffer }): Buffer | undefined {
  const TTCF = 0x74746366;
  const whole = (): Buffer => {
    if (cache.file !== face.file) {
      cache.data = readFileSync(face.file);
      cache.file = face.file;
    }
    return cache.data!;
  };
  if (table === TTCF) return face.collection ? whole() : undefined;
  // For a face of a collection PDFium takes (size of the collection − this) as the face's offset in it.
  if (table === 0) return whole().subarray(face.collection ? face.offset : 0);
  const data = whole();
  const tag = Buffer.alloc(4);
  tag.writeUInt32BE(table >>> 0);
  const count = data.readUInt16BE(face.offset + 4);
  for (let i = 0; i < count; i++) {
    const at = face.offset + 12 + i * 16;
    if (data.toString('latin1', at, at + 4) === tag.toString('latin1')) return data.subarray(data.readUInt32BE(at + 8), data.readUInt32BE(at + 8) + data.readUInt32BE(at + 12));
  }
  return undefined;
}
