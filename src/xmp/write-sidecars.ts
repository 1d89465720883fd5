// Writes one XMP sidecar beside each catalogued image (never into the image),
// merging into the sidecar that is already there.
import { constants, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogRow } from '../emit/columns.js';
import { imagePath } from '../emit/read-catalog.js';
import { fileSink, OutputError, whyWriteFailed } from '../emit/sink.js';
import { t } from '../i18n/index.js';
import { xmpFields, type FieldMap, type NoteSource } from './fields.js';
import { mergeSidecar, SidecarError, withdrawFromSidecar, type MergeOutcome } from './sidecar.js';

/** Lightroom names a sidecar photo.xmp; darktable and digiKam photo.jpg.xmp. */
export const SIDECAR_NAMES = ['photo.jpg.xmp', 'photo.xmp'] as const;
export type SidecarName = (typeof SIDECAR_NAMES)[number];

export interface SidecarOptions {
  /** The folder SourceFile paths are relative to. */
  base: string;
  naming: SidecarName;
  map: FieldMap;
  /** The provenance note for a row (its model, and its review if any). */
  note: (row: NoteSource) => string;
  overwrite: boolean;
  dryRun: boolean;
  /** The catalog was CSV: list fields arrive as "a; b". */
  fromCsv: boolean;
}

export interface SidecarReport {
  created: number;
  merged: number;
  unchanged: number;
  /** Rows with no answer to write: error, truncated, empty, or rejected by a reviewer. */
  skipped: { error: number; truncated: number; empty: number; rejected: number };
  /** Sidecars from which our text for a since rejected answer was removed. */
  withdrawn: number;
  kept: { title: number; description: number; note: number };
  failed: { file: string; reason: string }[];
}

export function sidecarPath(image: string, naming: SidecarName): string {
  if (naming === 'photo.jpg.xmp') return `${image}.xmp`;
  return path.join(path.dirname(image), `${path.parse(image).name}.xmp`);
}

/** A sidecar path names a device, FIFO or socket: it is neither read nor replaced. */
class NotASidecar extends Error {
  override name = 'NotASidecar';
}

/** The sidecar's text and permissions; no text when there is none yet. */
async function readSidecar(file: string): Promise<{ text: string | undefined; mode: number }> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO to read would otherwise wait for a writer forever.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: undefined, mode: 0o644 };
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotASidecar(t('xmp:sidecar.notRegular', { file }));
    const mode = stats.mode & 0o777;
    return { text: await handle.readFile('utf8'), mode };
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` by rename once `text` is all on disk (fileSink), keeping its
 * permissions; through a symbolic link the file it points to is replaced.
 */
async function writeWhole(file: string, text: string, mode: number): Promise<void> {
  const sink = await fileSink(file, { mode });
  try {
    await sink.write(text);
    await sink.commit();
  } catch (error) {
    await sink.discard();
    throw error;
  }
}

export async function writeSidecars(rows: readonly CatalogRow[], options: SidecarOptions): Promise<SidecarReport> {
  const report: SidecarReport = {
    created: 0, merged: 0, unchanged: 0,
    skipped: { error: 0, truncated: 0, empty: 0, rejected: 0 },
    withdrawn: 0,
    kept: { title: 0, description: 0, note: 0 },
    failed: [],
  };
  // photo.xmp naming: photo.jpg and photo.png would share one sidecar.
  const owners = new Map<string, string>();
  for (const row of rows) {
    if (row.status !== 'ok') {
      report.skipped[row.status]++;
      continue;
    }
    const image = imagePath(row, options.base);
    const sidecar = sidecarPath(image, options.naming);
    const fail = (reason: string): void => {
      report.failed.push({ file: row.SourceFile, reason });
    };
    if (row.review === 'rejected') {
      report.skipped.rejected++;
      await withdraw(sidecar, options.dryRun, report, fail);
      continue;
    }
    const fields = xmpFields(row, options.map, options.note(row), options.fromCsv);
    if (!fields) {
      report.skipped.empty++;
      continue;
    }
    const owner = owners.get(sidecar);
    if (owner !== undefined && owner !== image) {
      fail(t('xmp:sidecar.shared', { owner: path.basename(owner), image: path.basename(image), sidecar }));
      continue;
    }
    owners.set(sidecar, image);
    if (!existsSync(image)) {
      fail(t('xmp:sidecar.noImage', { image }));
      continue;
    }
    const read = await readOrFail(sidecar, fail);
    if (!read) continue;
    const { text: existing, mode } = read;
    let outcome: MergeOutcome;
    try {
      outcome = mergeSidecar(existing, fields, row.model, options.overwrite, sidecar);
    } catch (error) {
      if (!(error instanceof SidecarError)) throw error;
      fail(error.message);
      continue;
    }
    for (const k of outcome.kept) report.kept[k]++;
    if (existing === outcome.xml) {
      report.unchanged++;
      continue;
    }
    if (!options.dryRun) {
      try {
        await writeWhole(sidecar, outcome.xml, mode);
      } catch (error) {
        if (!(error instanceof OutputError)) throw error;
        fail(error.message);
        continue;
      }
    }
    if (existing === undefined) report.created++;
    else report.merged++;
  }
  return report;
}

/** A sidecar as it is (text undefined: none yet), or undefined after `fail` was told why it cannot be read. */
async function readOrFail(sidecar: string, fail: (reason: string) => void): Promise<Awaited<ReturnType<typeof readSidecar>> | undefined> {
  try {
    return await readSidecar(sidecar);
  } catch (error) {
    fail(error instanceof NotASidecar ? error.message : t('xmp:sidecar.cannotRead', { sidecar, why: whyWriteFailed(error as NodeJS.ErrnoException) }));
    return undefined;
  }
}

/**
 * A rejected answer: what we wrote for it earlier comes out of its sidecar (if there is one), so that
 * text a person judged wrong does not live on in Lightroom or darktable. Someone else's stays.
 */
async function withdraw(sidecar: string, dryRun: boolean, report: SidecarReport, fail: (reason: string) => void): Promise<void> {
  const read = await readOrFail(sidecar, fail);
  if (!read) return;
  const { text: existing, mode } = read;
  if (existing === undefined) return;
  let xml: string | undefined;
  try {
    xml = withdrawFromSidecar(existing, sidecar);
  } catch (error) {
    if (!(error instanceof SidecarError)) throw error;
    fail(error.message);
    return;
  }
  if (xml === undefined) return;
  if (!dryRun) {
    try {
      await writeWhole(sidecar, xml, mode);
    } catch (error) {
      if (!(error instanceof OutputError)) throw error;
      fail(error.message);
      return;
    }
  }
  report.withdrawn++;
}
