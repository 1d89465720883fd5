// Patch arrays parked in the model worker from preprocessing until the
// pipeline releases them (a structured answer may be asked for twice). The
// pixels and the request travel on different channels, so either may come first.

export class HeldImages {
  private readonly images = new Map<number, Float32Array>();
  private readonly waiting = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }[]>();
  /** Released before their pixels arrived: dropped on arrival. */
  private readonly gone = new Set<number>();

  get size(): number {
    return this.images.size;
  }

  put(ref: number, pixels: Float32Array): void {
    if (this.gone.delete(ref)) return;
    this.images.set(ref, pixels);
    const waiters = this.waiting.get(ref);
    this.waiting.delete(ref);
    for (const w of waiters ?? []) w.resolve(pixels);
  }

  get(ref: number): Promise<Float32Array> {
    const pixels = this.images.get(ref);
    if (pixels) return Promise.resolve(pixels);
    if (this.gone.has(ref)) return Promise.reject(new Error(`image ${ref} was released`));
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(ref) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(ref, list);
    });
  }

  release(ref: number): void {
    if (this.images.delete(ref)) return;
    this.gone.add(ref);
    const waiters = this.waiting.get(ref);
    this.waiting.delete(ref);
    for (const w of waiters ?? []) w.reject(new Error(`image ${ref} was released`));
  }
}
