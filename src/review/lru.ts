// A least-recently-used cache bounded by the bytes it holds: the page's images, made on demand,
// are kept while they are likely to be asked for again (back and forth between rows), and memory
// stays bounded however many rows a review walks through.

export class ByteLru<V extends { length: number }> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // A Map keeps insertion order: moving the entry to the end marks it as the latest used.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    const before = this.entries.get(key);
    if (before !== undefined) {
      this.bytes -= before.length;
      this.entries.delete(key);
    }
    if (value.length > this.maxBytes) return;
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.length;
    }
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.bytes -= value.length;
  }

  get size(): number {
    return this.bytes;
  }
}
