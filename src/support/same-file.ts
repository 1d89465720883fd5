// Two paths naming one file (links, "./x" and "x"): the catalog given as -o, a cache merged into itself.
import { statSync } from 'node:fs';
import path from 'node:path';

export function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
