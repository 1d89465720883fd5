// Where catalog bytes go: stdout, or a temporary file renamed into place only
// when the run has finished, so a failed run never leaves half a catalog.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';

/** The reader went away (`| head`): stop quietly. */
export class OutputClosed extends Error {
  override name = 'OutputClosed';
}

/** Writing the catalog failed (unwritable path, disk full). */
export class OutputError extends Error {
  override name = 'OutputError';
}

export interface Sink {
  write(text: string): Promise<void>;
  /** Makes the output final (renames the file into place). */
  commit(): Promise<void>;
  /** Drops what was written to a file; the previous catalog stays. */
  discard(): Promise<void>;
  readonly closed: boolean;
}

class StreamSink implements Sink {
  private failure: Error | undefined;

  constructor(
    protected readonly stream: Writable,
    private readonly describe: (error: NodeJS.ErrnoException) => Error,
  ) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= this.describe(error);
    });
  }

  protected get failed(): boolean {
    return this.failure !== undefined;
  }

  get closed(): boolean {
    return this.failure instanceof OutputClosed;
  }

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(text)) {
      // once() rejects on 'error'; the error listener above has recorded it.
      await once(this.stream, 'drain').catch(() => undefined);
    }
    if (this.failure) throw this.failure;
  }

  async commit(): Promise<void> {
    if (this.failure) throw this.failure;
  }

  async discard(): Promise<void> {}
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'the folder does not exist',
  EISDIR: 'it is a folder',
};

/** "disk full (ENOSPC)" rather than a message that names our temporary file. */
export function whyWriteFailed(error: NodeJS.ErrnoException): string {
  const why = error.code === undefined ? undefined : WRITE_FAILURES[error.code];
  return why === undefined ? error.message : `${why} (${error.code})`;
}

export function stdoutSink(stream: Writable): Sink {
  return new StreamSink(stream, (error) =>
    error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED'
      ? new OutputClosed('stdout was closed')
      : new OutputError(`Cannot write to stdout: ${whyWriteFailed(error)}`),
  );
}

class AtomicFileSink extends StreamSink {
  private done = false;

  constructor(
    private readonly target: string,
    private readonly temp: string,
    stream: WriteStream,
  ) {
    super(stream, (error) => new OutputError(`Cannot write ${target}: ${whyWriteFailed(error)}`));
  }

  override async commit(): Promise<void> {
    await super.commit();
    // The last buffered bytes are written here, so a full disk often shows up only now.
    this.stream.end();
    await once(this.stream, 'close').catch(() => undefined);
    if (this.failed) {
      await this.discard();
      await super.commit();
    }
    try {
      const handle = await open(this.temp, 'r');
      await handle.sync();
      await handle.close();
      await rename(this.temp, this.target);
      this.done = true;
    } catch (error) {
      await this.discard();
      throw new OutputError(`Cannot write ${this.target}: ${whyWriteFailed(error as NodeJS.ErrnoException)}`);
    }
  }

  override async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.stream.destroy();
    await unlink(this.temp).catch(() => undefined);
  }
}

/** `mode`: the permissions of the file it replaces, where that should keep them. */
export async function fileSink(target: string, options: { mode?: number } = {}): Promise<Sink> {
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const stream = createWriteStream(temp, { flags: 'wx', mode: options.mode ?? 0o644 });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new OutputError(`Cannot write ${target}: ${whyWriteFailed(error as NodeJS.ErrnoException)}`);
  }
  return new AtomicFileSink(target, temp, stream);
}
