// Where output bytes go: stdout; a regular file, through a temporary file renamed
// into place only when complete, so a failed run never leaves half a file; or a
// device, FIFO or open descriptor (/dev/fd/N), written into directly because
// replacing it would destroy the thing the user pointed us at.
import { once } from 'node:events';
import { constants, createWriteStream, type Stats, type WriteStream } from 'node:fs';
import { open, readlink, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { t, type MessageKey } from '../i18n/index.js';

/** The reader went away (`| head`): stop quietly. */
export class OutputClosed extends Error {
  override name = 'OutputClosed';
}

/** Writing the output failed (unwritable path, disk full). */
export class OutputError extends Error {
  override name = 'OutputError';
}

export interface Sink {
  write(text: string): Promise<void>;
  /** Makes the output final (renames a regular file into place; flushes and closes a device or FIFO). */
  commit(): Promise<void>;
  /** Drops what was written to a regular file, so the previous one stays; a device or FIFO is only closed. */
  discard(): Promise<void>;
  readonly closed: boolean;
  /** True where discard() leaves the previous file untouched (a regular file); false for stdout, devices and FIFOs, which already hold what was written. */
  readonly atomic: boolean;
}

export interface FileSinkOptions {
  /** Permissions of a newly written regular file, e.g. those of the file it replaces (default 0o644, less the umask). */
  mode?: number;
}

class StreamSink implements Sink {
  private failure: Error | undefined;
  readonly atomic: boolean = false;

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

  /** Flushes the last buffered bytes and waits for the descriptor to close; write errors are recorded, not thrown. */
  protected async finish(): Promise<void> {
    this.stream.end();
    if (!this.stream.closed) await once(this.stream, 'close').catch(() => undefined);
  }
}

const WRITE_FAILURES: Record<string, MessageKey> = {
  ENOSPC: 'emit:write.ENOSPC',
  EDQUOT: 'emit:write.EDQUOT',
  EFBIG: 'emit:write.EFBIG',
  EROFS: 'emit:write.EROFS',
  EACCES: 'emit:write.EACCES',
  EPERM: 'emit:write.EACCES',
  ENOENT: 'emit:write.ENOENT',
  EISDIR: 'emit:write.EISDIR',
  ENOTDIR: 'emit:write.ENOTDIR',
  ELOOP: 'emit:write.ELOOP',
  ENXIO: 'emit:write.ENXIO',
  EIO: 'emit:write.EIO',
};

/** "disk full (ENOSPC)" rather than a message that names our temporary file. */
export function whyWriteFailed(error: NodeJS.ErrnoException): string {
  const why = error.code === undefined ? undefined : WRITE_FAILURES[error.code];
  return why === undefined ? error.message : t('emit:write.because', { why: t(why), code: error.code });
}

const cannotWrite = (target: string, error: unknown): OutputError =>
  new OutputError(t('emit:write.cannot', { target, why: whyWriteFailed(error as NodeJS.ErrnoException) }));

/** A stream that is already open: stdout, or stderr by name. */
function streamSink(stream: Writable, name: string): Sink {
  return new StreamSink(stream, (error) =>
    error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED'
      ? new OutputClosed(t('emit:write.closed', { name }))
      : new OutputError(t('emit:write.cannotStream', { name, why: whyWriteFailed(error) })),
  );
}

export function stdoutSink(stream: Writable): Sink {
  return streamSink(stream, 'stdout');
}

/** `-o -`: the conventional name for stdout (a file really named "-" is `./-`). */
export function isStdoutDash(target: string | undefined): target is '-' {
  return target === '-';
}

/**
 * A command's -o: stdout when absent or `-`, else fileSink. `cwd` resolves a
 * relative path (default: the process's folder).
 */
export async function outputSink(
  target: string | undefined,
  stdout: Writable,
  options: FileSinkOptions & { cwd?: string } = {},
): Promise<Sink> {
  if (target === undefined || isStdoutDash(target)) return stdoutSink(stdout);
  return fileSink(options.cwd === undefined ? target : path.resolve(options.cwd, target), options);
}

class AtomicFileSink extends StreamSink {
  override readonly atomic = true;
  private done = false;

  constructor(
    private readonly target: string,
    private readonly final: string,
    private readonly temp: string,
    stream: WriteStream,
  ) {
    super(stream, (error) => cannotWrite(target, error));
  }

  override async commit(): Promise<void> {
    await super.commit();
    // The last buffered bytes are written here, so a full disk often shows up only now.
    await this.finish();
    if (this.failed) {
      await this.discard();
      await super.commit();
    }
    try {
      const handle = await open(this.temp, 'r');
      await handle.sync();
      await handle.close();
      await rename(this.temp, this.final);
      this.done = true;
    } catch (error) {
      await this.discard();
      throw cannotWrite(this.target, error);
    }
  }

  override async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.stream.destroy();
    await unlink(this.temp).catch(() => undefined);
  }
}

