// Prompt templates: Markdown with YAML front matter. Every problem is a
// UsageError that names the file.
import { readFileSync } from 'node:fs';
import { newAjv } from '../support/lazy-ajv.js';
import YAML from 'yaml';
import { t, type MessageKey, type MessageValues } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { RESERVED_COLUMNS } from '../emit/columns.js';
import type { JsonSchema } from '../backends/backend.js';

export const BUILTIN_VARIABLES = ['file_name', 'relative_path', 'folder', 'lang', 'page_text'] as const;

export interface Template {
  name: string;
  description: string;
  system?: string;
  /** The model the local engine uses for this template when --model is not given (a hub id or folder). */
  model?: string;
  maxTokens: number;
  temperature?: number;
  topP?: number;
  output: 'text' | 'json';
  schema?: JsonSchema;
  /** Schema property names, in order: the catalog's field columns. */
  fields: string[];
  /** Declared variables; null means the user must supply one. */
  variables: Record<string, string | null>;
  body: string;
  /** The whole file, for the job fingerprint. */
  source: string;
  file: string;
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KNOWN_KEYS = new Set([
  'name', 'description', 'system', 'max_tokens', 'temperature', 'top_p', 'output', 'schema', 'variables', 'model',
]);

/** The problems of a template, by their key under prompt:invalid.*; every message names the file. */
type Invalid = MessageKey extends infer K ? (K extends `prompt:invalid.${infer P}` ? P : never) : never;
type Fail = (key: Invalid, values?: MessageValues) => never;

export function loadTemplate(file: string): Template {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(t('prompt:file.unreadable', { file, why: (error as NodeJS.ErrnoException).code ?? (error as Error).message }));
  }
  return parseTemplate(source, file);
}

export function parseTemplate(source: string, file: string): Template {
  const fail: Fail = (key, values = {}) => {
    throw new UsageError(t(`prompt:invalid.${key}`, { file, ...values }));
  };
  const match = FRONT_MATTER.exec(source.replace(/^\uFEFF/, ''));
  if (!match) fail('frontMatter');
  let meta: unknown;
  try {
    meta = YAML.parse(match?.[1] ?? '');
  } catch (error) {
    fail('yaml', { why: (error as Error).message.split('\n')[0] });
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) fail('mapping');
  const m = meta as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!KNOWN_KEYS.has(key)) fail('unknownKey', { key, known: [...KNOWN_KEYS].join(', ') });
  }
  const str = (key: string, required: boolean): string | undefined => {
    const v = m[key];
    if (v === undefined || v === null) {
      if (required) fail('required', { key });
      return undefined;
    }
    if (typeof v !== 'string') fail('string', { key });
    return v as string;
  };
  const num = (key: string, min: number, max: number, integer: boolean): number | undefined => {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      fail(integer ? 'integer' : 'number', { key, min, max, value: JSON.stringify(v) });
    }
    return v as number;
  };

  const name = str('name', true) as string;
  const output = str('output', false) ?? 'text';
  if (output !== 'text' && output !== 'json') fail('output', { value: output });
  const template: Template = {
    name,
    description: str('description', false) ?? '',
    system: str('system', false)?.trim(),
    model: str('model', false)?.trim() || undefined,
    maxTokens: num('max_tokens', 1, 1_000_000, true) ?? 1024,
    temperature: num('temperature', 0, 2, false),
    topP: num('top_p', 0, 1, false),
    output: output as 'text' | 'json',
    fields: [],
    variables: parseVariables(m.variables, fail),
    body: (match?.[2] ?? '').trim(),
    source,
    file,
  };
  if (!template.body) fail('emptyBody');
  if (template.output === 'json') {
    template.schema = checkSchema(m.schema, fail);
    template.fields = Object.keys((template.schema.properties ?? {}) as object);
  } else if (m.schema !== undefined) {
    fail('schemaWithoutJson');
  }
  for (const v of placeholders(template.body)) {
    if (!IDENTIFIER.test(v)) fail('placeholder', { placeholder: `{{${v}}}` });
  }
  return template;
}

function parseVariables(value: unknown, fail: Fail): Record<string, string | null> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail('variables');
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(value as object)) {
    if (!IDENTIFIER.test(k)) fail('variableName', { name: k });
    if ((BUILTIN_VARIABLES as readonly string[]).includes(k)) fail('variableBuiltIn', { name: k });
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') fail('variableDefault', { name: k });
    out[k] = v === null ? null : String(v);
  }
  return out;
}

function checkSchema(value: unknown, fail: Fail): JsonSchema {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('schemaMissing');
  const schema = value as JsonSchema;
  if (schema.type !== 'object' || !schema.properties || typeof schema.properties !== 'object') {
    fail('schemaObject');
  }
  for (const field of Object.keys(schema.properties as object)) {
    if (!IDENTIFIER.test(field)) fail('fieldName', { field });
    if (RESERVED_COLUMNS.has(field)) fail('fieldReserved', { field });
  }
  try {
    newAjv({ strict: false }).compile(schema);
  } catch (error) {
    fail('schema', { why: (error as Error).message });
  }
  return schema;
}

export function placeholders(body: string): string[] {
  return [...body.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}
