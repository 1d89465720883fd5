// Whether a CSV starts with a UTF-8 byte-order mark. Excel (Windows, opened by double-click) reads a
// CSV without one in the ANSI code page, so Chinese turns to mojibake; csvkit, pandas, LibreOffice,
// sqlite-utils, exiftool and our own readers skip it; Python's csv module (encoding='utf-8'), cut and
// awk do not, and `cat a.csv b.csv` puts one mid-file. So: a regular file (-o FILE), which a person
// opens, gets one; stdout, pipes, FIFOs and devices, which tools read, do not. --bom / --no-bom (or
// the setting) decide otherwise. README: "CSV and Excel: the byte-order mark".
import type { Sink } from './sink.js';

export function wantsBom(setting: boolean | undefined, sink: Pick<Sink, 'atomic'>): boolean {
  return setting ?? sink.atomic;
}
