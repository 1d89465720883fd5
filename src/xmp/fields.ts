// Which catalog answers become which XMP fields. Text jobs give a description;
// structured jobs are mapped by field name, overridable per run.
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { VERSION } from '../support/version.js';
import { LIST_SEPARATOR, type CatalogRow } from '../emit/columns.js';

export interface FieldMap {
  title: string[];
  description: string[];
  keywords: string[];
}

/** The first field present wins for title and description; every keyword field is used. */
export const DEFAULT_FIELD_MAP: FieldMap = {
  title: ['title', 'caption'],
  description: ['description', 'summary', 'caption'],
  keywords: ['tags', 'keywords', 'subjects', 'subject', 'objects'],
};

export interface XmpFields {
  title: string | undefined;
  description: string | undefined;
  /** dc:subject: flat keywords, every level of a hierarchical tag included. */
  keywords: string[];
  /** lr:hierarchicalSubject: the tags written broad to narrow with "|". */
  hierarchical: string[];
  /** photoshop:Instructions: says the text is machine-written and unreviewed, or who reviewed it. */
  note: string;
  /** A person accepted or edited the answer: its keywords are the keywords (ours it lacks go). */
  reviewed: boolean;
}

/** `--title a,b`: names checked against the catalog's fields. */
export function fieldList(flag: string, value: string, known: readonly string[]): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(t('xmp:fields.expected', { flag, value: JSON.stringify(value) }));
  const unknown = names.filter((n) => n !== 'output' && !known.includes(n));
  if (unknown.length && known.length) {
    throw new UsageError(t('xmp:fields.unknown', { flag, field: JSON.stringify(unknown[0]), fields: known.join(', ') }));
  }
  return names;
}

const NOTE_START = 'AI-generated, not reviewed:';
const REVIEWED_START = 'Reviewed';
const REVIEWED_MIDDLE = 'checked by a person; first written by glm-vision';

/** What a row's provenance note is made from. */
export type NoteSource = Pick<CatalogRow, 'model' | 'review' | 'reviewer' | 'reviewed_at'>;

/**
 * The provenance note of a row. Unreviewed: machine-written, dated `now` (the day the metadata is
 * written). Reviewed: who decided and when (the decision's own day, so the note stays the same from
 * one run to the next), and which model wrote the text first.
 */
export function provenanceNotes(now = new Date()): (row: NoteSource) => string {
  const day = now.toISOString().slice(0, 10);
  return (row) => {
    const model = row.model || 'unknown';
    if (row.review === null) {
      return `${NOTE_START} title, description and keywords written by glm-vision ${VERSION} with the model ${model} on ${day}.`;
    }
    const by = row.reviewer ? ` by ${row.reviewer}` : '';
    const on = row.reviewed_at ? ` on ${row.reviewed_at.slice(0, 10)}` : '';
    return `${REVIEWED_START}${by}${on} (${row.review}): title, description and keywords ${REVIEWED_MIDDLE} ${VERSION} with the model ${model}.`;
  };
}

/** A note we wrote (any version, model, day or reviewer), as opposed to someone else's Instructions. */
export function isProvenanceNote(text: string): boolean {
  return (text.startsWith(NOTE_START) && text.includes('glm-vision')) || isReviewedNote(text);
}

/** A note we wrote for reviewed text. */
export function isReviewedNote(text: string): boolean {
  return text.startsWith(REVIEWED_START) && text.includes(REVIEWED_MIDDLE);
}

/** XML 1.0 cannot carry most C0 controls; a model can still emit them. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').trim();
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return clean(value) || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return clean(value.map(String).join(', ')) || undefined;
  return undefined;
}

function asList(value: unknown, fromCsv: boolean): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' || typeof v === 'number' ? [clean(String(v))] : []));
  if (typeof value === 'string') return (fromCsv ? value.split(LIST_SEPARATOR) : [value]).map(clean);
  return [];
}

/** The first named field with text, and its name. */
function firstText(output: Record<string, unknown>, names: readonly string[], skip?: string): [string, string] | undefined {
  for (const name of names) {
    const text = name === skip ? undefined : asText(output[name]);
    if (text) return [name, text];
  }
  return undefined;
}

const unique = (items: string[]): string[] => [...new Set(items.filter((s) => s.length > 0))];

/**
 * The XMP fields for one ok row, or undefined when it has nothing to write. `fromCsv`: arrays were
 * flattened to "a; b" strings by the CSV writer.
 */
export function xmpFields(row: CatalogRow, map: FieldMap, note: string, fromCsv = false): XmpFields | undefined {
  if (row.status !== 'ok' || row.output === null || row.review === 'rejected') return undefined;
  let title: string | undefined;
  let description: string | undefined;
  const tags: string[] = [];
  if (typeof row.output === 'string') {
    // A text job's answer is its description, unless --title output asks otherwise.
    const text = asText(row.output);
    if (map.title.includes('output')) title = text;
    else description = text;
  } else {
    const output = row.output;
    const titled = firstText(output, map.title);
    title = titled?.[1];
    description = firstText(output, map.description, titled?.[0])?.[1];
    for (const name of map.keywords) tags.push(...asList(output[name], fromCsv));
  }
  const hierarchical = unique(tags.filter((t) => t.includes('|')).map((t) => t.split('|').map((s) => s.trim()).filter(Boolean).join('|')));
  const keywords = unique(tags.flatMap((t) => t.split('|').map((s) => s.trim())));
  if (!title && !description && keywords.length === 0) return undefined;
  return { title, description, keywords, hierarchical, note, reviewed: row.review !== null };
}
