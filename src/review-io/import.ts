// `review import`: decisions made elsewhere (a spreadsheet edit of a catalog, another machine's
// `review export`) checked row by row against the cache, and every problem reported with its line,
// before anything is saved. Nothing is half applied: all the decisions are saved in one transaction,
// and only when no row has a problem.
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { ValidateFunction } from 'ajv';
import { DECISIONS, ReviewStore, type Decision, type ReviewInput } from '../cache/reviews.js';
import { shortFingerprint, type JobSummary } from '../cache/jobs.js';
import { answerValue } from '../pipeline/answer.js';
import { compileValidator } from '../pipeline/parse.js';
import { t } from '../i18n/index.js';
import { LIST_SEPARATOR } from '../emit/columns.js';
import type { DecisionFile, DecisionRecord } from './decision-file.js';

export interface ImportOptions {
  jobs: ReadonlyMap<string, JobSummary>;
  /** The job of rows without one (a full fingerprint). */
  job: string | undefined;
  /** Who decided, for rows without a reviewer. */
  reviewer: string;
  /** When, for rows without reviewed_at (ms). */
  now: number;
  /** Where relative SourceFile paths are taken from when the file index lacks them as written. */
  cwd: string;
}

export interface ImportCounts {
  accepted: number;
  edited: number;
  rejected: number;
  /** Rows with an empty review. */
  skipped: number;
  /** Rows that say what the cache already holds (or what an earlier row of the file said). */
  unchanged: number;
  /** Decisions on another answer than the cache holds now: only an edit applies to it. */
  stale: number;
}

export interface ImportPlan {
  inputs: ReviewInput[];
  /** Each as `line N: …`, in file order. */
  problems: string[];
  counts: ImportCounts;
}

type Value = string | Record<string, unknown>;

/** What a job's rows are checked against. */
interface JobContext {
  fingerprint: string;
  validate: ValidateFunction | undefined;
  /** Schema properties, in order (structured jobs). */
  fields: string[];
  properties: Record<string, unknown>;
  maxTokens: number;
}

class RowProblem extends Error {}

const text = (v: unknown): string | undefined => {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
};

/** "a  b\r\nc " and "a b c" are the same text to a spreadsheet: compared with white space folded. */
const folded = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** A value as the catalog's CSV shows it in a cell (without the formula guard). */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(LIST_SEPARATOR);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * Two answers alike: texts with white space folded, structured answers field by field as CSV cells
 * show them (`partial`: only the fields `a` has, as a file with some of the schema's columns gives them).
 */
function same(a: Value | null, b: Value | null, partial = false): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return typeof a === typeof b && folded(a as string) === folded(b as string);
  const keys = new Set([...Object.keys(a), ...(partial ? [] : Object.keys(b))]);
  return [...keys].every((k) => folded(cellText(a[k])) === folded(cellText(b[k])));
}

const schemaType = (schema: unknown): string | undefined => {
  const t = (schema as { type?: unknown } | undefined)?.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  return undefined;
};

/** A CSV cell back to the value its schema property wants; what does not fit stays text, for the schema check to name. */
function typedCell(cell: string, schema: unknown): unknown {
  const type = schemaType(schema);
  const scalar = (s: string, t: string | undefined): unknown => {
    if ((t === 'number' || t === 'integer') && s.trim() !== '' && Number.isFinite(Number(s))) return Number(s);
    if (t === 'boolean' && (s === 'true' || s === 'false')) return s === 'true';
    if (t === 'object' || t === 'array') {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        return s;
      }
    }
    return s;
  };
  if (type === 'array') {
    if (cell.trim() === '') return [];
    if (cell.trimStart().startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(cell);
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // A list written as "a; b".
      }
    }
    const items = (schema as { items?: unknown }).items;
    return cell.split(LIST_SEPARATOR).map((s) => scalar(s, schemaType(items)));
  }
  if (cell === '' && type !== 'string') return null;
  return scalar(cell, type);
}

export class ImportPlanner {
  private readonly store: ReviewStore;
  private readonly contexts = new Map<string, JobContext>();
  private readonly q;

  constructor(private readonly db: Database.Database, private readonly options: ImportOptions) {
    this.store = new ReviewStore(db);
    this.q = {
      fileSha: db.prepare('SELECT sha256 FROM files WHERE path = ?').pluck(),
      filePath: db.prepare('SELECT path FROM files WHERE sha256 = ? ORDER BY path LIMIT 1').pluck(),
      isDocument: db.prepare('SELECT 1 FROM documents WHERE sha256 = ? UNION SELECT 1 FROM pages WHERE sha256 = ? LIMIT 1').pluck(),
      // An image whose file hash has no answer (a cache that lost it): its content's, under another hash.
      byContent: db.prepare(
        `SELECT r.output FROM contents c JOIN results r ON r.sha256 = c.sha256 AND r.job = ?
          WHERE c.content = ? ORDER BY r.created_at DESC LIMIT 1`,
      ).pluck(),
    };
  }

