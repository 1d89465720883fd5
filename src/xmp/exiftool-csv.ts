// The CSV that `exiftool -csv=FILE -sep '; ' DIR` applies: one row per file
// with something to write, XMP tag names as columns.
import { neutralizePath } from '../emit/neutralize.js';
import type { CatalogRow } from '../emit/columns.js';
import { xmpFields, type FieldMap, type NoteSource, type XmpFields } from './fields.js';

export const EXIFTOOL_COLUMNS = [
  'SourceFile', 'XMP-dc:Title', 'XMP-dc:Description', 'XMP-dc:Subject', 'XMP-lr:HierarchicalSubject', 'XMP-photoshop:Instructions',
] as const;

/** exiftool keeps a CSV list cell as one item unless told where to split it (-sep). */
export const EXIFTOOL_SEP = '; ';

const list = (items: string[]): string => items.map((s) => s.split(EXIFTOOL_SEP).join(', ')).join(EXIFTOOL_SEP);

/** Cells stay verbatim (no formula guard): exiftool would write an added apostrophe into the metadata. */
export function exiftoolRecord(sourceFile: string, f: XmpFields): string[] {
  return [neutralizePath(sourceFile), f.title ?? '', f.description ?? '', list(f.keywords), list(f.hierarchical), f.note];
}

/** Records for the rows that have something to write; error, truncated and rejected rows have none. */
export function exiftoolRecords(rows: readonly CatalogRow[], map: FieldMap, note: (row: NoteSource) => string, fromCsv = false): string[][] {
  return rows.flatMap((row) => {
    const fields = xmpFields(row, map, note(row), fromCsv);
    return fields ? [exiftoolRecord(row.SourceFile, fields)] : [];
  });
}
