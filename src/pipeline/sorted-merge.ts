// Merges several streams, each already in key order, into one in key order,
// dropping repeats (the source first on the command line keeps an item). A
// source is opened only when the merge reaches its floor, so inputs that do not
// overlap are walked one after another, not all at once.
export interface SortedSource<T> {
  /** Of two sources that yield the same key, the lower order keeps it. */
  order: number;
  /** No key the source yields is below this (its folder's path prefix). */
  floor: string;
  open(): AsyncIterator<T[]>;
}

interface Cursor<T> {
  source: SortedSource<T>;
  it: AsyncIterator<T[]> | undefined;
  batch: T[];
  at: number;
  /** The next item's key, or the floor before the source is opened. */
  key: string;
}

export async function* mergeSorted<T>(sources: SortedSource<T>[], keyOf: (item: T) => string, batchSize: number): AsyncGenerator<T[]> {
  const heap = new CursorHeap<T>();
  for (const source of sources) heap.push({ source, it: undefined, batch: [], at: 0, key: source.floor });
  let out: T[] = [];
  let last: string | undefined;
  for (let cursor = heap.pop(); cursor; cursor = heap.pop()) {
    if (!cursor.it) {
      cursor.it = cursor.source.open();
      if (await refill(cursor, keyOf)) heap.push(cursor);
      continue;
    }
    const item = cursor.batch[cursor.at] as T;
    // Keys are unique within a source, so an equal key is another input's find of the same path.
    if (cursor.key !== last) {
      out.push(item);
      last = cursor.key;
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    cursor.at++;
    if (cursor.at < cursor.batch.length) {
      cursor.key = keyOf(cursor.batch[cursor.at] as T);
      heap.push(cursor);
    } else if (await refill(cursor, keyOf)) {
      heap.push(cursor);
    }
  }
  if (out.length > 0) yield out;
}

/** Reads the source's next non-empty batch; false when it has no more. */
async function refill<T>(cursor: Cursor<T>, keyOf: (item: T) => string): Promise<boolean> {
  for (;;) {
    const next = await (cursor.it as AsyncIterator<T[]>).next();
    if (next.done) return false;
    if (next.value.length === 0) continue;
    cursor.batch = next.value;
    cursor.at = 0;
    cursor.key = keyOf(next.value[0] as T);
    return true;
  }
}

/** A binary min-heap of cursors by key, then by the source's order. */
class CursorHeap<T> {
  private readonly items: Cursor<T>[] = [];

  private static less<T>(a: Cursor<T>, b: Cursor<T>): boolean {
    return a.key < b.key || (a.key === b.key && a.source.order < b.source.order);
  }

  push(cursor: Cursor<T>): void {
    const items = this.items;
    items.push(cursor);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!CursorHeap.less(items[i] as Cursor<T>, items[parent] as Cursor<T>)) break;
      [items[i], items[parent]] = [items[parent] as Cursor<T>, items[i] as Cursor<T>];
      i = parent;
    }
  }

  pop(): Cursor<T> | undefined {
    const items = this.items;
    const top = items[0];
    const end = items.pop();
    if (items.length === 0 || end === undefined) return top;
    items[0] = end;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < items.length && CursorHeap.less(items[l] as Cursor<T>, items[min] as Cursor<T>)) min = l;
      if (r < items.length && CursorHeap.less(items[r] as Cursor<T>, items[min] as Cursor<T>)) min = r;
      if (min === i) break;
      [items[i], items[min]] = [items[min] as Cursor<T>, items[i] as Cursor<T>];
      i = min;
    }
    return top;
  }
}
