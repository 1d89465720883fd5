// Streaming detokenisation: text as tokens arrive, never cutting a character in half.

export interface StreamDecoder {
  /** Text that became stable with this token (may be ''). */
  push(id: number): string;
  /** Whatever is still held back, e.g. an incomplete character at the end. */
  flush(): string;
}

const REPLACEMENT = '\uFFFD';

/**
 * Decodes from the last stable point only, with one token of left context so decoders that treat the first token
 * specially (Metaspace's leading space) see the same thing as in a full decode. A trailing U+FFFD is held back: it
 * is usually a character whose remaining bytes are still to come.
 */
export class IncrementalDecoder implements StreamDecoder {
  private readonly ids: number[] = [];
  private anchor = 0; // ids before this index are fully emitted and end on a character boundary
  private context = ''; // decode of ids[anchor - 1 .. anchor]
  private emitted = 0; // characters of the window (after context) already returned

  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    private readonly isSpecial: (id: number) => boolean,
  ) {}

  push(id: number): string {
    if (this.isSpecial(id)) return '';
    this.ids.push(id);
    const body = this.window();
    let stable = body.length;
    while (stable > 0 && body[stable - 1] === REPLACEMENT) stable--;
    const out = stable > this.emitted ? body.slice(this.emitted, stable) : '';
    if (stable > this.emitted) this.emitted = stable;
    if (stable === body.length) this.advance();
    return out;
  }

  flush(): string {
    const body = this.window();
    const out = body.length > this.emitted ? body.slice(this.emitted) : '';
    this.advance();
    return out;
  }

  private window(): string {
    if (this.anchor === 0) return this.decode(this.ids);
    const text = this.decode(this.ids.slice(this.anchor - 1));
    if (text.startsWith(this.context)) return text.slice(this.context.length);
    // A decoder where the context does not compose: decode the window on its own.
    return this.decode(this.ids.slice(this.anchor));
  }

  private advance(): void {
    this.anchor = this.ids.length;
    this.context = this.anchor === 0 ? '' : this.decode(this.ids.slice(this.anchor - 1));
    this.emitted = 0;
    // Only the context token is needed from here on.
    if (this.ids.length > 1) {
      this.ids.splice(0, this.ids.length - 1);
      this.anchor = 1;
    }
  }
}
