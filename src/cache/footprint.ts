// The bytes a cache takes on disk: the database plus its WAL and shared-memory files.
import { statSync } from 'node:fs';

export interface Footprint {
  db: number;
  wal: number;
  shm: number;
  total: number;
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export function footprint(file: string): Footprint {
  const db = size(file);
  const wal = size(`${file}-wal`);
  const shm = size(`${file}-shm`);
  return { db, wal, shm, total: db + wal + shm };
}


/** 73728 → "73.7 kB": cache sizes run from kilobytes to gigabytes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const [value, unit] = n < 1e6 ? [n / 1e3, 'kB'] : n < 1e9 ? [n / 1e6, 'MB'] : [n / 1e9, 'GB'];
  return `${value.toFixed(1)} ${unit}`;
}
