// The request files of one export: lines go to FILE until the next would pass --max-requests or
// --max-bytes, then to FILE-2.jsonl, FILE-3.jsonl… Each is written to a temporary file beside it
// and renamed into place only when the whole export is done: a failed or interrupted export
// leaves the files there were.
import path from 'node:path';
import { fileSink, type Sink } from '../emit/sink.js';
import { FileFailure } from '../support/errors.js';
import { fileSize } from '../support/words.js';

export interface Limits {
  maxRequests: number;
  maxBytes: number;
}

export interface RequestFile {
  /** As the user named it (relative names stay relative). */
  file: string;
  requests: number;
  bytes: number;
  customIds: string[];
}

/** The n-th file's name (n from 1): requests.jsonl, requests-2.jsonl, … */
export function partName(first: string, n: number): string {
  if (n === 1) return first;
  const ext = path.extname(first);
  return `${first.slice(0, first.length - ext.length)}-${n}${ext}`;
}

export class RequestFiles {
  private readonly parts: (RequestFile & { sink: Sink })[] = [];
  /** Lines are written one at a time, in the order they come. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly first: string,
    private readonly limits: Limits,
    private readonly cwd: string,
  ) {}

  /** Adds a line (without its newline); resolves once it is written, which holds the pipeline back when the disk is slow. */
  add(customId: string, line: string): Promise<void> {
    const bytes = Buffer.byteLength(line) + 1;
    if (bytes > this.limits.maxBytes) {
      return Promise.reject(new FileFailure(
        `its request is ${fileSize(bytes)}, more than --max-bytes ${this.limits.maxBytes}: lower --max-pixels or raise --max-bytes`,
      ));
    }
    const next = this.chain.then(() => this.write(customId, `${line}\n`, bytes));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(customId: string, text: string, bytes: number): Promise<void> {
    let part = this.parts.at(-1);
    if (!part || part.requests + 1 > this.limits.maxRequests || part.bytes + bytes > this.limits.maxBytes) {
      const file = partName(this.first, this.parts.length + 1);
      part = { file, requests: 0, bytes: 0, customIds: [], sink: await fileSink(path.resolve(this.cwd, file)) };
      this.parts.push(part);
    }
    await part.sink.write(text);
    part.requests++;
    part.bytes += bytes;
    part.customIds.push(customId);
  }

  /** Renames every file into place; what was written, in order. */
  async commit(): Promise<RequestFile[]> {
    await this.chain;
    for (const part of this.parts) await part.sink.commit();
    return this.parts.map(({ sink: _sink, ...part }) => part);
  }

  /** Drops every file written: the ones there were stay as they were. */
  async discard(): Promise<void> {
    await this.chain;
    for (const part of this.parts) await part.sink.discard();
  }
}
