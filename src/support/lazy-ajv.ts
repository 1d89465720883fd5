// Ajv, loaded the first time a template has a JSON schema: most runs (describe, ocr) have none,
// and loading Ajv is a tenth of a cached run's start. ajv-formats gives `format: date`, `email`,
// `uri` and the rest of JSON Schema's formats their meaning (Ajv alone ignores them, with a warning).
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, Options } from 'ajv';

type AddFormats = (ajv: AjvClass) => AjvClass;
let loaded: { Ajv: typeof AjvClass; addFormats: AddFormats } | undefined;

export function newAjv(options: Options): AjvClass {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const formats = require('ajv-formats') as { default: AddFormats };
    loaded = { Ajv: (require('ajv') as { Ajv: typeof AjvClass }).Ajv, addFormats: formats.default };
  }
  return loaded.addFormats(new loaded.Ajv(options));
}
