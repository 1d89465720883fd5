// A build step, run after tsc: dist/i18n/catalogs.js becomes one module that holds both languages
// as JSON text, so a command loads one file instead of 48 (about 20 ms of every start; V8 parses
// JSON faster than the same object as code). The sources stay one module per namespace and
// language; types come from tsc's catalogs.d.ts. Running it again gives the same file.
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const target = fileURLToPath(new URL('./catalogs.js', import.meta.url));
const { en, zh } = (await import('./catalogs.js')) as { en: unknown; zh: unknown };
const literal = (value: unknown): string => JSON.stringify(JSON.stringify(value));
const text = [
  '// Made at build time by bundle-catalogs.js from src/i18n/en/*.ts and src/i18n/zh/*.ts.',
  `export const en = JSON.parse(${literal(en)});`,
  `export const zh = JSON.parse(${literal(zh)});`,
  'export const catalogs = { en, zh };',
  '',
].join('\n');
writeFileSync(`${target}.tmp`, text);
renameSync(`${target}.tmp`, target);
