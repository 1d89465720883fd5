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

