// Rows leave in input order while files finish in any order. Each walked file
// gets a place in line; its rows are written once every file before it has
// its rows. A run of cached rows is written in batches, anything else at once,
// and no more than `window` files wait in line, so memory stays bounded.
import type { CatalogRow } from '../emit/columns.js';
import type { CatalogWriter } from '../emit/writers.js';

interface Place {
  /** A file's rows: one, or one per page (none when an interrupt cut it off). */
  rows?: CatalogRow[];
  /** Settles when the file is done. */
  promise?: Promise<CatalogRow[] | undefined>;
}

/** Cached rows wait for this many before they are written. */
const CACHED_BATCH = 256;

export class OrderedWriter {
  private readonly line: Place[] = [];
  private next = 0;

  constructor(
    private readonly writer: CatalogWriter,
    /** What a file's rows become in the catalog (one row per document with --group-pages). */
    private readonly shape: (rows: CatalogRow[]) => CatalogRow[],
    private readonly window: number,
  ) {}

  /**
   * Rows known at once (from the cache). A promise only when the caller must wait (a batch to
   * write, or a full line): a cached re-run passes here 100,000 times and mostly need not.
   */
  known(rows: CatalogRow[], stopNow: () => boolean): Promise<void> | undefined {
    this.line.push({ rows });
    const waiting = this.line.length - this.next;
    // Rows at the head of the line are written CACHED_BATCH at a time; past a file still
    // being worked on, the line holds no more than `window`.
    if (waiting < CACHED_BATCH && (waiting <= this.window || this.line[this.next]?.rows)) return undefined;
    return this.flush(false).then(() => this.keepWithinWindow(stopNow));
  }

  /** A file being worked on; its rows join the line when `work` settles with them. */
  async pending(work: Promise<CatalogRow[] | undefined>, stopNow: () => boolean): Promise<void> {
    const place: Place = {};
    place.promise = work.then((rows) => (place.rows = rows));
    place.promise.catch(() => undefined);
    this.line.push(place);
    await this.flush(false);
    await this.keepWithinWindow(stopNow);
  }

  /** Back-pressure: the walk waits while too many files are in line. */
  private async keepWithinWindow(stopNow: () => boolean): Promise<void> {
    while (this.line.length - this.next > this.window && !stopNow()) await this.flush(true);
  }

  /** Work still running, settled without its errors (which the run handles). */
  unfinished(): Promise<unknown>[] {
    return this.line.flatMap((p) => (p.promise && !p.rows ? [p.promise.catch(() => undefined)] : []));
  }

  /** Writes every row in line, waiting for each file in turn. */
  async finish(): Promise<void> {
    await this.flush(true);
  }

  /** After an interrupt, into a stream that already has the rows before the cut: what finished, in order. */
  async finishedAfterCut(): Promise<void> {
    await this.writer.write(this.line.slice(this.next).flatMap((p) => (p.rows ? this.shape(p.rows) : [])));
  }

  private async flush(wait: boolean): Promise<void> {
    while (this.next < this.line.length) {
      const place = this.line[this.next] as Place;
      if (!place.rows) {
        if (!wait || !place.promise) return;
        await place.promise.catch(() => undefined);
        if (!place.rows) return;
      }
      const ready: CatalogRow[] = [];
      for (let p = this.line[this.next]; p?.rows; p = this.line[++this.next]) {
        ready.push(...this.shape(p.rows));
        this.line[this.next] = {};
      }
      await this.writer.write(ready);
      // Places written are dropped, so the line holds only what waits.
      if (this.next >= 1024) {
        this.line.splice(0, this.next);
        this.next = 0;
      }
    }
  }
}
