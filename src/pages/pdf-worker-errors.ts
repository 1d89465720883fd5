// A rendering thread's failures, and how they cross to the pool (PdfWireError).
import { DocumentLimit, FileFailure } from '../support/errors.js';
import { serializeError } from '../support/worker-errors.js';
import type { PdfWireError } from './pdf-protocol.js';

/** Went over this thread's memory cap: the pool names the limit and the flag. */
export class MemoryLimit extends Error {}
/** A file's fault (it becomes an error row), as opposed to a fault of ours. */
export class PdfFault extends Error {}
/** PDFium aborted earlier on this thread: nothing more can run on it. */
export class Broken extends Error {}

/** WebAssembly.RuntimeError: PDFium called abort(), or trapped; its instance is unusable after it. */
export function isPdfiumAbort(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'RuntimeError';
}

/**
 * One line naming what is wrong with the file, in the words a user would search for.
 * `outOfMemory`: PDFium could not grow its heap, so an abort is a memory limit.
 */
export function describe(error: unknown, outOfMemory: boolean): PdfWireError {
  const message = String((error as Error | undefined)?.message ?? error).replace(/\.$/, '');
  if (error instanceof PdfFault) return wire(new FileFailure(message));
  // The pool words the limit's message: it knows the flag's value and the threads' share.
  if (error instanceof MemoryLimit) return wire(new DocumentLimit(message, 'memory'));
  if (error instanceof Broken) return { ...wire(new Error(message)), broken: true };
  if (isPdfiumAbort(error)) {
    if (outOfMemory) return wire(new DocumentLimit('memory', 'memory'));
    return { ...wire(new FileFailure(`PDFium stopped on this file (${message})`)), broken: true };
  }
  // A fault of ours: the stack sent is the original's, for the bug report.
  return wire(new Error(`cannot read the PDF: ${message}`), error);
}

/** An error as the pool revives it; a DocumentLimit's limit ('memory' here) travels in serializeError's field. */
function wire(error: Error, thrown?: unknown): PdfWireError {
  const sent = serializeError(error);
  if (thrown instanceof Error && thrown.stack !== undefined) sent.stack = thrown.stack;
  return { ...sent, fileFault: error instanceof FileFailure };
}
