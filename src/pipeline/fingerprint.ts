// The job fingerprint: everything that changes an answer. Results are keyed
// by (image sha256, fingerprint), so changing any of these re-infers.
import { createHash } from 'node:crypto';
import type { GenerationParams } from '../backends/backend.js';
import type { PreprocessOptions } from '../image/preprocess.js';
import type { Template } from '../prompt/template.js';

export interface JobSpec {
  version: 1;
  backend: Record<string, unknown>;
  template: { name: string; sha256: string };
  schema: unknown;
  variables: Record<string, string>;
  generation: GenerationParams;
  preprocess: Omit<PreprocessOptions, 'maxInputPixels'>;
}

export function jobSpec(
  backend: Record<string, unknown>,
  template: Template,
  variables: Record<string, string>,
  generation: GenerationParams,
  preprocess: PreprocessOptions,
): JobSpec {
  return {
    version: 1,
    backend,
    template: { name: template.name, sha256: createHash('sha256').update(template.source).digest('hex') },
    schema: template.schema ?? null,
    variables,
    generation,
    preprocess: { maxPixels: preprocess.maxPixels, jpegQuality: preprocess.jpegQuality },
  };
}

/** JSON with sorted keys, so equal specs always hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function fingerprint(spec: JobSpec): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 32);
}