  plan(file: DecisionFile): ImportPlan {
    const plan: ImportPlan = { inputs: [], problems: [], counts: { accepted: 0, edited: 0, rejected: 0, skipped: 0, unchanged: 0, stale: 0 } };
    const seen = new Map<string, { line: number; input: ReviewInput }>();
    for (const record of file.records) {
      try {
        const row = this.row(record, file, plan.counts);
        if (row === undefined) continue;
        const { input, stale, badTime } = row;
        const key = `${input.key}\0${input.job}`;
        const earlier = seen.get(key);
        if (earlier) {
          const a = earlier.input;
          if (a.decision !== input.decision || a.output !== input.output || a.modelOutput !== input.modelOutput) {
            throw new RowProblem(t('reviewio:problem.conflict', { line: earlier.line }));
          }
          plan.counts.unchanged++;
          continue;
        }
        // What the cache already holds stays as it is, with its time (which a spreadsheet may have reformatted).
        const stored = this.store.get(input.key, input.job);
        if (stored && stored.decision === input.decision && stored.output === input.output && stored.modelOutput === input.modelOutput &&
          stored.reviewer === input.reviewer) {
          seen.set(key, { line: record.line, input });
          plan.counts.unchanged++;
          continue;
        }
        if (badTime !== undefined) throw new RowProblem(t('reviewio:problem.badTime', { value: JSON.stringify(badTime) }));
        seen.set(key, { line: record.line, input });
        plan.inputs.push(input);
        plan.counts[input.decision]++;
        if (stale) plan.counts.stale++;
      } catch (error) {
        if (!(error instanceof RowProblem)) throw error;
        plan.problems.push(t('reviewio:problem.atLine', { line: record.line, problem: error.message }));
      }
    }
    return plan;
  }

  private context(fingerprint: string): JobContext {
    let ctx = this.contexts.get(fingerprint);
    if (!ctx) {
      const job = this.options.jobs.get(fingerprint);
      const schema = job?.schema ?? null;
      const properties = (schema as { properties?: Record<string, unknown> } | null)?.properties ?? {};
      ctx = {
        fingerprint,
        validate: schema ? compileValidator(schema) : undefined,
        fields: Object.keys(properties),
        properties,
        maxTokens: job?.maxTokens ?? 0,
      };
      this.contexts.set(fingerprint, ctx);
    }
    return ctx;
  }

  private job(record: DecisionRecord): JobContext {
    const given = text(record.values.job)?.toLowerCase();
    if (given === undefined) {
      if (this.options.job === undefined) throw new RowProblem(t('reviewio:problem.noJob'));
      return this.context(this.options.job);
    }
    if (this.options.jobs.has(given)) return this.context(given);
    const matches = /^[0-9a-f]{4,}$/.test(given) ? [...this.options.jobs.keys()].filter((fp) => fp.startsWith(given)) : [];
    if (matches.length === 1) return this.context(matches[0] as string);
    const values = { job: JSON.stringify(given), count: matches.length };
    throw new RowProblem(matches.length > 1 ? t('reviewio:problem.jobAmbiguous', values) : t('reviewio:problem.jobUnknown', values));
  }

  /** The file's hash, and the path it is shown by. */
  private file(record: DecisionRecord): { sha: string; shown: string; path: string | null } {
    const source = text(record.values.SourceFile) ?? text(record.values.path);
    const indexed = source === undefined ? undefined : this.indexed(source);
    const given = text(record.values.sha256);
    if (given !== undefined) {
      if (!/^[0-9a-f]{64}$/i.test(given)) throw new RowProblem(t('reviewio:problem.badSha', { value: JSON.stringify(given) }));
      const sha = given.toLowerCase();
      // The image the row was made of; its path as the index knows it (the file may have changed since).
      const shownPath = indexed?.path ?? source ?? ((this.q.filePath.get(sha) as string | undefined) ?? null);
      return { sha, shown: source ?? sha.slice(0, 12), path: shownPath };
    }
    if (source === undefined) throw new RowProblem(t('reviewio:problem.noImage'));
    if (indexed) return { sha: indexed.sha, shown: source, path: indexed.path };
    throw new RowProblem(t('reviewio:problem.notIndexed', { file: JSON.stringify(source) }));
  }

  /** A path as the file index has it: as catalogued, without the "./" a formula guard put before "=x.jpg", or from here. */
  private indexed(source: string): { sha: string; path: string } | undefined {
    const candidates = [source, ...(source.startsWith('./') ? [source.slice(2)] : []), path.resolve(this.options.cwd, source)];
    for (const p of candidates) {
      const sha = this.q.fileSha.get(p) as string | undefined;
      if (sha !== undefined) return { sha, path: p };
    }
    return undefined;
  }

