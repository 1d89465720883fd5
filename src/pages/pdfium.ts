// PDFium, Chrome's PDF renderer, built to WebAssembly (@embedpdf/pdfium).
// Its memory is one WASM heap with a hard maximum: a file that needs more
// ends in an exception, not in the machine swapping. The package's build
// allows 2 GiB; we lower that maximum in the module's bytes before compiling
// it, so each rendering thread holds to its share of --render-memory.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { init, type WrappedPdfiumModule } from '@embedpdf/pdfium';

export type Pdfium = WrappedPdfiumModule;

const require = createRequire(import.meta.url);

/** The renderer's name and version, for doctor and for the failures the cache remembers. */
export function pdfiumVersion(): string {
  // The package exports no package.json; it sits above dist/.
  const manifest = path.join(path.dirname(require.resolve('@embedpdf/pdfium')), '..', 'package.json');
  return `PDFium (@embedpdf/pdfium ${(JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version})`;
}

const WASM_PAGE = 65_536;

/** Reads one unsigned LEB128 at `at`: its value and where the next field starts. */
function leb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[at++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80 && at < bytes.length);
  return { value, next: at };
}

/** Where the memory section's limits are: the flags, the initial page count and the maximum (if any). */
function memorySection(bytes: Uint8Array): { initial: ReturnType<typeof leb>; max: ReturnType<typeof leb> | undefined } {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb(bytes, at);
    if (id === 5) {
      const count = leb(bytes, size.next);
      const flags = leb(bytes, count.next);
      const initial = leb(bytes, flags.next);
      if (count.value !== 1) throw new Error('PDFium module: unexpected memory section');
      return { initial, max: flags.value & 1 ? leb(bytes, initial.next) : undefined };
    }
    at = size.next + size.value;
  }
  throw new Error('PDFium module: no memory section');
}

/**
 * A copy of the module whose memory may grow to `mb` MiB at most. The
 * maximum is rewritten in place, padded to the width it had, so no other
 * offset in the module moves.
 */
export function capMemory(wasm: Uint8Array, mb: number): Uint8Array {
  const bytes = new Uint8Array(wasm);
  const { initial, max } = memorySection(bytes);
  if (!max) throw new Error('PDFium module: its memory has no maximum');
  const width = max.next - initial.next;
  const pages = Math.max(initial.value, Math.floor((mb * 2 ** 20) / WASM_PAGE));
  if (pages >= max.value) return bytes;
  for (let i = 0, rest = pages; i < width; i++, rest = Math.floor(rest / 128)) {
    bytes[initial.next + i] = (rest & 0x7f) | (i < width - 1 ? 0x80 : 0);
  }
  return bytes;
}

/** The most memory the module may grow to, in bytes. */
export function memoryMaximum(wasm: Uint8Array): number {
  const { max } = memorySection(wasm);
  return (max?.value ?? 65_536) * WASM_PAGE;
}

export interface PdfiumHandle {
  pdfium: Pdfium;
  heap(): Uint8Array;
  malloc(bytes: number): number;
  free(pointer: number): void;
  /** The WASM memory's size now and its maximum, in bytes. */
  memory(): { size: number; maximum: number };
}

/** Starts PDFium with its memory capped at `memoryMb`; what it prints goes to `print`. */
export async function startPdfium(memoryMb: number, print: (line: string) => void): Promise<PdfiumHandle> {
  const wasmBinary = capMemory(readFileSync(require.resolve('@embedpdf/pdfium/pdfium.wasm')), memoryMb);
  const maximum = memoryMaximum(wasmBinary);
  const pdfium = await init({ wasmBinary: wasmBinary.buffer as ArrayBuffer, print, printErr: print });
  pdfium.PDFiumExt_Init();
  const module = pdfium.pdfium as Pdfium['pdfium'] & { HEAPU8: Uint8Array; wasmExports: { memory: { buffer: ArrayBuffer } } };
  return {
    pdfium,
    heap: () => module.HEAPU8,
    malloc: (bytes) => module.wasmExports.malloc(bytes),
    free: (pointer) => module.wasmExports.free(pointer),
    memory: () => ({ size: module.wasmExports.memory.buffer.byteLength, maximum }),
  };
}

/**
 * PDFium's text as a prompt wants it. It marks a hyphen that splits a word over
 * two lines with U+FFFE and joins the halves; the word is given whole.
 */
export function tidyText(text: string): string {
  return text
    .replace(/\uFFFE/g, '')
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex -- what PDFium passes through from broken fonts
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .trim();
}

/**
 * Opens PDFs from memory outside PDFium's heap: PDFium asks for the blocks it
 * needs (FPDF_LoadCustomDocument), so a 300 MB scanned book does not take 300
 * MB of the thread's WASM memory. Each file must stay alive until it is closed.
 */
export function documentLoader(engine: PdfiumHandle): {
  open(data: Uint8Array): { doc: number; error: number; close(): void };
} {
  const files = new Map<number, Uint8Array>();
  let next = 1;
  // GetBlock(param, position, buffer, size): 1 when the block was there.
  const getBlock = engine.pdfium.pdfium.addFunction(((param: number, position: number, buffer: number, size: number): number => {
    const data = files.get(param);
    const start = position >>> 0;
    const end = start + (size >>> 0);
    if (!data || end > data.length) return 0;
    engine.heap().set(data.subarray(start, end), buffer);
    return 1;
  }) as (...args: unknown[]) => unknown, 'iiiii');
  return {
    open(data) {
      const id = next++;
      // FPDF_FILEACCESS: m_FileLen, m_GetBlock, m_Param (wasm32: three 4-byte fields).
      const access = engine.malloc(12);
      if (!access) return { doc: 0, error: -1, close: () => undefined };
      const view = new DataView(engine.heap().buffer);
      view.setUint32(access, data.length, true);
      view.setInt32(access + 4, getBlock, true);
      view.setInt32(access + 8, id, true);
      files.set(id, data);
      const doc = engine.pdfium.FPDF_LoadCustomDocument(access, '');
      const release = (): void => {
        files.delete(id);
        engine.free(access);
      };
      if (!doc) {
        const error = engine.pdfium.FPDF_GetLastError();
        release();
        return { doc: 0, error, close: () => undefined };
      }
      return {
        doc, error: 0,
        close: () => {
          engine.pdfium.FPDF_CloseDocument(doc);
          release();
        },
      };
    },
  };
}
