// Errors that cross a worker thread. Structured cloning keeps an Error's message
// but not its class, so a FileFailure would arrive as a plain Error and end the
// run as an internal error; workers send serializeError(error) instead and the
// main thread throws reviveError(that).
import { DocumentLimit, ErrorCode, FileFailure, NoInput, TemporaryFailure, TransientFileFailure, UsageError } from './errors.js';

/** An error as posted between threads: plain data only. */
export interface SerializedError {
  name: string;
  /**
   * The stable code of the nearest class of errors.ts the error is an instance of ('file_failure', …),
   * else the error's own string code (ENOENT, SQLITE_BUSY, …), if it has one.
   */
  code?: string;
  message: string;
  stack?: string;
  /** DocumentLimit's limit. */
  limit?: DocumentLimit['limit'];
}

type Revive = (wire: SerializedError) => Error;

/** Most specific first: an error is sent as the first class it is an instance of. */
const KNOWN: [abstract new (...args: never[]) => Error, string, Revive][] = [
  [DocumentLimit, ErrorCode.documentLimit, (w) => (isLimit(w.limit) ? new DocumentLimit(w.message, w.limit) : new FileFailure(w.message))],
  [TransientFileFailure, ErrorCode.transientFileFailure, (w) => new TransientFileFailure(w.message)],
  [FileFailure, ErrorCode.fileFailure, (w) => new FileFailure(w.message)],
  [UsageError, ErrorCode.usage, (w) => new UsageError(w.message)],
  [NoInput, ErrorCode.noInput, (w) => new NoInput(w.message)],
  [TemporaryFailure, ErrorCode.temporaryFailure, (w) => new TemporaryFailure(w.message)],
];
const BY_CODE = new Map(KNOWN.map(([, code, revive]) => [code, revive]));

function isLimit(value: unknown): value is DocumentLimit['limit'] {
  return value === 'cpu' || value === 'memory' || value === 'stall';
}

/** Anything thrown, as plain data that survives postMessage. */
export function serializeError(error: unknown): SerializedError {
  // Not only Errors are thrown: anything with a message is read like one, the rest as a string.
  const e = (error instanceof Object ? error : {}) as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
  const wire: SerializedError = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
  };
  const known = KNOWN.find(([type]) => error instanceof type);
  if (known) wire.code = known[1];
  else if (typeof e.code === 'string') wire.code = e.code;
  if (error instanceof DocumentLimit) wire.limit = error.limit;
  if (typeof e.stack === 'string') wire.stack = e.stack;
  return wire;
}

/**
 * The error a worker sent: an instance of the errors.ts class it was (a subclass arrives as the
 * class of errors.ts it extends), else a plain Error with the same name, message and code.
 * The stack is the worker's: where it was thrown is what a bug report needs.
 */
export function reviveError(wire: SerializedError): Error {
  const revive = wire.code === undefined ? undefined : BY_CODE.get(wire.code);
  let error: Error;
  if (revive) error = revive(wire);
  else {
    error = new Error(wire.message);
    if (wire.name !== 'Error') error.name = wire.name;
    if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  }
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