  private page(record: DecisionRecord): number | null {
    const v = record.values.page;
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return null;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n) || n < 1) throw new RowProblem(t('reviewio:problem.badPage', { value: JSON.stringify(v) }));
    return n;
  }

  /** The row's answer (text, or a structured answer's fields) as the file gives it in `output` or the schema's columns. */
  private value(record: DecisionRecord, file: DecisionFile, ctx: JobContext, column: 'output' | 'model_output'): Value | null {
    const v = record.values[column];
    if (ctx.validate === undefined) {
      if (v !== null && typeof v === 'object') throw new RowProblem(t('reviewio:problem.objectForText', { column }));
      return v === null || v === undefined || String(v).trim() === '' ? null : String(v);
    }
    if (column === 'output' && file.format === 'csv') {
      const present = ctx.fields.filter((f) => file.columns.includes(f));
      if (present.length > 0) {
        if (present.every((f) => String(record.values[f] ?? '').trim() === '')) return null;
        return Object.fromEntries(present.map((f) => [f, typedCell(String(record.values[f] ?? ''), ctx.properties[f])]));
      }
    }
    if (v === null || v === undefined) return null;
    if (typeof v === 'object') {
      if (Array.isArray(v)) throw new RowProblem(t('reviewio:problem.list', { column }));
      return v as Record<string, unknown>;
    }
    const s = String(v);
    if (s.trim() === '') return null;
    try {
      const parsed: unknown = JSON.parse(s);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // Not JSON: the model's text as it was (a structured answer that did not parse).
    }
    if (column === 'output') throw new RowProblem(t('reviewio:problem.outputNotJson', { fields: ctx.fields.join(', ') }));
    return s;
  }

  /** A row's decision, whether it was made on another answer than the cache holds now, and a reviewed_at that is no time. */
  private row(record: DecisionRecord, file: DecisionFile, counts: ImportCounts): { input: ReviewInput; stale: boolean; badTime?: string } | undefined {
    const said = text(record.values.review);
    if (said === undefined) {
      counts.skipped++;
      return undefined;
    }
    const decision = said.toLowerCase() as Decision;
    if (!DECISIONS.includes(decision)) throw new RowProblem(t('reviewio:problem.unknownReview', { review: JSON.stringify(said), expected: DECISIONS.join(', ') }));
    const ctx = this.job(record);
    const { sha, shown, path: shownPath } = this.file(record);
    const page = this.page(record);
    if (page === null && this.q.isDocument.get(sha, sha) !== undefined) {
      throw new RowProblem(t('reviewio:problem.documentNeedsPage', { file: shown }));
    }
    const keys = this.store.keysOfRow(sha, page, ctx.fingerprint);
    const raw = keys && (this.store.answer(keys.answer, ctx.fingerprint) ??
      (page === null ? (this.q.byContent.get(ctx.fingerprint, keys.review) as string | undefined) : undefined));
    if (!keys || raw === undefined) {
      const values = { file: shown, page, job: shortFingerprint(ctx.fingerprint) };
      throw new RowProblem(page === null ? t('reviewio:problem.noAnswer', values) : t('reviewio:problem.noAnswerPage', values));
    }

    const at = text(record.values.reviewed_at);
    const parsed = at === undefined ? this.options.now : /^\d{4}-\d{2}-\d{2}/.test(at) ? Date.parse(at) : Number.NaN;
    const badTime = Number.isFinite(parsed) ? undefined : at;
    const reviewedAt = badTime === undefined ? parsed : this.options.now;

    const cached = answerValue(raw, 'ok', ctx.validate, ctx.maxTokens).value;
    const givenModel = this.value(record, file, ctx, 'model_output');
    const stale = givenModel !== null && !same(givenModel, cached);
    const decidedOn = givenModel ?? cached;
    const modelOutput = !stale ? raw : typeof givenModel === 'string' ? givenModel : JSON.stringify(givenModel);

    let output: string | null = null;
    if (decision !== 'rejected') {
      let value = this.value(record, file, ctx, 'output');
      if (decision === 'edited') {
        // A CSV with only some of the schema's columns: the others stay as the model gave them.
        if (file.format === 'csv' && value !== null && typeof value === 'object' && decidedOn !== null && typeof decidedOn === 'object') {
          const merged: Record<string, unknown> = { ...decidedOn, ...value };
          value = Object.fromEntries([...ctx.fields.filter((f) => f in merged), ...Object.keys(merged).filter((k) => !ctx.fields.includes(k))].map((k) => [k, merged[k]]));
        }
        if (value === null) throw new RowProblem(t('reviewio:problem.editWithoutText', { fields: ctx.validate ? ctx.fields.join(', ') : 'output' }));
        if (ctx.validate && typeof value === 'object' && !ctx.validate(value)) {
          const why = (ctx.validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim()).join('; ');
          throw new RowProblem(t('reviewio:problem.editSchema', { why }));
        }
        output = typeof value === 'string' ? value : JSON.stringify(value);
      } else if (value !== null && decidedOn !== null && !same(value, decidedOn, true)) {
        throw new RowProblem(t('reviewio:problem.acceptedChanged'));
      }
    }
    const reviewer = text(record.values.reviewer) ?? this.options.reviewer;
    return { input: { key: keys.review, job: ctx.fingerprint, decision, output, modelOutput, reviewer, reviewedAt, path: shownPath, sha256: sha }, stale, badTime };
  }
}

/** Saves a plan's decisions in one transaction. */
export function saveImport(db: Database.Database, plan: ImportPlan): number {
  return new ReviewStore(db).saveAll(plan.inputs);
}
