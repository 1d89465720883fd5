// Messages between the PDF pool and its rendering threads.

export type PdfRequest =
  | { type: 'open'; id: number; data: Uint8Array; maxInputPixels: number }
  | { type: 'render'; id: number; doc: number; page: number; dpi: number; maxPixels: number; maxInputPixels: number }
  | { type: 'close'; id: number; doc: number };

/** A page as pixels, with its identity and text layer. */
export interface RenderedPage {
  /** The pixels handed to the model: at --dpi, or smaller to fit --max-pixels. */
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  pixels: Uint8Array;
  /** The page's size at --dpi, for the catalog. */
  fullWidth: number;
  fullHeight: number;
  /** sha256 of the size and the pixels. */
  pixelHash: string;
  /** The PDF's own text layer ('' when it has none). */
  text: string;
}

export type PdfReply =
  | { id: number; pages: number }
  | { id: number; page: RenderedPage }
  | { id: number; closed: true }
  | { id: number; error: { message: string; fileFault: boolean } };
