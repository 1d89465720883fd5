// A structured answer's fields as the page edits them: one input per schema property, of a kind the
// page knows how to turn back into JSON (lists one item per line, objects as JSON text). Edited
// fields are checked against the job's schema before they are saved, as the model's answers were.
import { t } from '../i18n/index.js';
import type { ValidateFunction } from 'ajv';
import type { JsonSchema } from '../backends/backend.js';
import { compileValidator } from '../pipeline/parse.js';

export type FieldKind = 'text' | 'number' | 'boolean' | 'choice' | 'list' | 'json';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** null is allowed: an empty input means null. */
  nullable: boolean;
  /** A choice's values. */
  options?: string[];
  /** What a list holds: each line becomes one item of this type. */
  items?: 'string' | 'number';
  description?: string;
}

type Schema = Record<string, unknown>;

const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type.filter((t): t is string => typeof t === 'string') : typeof s.type === 'string' ? [s.type] : []);

function specOf(name: string, s: Schema): FieldSpec {
  const all = typesOf(s);
  const nullable = all.includes('null');
  const types = all.filter((t) => t !== 'null');
  const description = typeof s.description === 'string' ? s.description : undefined;
  const base = { name, nullable, ...(description !== undefined ? { description } : {}) };
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string' || v === null)) {
    return { ...base, kind: 'choice', nullable: nullable || s.enum.includes(null), options: s.enum.filter((v): v is string => typeof v === 'string') };
  }
  const [type, ...more] = types;
  if (more.length > 0 || type === undefined) return { ...base, kind: 'json' };
  if (type === 'string') return { ...base, kind: 'text' };
  if (type === 'number' || type === 'integer') return { ...base, kind: 'number' };
  if (type === 'boolean') return { ...base, kind: 'boolean' };
  if (type === 'array') {
    const item = typesOf((s.items ?? {}) as Schema);
    if (item.length === 1 && item[0] === 'string') return { ...base, kind: 'list', items: 'string' };
    if (item.length === 1 && (item[0] === 'number' || item[0] === 'integer')) return { ...base, kind: 'list', items: 'number' };
  }
  return { ...base, kind: 'json' };
}

/** A field the schema does not describe, by its value. */
function specOfValue(name: string, value: unknown): FieldSpec {
  const base = { name, nullable: true };
  if (typeof value === 'string') return { ...base, kind: 'text' };
  if (typeof value === 'number') return { ...base, kind: 'number' };
  if (typeof value === 'boolean') return { ...base, kind: 'boolean' };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { ...base, kind: 'list', items: 'string' };
  return { ...base, kind: 'json' };
}

/** The schema's properties in its order, then any other field the answer has. */
export function fieldSpecs(schema: JsonSchema | null, answer: Record<string, unknown> | null): FieldSpec[] {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const specs = Object.entries(props).map(([name, s]) => specOf(name, s && typeof s === 'object' ? s : {}));
  for (const [name, value] of Object.entries(answer ?? {})) if (!(name in props)) specs.push(specOfValue(name, value));
  return specs;
}

/** Checks edited fields against each job's schema (compiled once per job, when first needed). */
export class FieldChecker {
  private readonly validators = new Map<string, ValidateFunction | undefined>();

  constructor(private readonly schemaOf: (job: string) => JsonSchema | null) {}

  /** Undefined when the fields may be saved, else what is wrong with them. */
  problems(job: string, fields: unknown): string | undefined {
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return t('review:server.fieldsNotObject');
    if (!this.validators.has(job)) {
      const schema = this.schemaOf(job);
      this.validators.set(job, schema ? compileValidator(schema) : undefined);
    }
    const validate = this.validators.get(job);
    if (!validate || validate(fields)) return undefined;
    return (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath.replace(/^\//, '') || '(answer)'} ${e.message ?? ''}`.trim()).join('; ');
  }
}
