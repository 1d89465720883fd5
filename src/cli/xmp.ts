// `glm-vision xmp CATALOG`: a finished catalog's answers as XMP metadata, in
// sidecar files or as the CSV that exiftool applies. Images are never opened for writing.
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readCatalog } from '../emit/read-catalog.js';
import { groupCatalogRows } from '../pages/group.js';
import { outputSink } from '../emit/sink.js';
import { CSV_OPTIONS } from '../emit/writers.js';
import { UsageError } from '../support/errors.js';
import { EXIFTOOL_COLUMNS, exiftoolRecords } from '../xmp/exiftool-csv.js';
import { DEFAULT_FIELD_MAP, fieldList, provenanceNotes, type FieldMap } from '../xmp/fields.js';
import { writeSidecars, type SidecarReport } from '../xmp/write-sidecars.js';
import { t } from '../i18n/index.js';
import type { CliIO } from './io.js';
import type { XmpFlags } from '../config/options.js';
import { parseFlags } from '../config/parse-flags.js';

export type { XmpFlags };

function summary(r: SidecarReport, dryRun: boolean): string[] {
  const lines = [t(dryRun ? 'cli:xmp.sidecarsDry' : 'cli:xmp.sidecars', { count: r.created, merged: r.merged, unchanged: r.unchanged })];
  const kept = (['title', 'description', 'note'] as const).filter((k) => r.kept[k] > 0).map((k) => t(`cli:xmp.kept.${k}`, { count: r.kept[k] }));
  if (kept.length) lines.push(t('cli:xmp.kept', { fields: kept.join(t('cli:list.separator')) }));
  // Status values, as the catalog's status and review columns write them.
  const skipped = (['error', 'truncated', 'empty', 'rejected'] as const).filter((k) => r.skipped[k] > 0).map((k) => `${r.skipped[k]} ${k}`);
  if (skipped.length) lines.push(t('cli:xmp.skipped', { counts: skipped.join(t('cli:list.separator')) }));
  if (r.withdrawn) lines.push(t(dryRun ? 'cli:xmp.withdrawnDry' : 'cli:xmp.withdrawn', { count: r.withdrawn }));
  if (r.failed.length) lines.push(t('cli:xmp.failed', { count: r.failed.length }), ...r.failed.map((f) => `  ${f.file}: ${f.reason}`));
  return lines;
}

export async function xmpCommand(catalog: string, given: XmpFlags, io: CliIO): Promise<number> {
  if (!!given.sidecars === !!given.csv) throw new UsageError(t('cli:xmp.sayWhat'));
  if (given.output !== undefined && !given.csv) throw new UsageError(t('cli:xmp.outputWithoutCsv'));
  const flags = parseFlags('xmp', given);
  const naming = flags.sidecarName;
  const read = readCatalog(path.resolve(io.cwd, catalog));
  // Metadata belongs to files: a document's pages become one description.
  const rows = groupCatalogRows(read.rows);
  const known = read.fields;
  const map: FieldMap = {
    title: flags.title !== undefined ? fieldList('--title', flags.title, known) : DEFAULT_FIELD_MAP.title,
    description: flags.description !== undefined ? fieldList('--description', flags.description, known) : DEFAULT_FIELD_MAP.description,
    keywords: flags.keywords !== undefined ? fieldList('--keywords', flags.keywords, known) : DEFAULT_FIELD_MAP.keywords,
  };
  const note = provenanceNotes();
  const fromCsv = read.format === 'csv';

  if (flags.csv) {
    const records = exiftoolRecords(rows, map, note, fromCsv);
    const sink = await outputSink(flags.output, io.stdout, { cwd: io.cwd });
    try {
      await sink.write(stringify([[...EXIFTOOL_COLUMNS], ...records], CSV_OPTIONS));
      await sink.commit();
    } catch (error) {
      await sink.discard();
      throw error;
    }
    const rejected = rows.filter((r) => r.status === 'ok' && r.review === 'rejected').length;
    const counts = { count: records.length, nothing: rows.length - records.length, rejected };
    if (!flags.quiet) io.stderr.write(`glm-vision: xmp: ${t(rejected ? 'cli:xmp.csvRejected' : 'cli:xmp.csv', counts)}\n`);
    return 0;
  }

  const report = await writeSidecars(rows, {
    base: path.resolve(io.cwd, flags.base ?? '.'), naming, map, note,
    overwrite: !!flags.overwrite, dryRun: !!flags.dryRun, fromCsv,
  });
  if (!flags.quiet || report.failed.length) io.stderr.write(summary(report, !!flags.dryRun).map((l) => `glm-vision: xmp: ${l}\n`).join(''));
  return report.failed.length ? 1 : 0;
}
