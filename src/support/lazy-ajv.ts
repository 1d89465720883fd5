// Ajv, loaded the first time a template has a JSON schema: most runs (describe, ocr) have none,
// and loading Ajv is a tenth of a cached run's start.
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, Options } from 'ajv';

let loaded: typeof AjvClass | undefined;

export function newAjv(options: Options): AjvClass {
  loaded ??= (createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass }).Ajv;
  return new loaded(options);
}
