// Turns a model's raw answer into the catalog's output: strips GLM's box and
// thinking markers, and parses and validates structured answers.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { tIn } from '../i18n/index.js';
import { newAjv } from '../support/lazy-ajv.js';
import type { JsonSchema } from '../backends/backend.js';

const THINK = /<think>[\s\S]*?<\/think>/g;
const OPEN_THINK = /^[\s\S]*?<\/think>/; // a reply that starts mid-thought
const BOX = /<\|begin_of_box\|>([\s\S]*?)<\|end_of_box\|>/;
const MARKERS = /<\|begin_of_box\|>|<\|end_of_box\|>|\/nothink/g;

export function cleanAnswer(raw: string): string {
  let text = raw.replace(THINK, '');
  if (text.includes('</think>')) text = text.replace(OPEN_THINK, '');
  const box = BOX.exec(text);
  if (box) text = box[1] ?? '';
  return text.replace(MARKERS, '').trim();
}

/** An answer that is not the object the schema asks for: its text is a row's `error` column, data that stays English. */
export class AnswerError extends Error {
  override name = 'AnswerError';
}

export function compileValidator(schema: JsonSchema): ValidateFunction {
  return newAjv({ strict: false, allErrors: true }).compile(schema);
}

/** Parses a structured answer; tolerates code fences and prose around the object. */
export function parseJsonAnswer(text: string, validate: ValidateFunction): Record<string, unknown> {
  const candidate = extractObject(text);
  if (candidate === undefined) throw new AnswerError(tIn('en', 'pipeline:answer.notJson', { preview: preview(text) }));
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch (error) {
    throw new AnswerError(tIn('en', 'pipeline:answer.invalidJson', { why: (error as Error).message, preview: preview(text) }));
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AnswerError(tIn('en', 'pipeline:answer.notObject', { preview: preview(text) }));
  }
  if (!validate(value)) {
    const problems = (validate.errors ?? []).slice(0, 3).map(schemaProblem).join('; ');
    throw new AnswerError(tIn('en', 'pipeline:answer.schema', { problems }));
  }
  return value as Record<string, unknown>;
}

/** ajv's `/items/0/name` as `items[0].name`. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}

/** One schema error naming the field it is about: "field 'date': must match format "date"". */
export function schemaProblem(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  const parent = fieldName(e.instancePath);
  const child = (key: string): string => (parent ? `${parent}.${key}` : key);
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') return `field '${child(params.missingProperty)}': missing`;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `field '${child(params.additionalProperty)}': not in the schema`;
  }
  const what = e.message ?? e.keyword;
  return parent ? `field '${parent}': ${what}` : `the answer: ${what}`;
}

function extractObject(text: string): string | undefined {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = (fenced ? fenced[1] : text) ?? '';
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  return body.slice(start, end + 1);
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || '(empty)';
}
