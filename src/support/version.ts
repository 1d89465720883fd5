// The package version, for --version and for provenance notes written into metadata.
import { readFileSync } from 'node:fs';

/** package.json, as far as glm-vision reads it. */
export const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  engines?: { node?: string };
};

export const VERSION: string = PACKAGE.version;
