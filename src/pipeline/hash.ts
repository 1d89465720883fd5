// A file's identity is the SHA-256 of its bytes.
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileFailure } from '../support/errors.js';

const MAX_FILE_BYTES = 1024 * 1024 * 1024;

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads a file that must be regular. O_NONBLOCK keeps a FIFO that replaced the
 * file since the walk from blocking the run.
 */
export async function readRegularFile(filePath: string | Buffer): Promise<Buffer> {
  let handle;
  try {
    handle = await open(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new FileFailure(`cannot open: ${describeErrno(error)}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileFailure('not a regular file');
    if (st.size === 0) throw new FileFailure('empty file (0 bytes)');
    if (st.size > MAX_FILE_BYTES) throw new FileFailure(`file too large (${st.size} bytes; the limit is 1 GiB)`);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof FileFailure) throw error;
    throw new FileFailure(`cannot read: ${describeErrno(error)}`);
  } finally {
    await handle.close();
  }
}

function describeErrno(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOENT') return 'file disappeared';
  return e.code ?? e.message;
}

/** Hashes a file of any size without holding it in memory (model weights). */
export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
