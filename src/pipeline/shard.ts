// --shard i/n: splits a walk between n machines. A file's shard depends only on
// its path below the folder named on the command line, so machines that mount the
// archive in different places agree, and a new file never moves the others.
// --shard auto takes i and n from a scheduler (shard-auto.ts).
import { createHash } from 'node:crypto';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { schedulerPart } from './shard-auto.js';
import type { FileEntry } from './walk.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
  /** --shard auto: the variables the part was read from. */
  from?: string;
}

export function parseShard(value: string, env: Readonly<Record<string, string | undefined>> = {}): Shard {
  if (value.trim() === 'auto') {
    const part = schedulerPart(env);
    return { index: part.index + 1, count: part.count, from: part.from };
  }
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new UsageError(t('pipeline:shard.expected', { value: JSON.stringify(value) }));
  }
  return { index, count };
}

/** As --shard i/n would give it: what the cache's run records show. */
export const shardLabel = (shard: Shard): string => `${shard.index}/${shard.count}`;

export function inShard(relativePath: string, shard: Shard): boolean {
  if (shard.count === 1) return true;
  const h = createHash('sha256').update(relativePath).digest();
  return h.readUInt32BE(0) % shard.count === shard.index - 1;
}

/** This shard's part of a walk's batches. */
export async function* shardOf(batches: AsyncIterable<FileEntry[]>, shard: Shard): AsyncGenerator<FileEntry[]> {
  for await (const batch of batches) {
    const mine = batch.filter((f) => inShard(f.relativePath, shard));
    if (mine.length > 0) yield mine;
  }
}