/** Written into in place: a device, FIFO or descriptor cannot be replaced, and bytes sent cannot be taken back. */
class DirectSink extends StreamSink {
  private done = false;

  constructor(target: string, stream: WriteStream) {
    super(stream, (error) =>
      error.code === 'EPIPE' ? new OutputClosed(t('emit:write.readerGone', { target })) : cannotWrite(target, error),
    );
  }

  override async commit(): Promise<void> {
    await super.commit();
    this.done = true;
    await this.finish();
    // /dev/full fails only once the bytes reach it.
    await super.commit();
  }

  override async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.stream.destroy();
  }
}

// Names of an already open descriptor (bash passes `>(cmd)` as /dev/fd/63): even
// where one leads to a regular file, that file belongs to whoever opened it.
const DESCRIPTOR = /^\/(?:dev\/(?:stdout|stderr|fd\/\d+)|proc\/(?:self|thread-self|\d+)\/fd\/\d+)$/;

/**
 * 1 or 2 where `absolute` names this process's own stdout or stderr. Those are
 * written through Node's stream on them: a socket there (systemd's journal, a
 * Node parent's stdio) cannot be opened again by name.
 */
function ownStdio(absolute: string): 1 | 2 | undefined {
  const named = /^\/dev\/(stdout|stderr)$/.exec(absolute)?.[1];
  if (named !== undefined) return named === 'stdout' ? 1 : 2;
  const fd = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/([12])$/.exec(absolute);
  return fd && (fd[1] === undefined || Number(fd[1]) === process.pid) ? (Number(fd[2]) as 1 | 2) : undefined;
}

/** Where a chain of symbolic links ends, existing or not: the file to replace, so that the links stay links. */
async function endOfLinks(file: string): Promise<string> {
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      link = await readlink(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return file; // not a link, or nothing there yet
      throw error;
    }
    file = path.resolve(path.dirname(file), link);
  }
  throw Object.assign(new Error(`too many symbolic links at ${file}`), { code: 'ELOOP' });
}

async function atomicSink(target: string, absolute: string, mode: number | undefined): Promise<Sink> {
  let final: string;
  try {
    final = await endOfLinks(absolute);
  } catch (error) {
    throw cannotWrite(target, error);
  }
  const temp = path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${Date.now()}.tmp`);
  // A cached re-run writes tens of MB in a second: with the default 16 KB buffer every batch of rows waits for a drain.
  const stream = createWriteStream(temp, { flags: 'wx', mode: mode ?? 0o644, highWaterMark: 1 << 20 });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw cannotWrite(target, error);
  }
  return new AtomicFileSink(target, final, temp, stream);
}

/** Opens without O_CREAT or O_TRUNC: the node is written into, never made, emptied or replaced. */
async function directSink(target: string, absolute: string, before: Stats, mode: number | undefined): Promise<Sink> {
  // A regular file behind a descriptor name is added to, as the shell's own descriptor would be.
  const flags = constants.O_WRONLY | (before.isFile() ? constants.O_APPEND : 0);
  let handle;
  try {
    handle = await open(absolute, flags);
  } catch (error) {
    throw cannotWrite(target, error);
  }
  let now: Stats;
  try {
    now = await handle.stat();
  } catch (error) {
    await handle.close();
    throw cannotWrite(target, error);
  }
  if (now.isFile() && !before.isFile()) {
    // Replaced by a regular file since we looked: that one is replaced atomically like any other.
    await handle.close();
    return atomicSink(target, absolute, mode);
  }
  return new DirectSink(target, handle.createWriteStream());
}

/**
 * Output to the file `target` names (relative to the process's folder). A regular
 * file, or one that does not exist yet, is written to a temporary file beside it and
 * renamed over it on commit (through symbolic links: the link stays, its target is
 * replaced). A character or block device, a FIFO, or a descriptor name such as
 * /dev/fd/63 is written into directly and never removed or replaced; /dev/stdout
 * and /dev/stderr (also as /dev/fd/1, /proc/self/fd/2) are this process's streams.
 */
export async function fileSink(target: string, options: FileSinkOptions = {}): Promise<Sink> {
  const absolute = path.resolve(target);
  const own = ownStdio(absolute);
  if (own !== undefined) return own === 1 ? stdoutSink(process.stdout) : streamSink(process.stderr, 'stderr');
  let found: Stats | undefined;
  try {
    found = await stat(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(target, error);
  }
  if (found?.isDirectory()) throw new OutputError(t('emit:write.isFolder', { target }));
  if (found?.isSocket()) throw new OutputError(t('emit:write.isSocket', { target }));
  if (found && (!found.isFile() || DESCRIPTOR.test(absolute))) return directSink(target, absolute, found, options.mode);
  // A replaced file keeps its permissions (a catalog shared with a group stays shared).
  return atomicSink(target, absolute, options.mode ?? (found ? found.mode & 0o7777 : undefined));
}
