// A document's rows come together in a catalog: its file is read and opened once
// for all of them. Each row takes its own file's entry at once, with no await
// between looking it up and counting itself in, so it can never be handed
// another file's, and an entry is closed only when no row holds it.

export interface SharedFiles<T> {
  /** Runs `work` on `file` opened: opened now, or shared with the rows using it already. */
  use<R>(file: string, work: (opened: Promise<T>) => Promise<R>): Promise<R>;
  /** Closes what is still open, and waits for every close. */
  close(): Promise<void>;
}

interface Entry<T> {
  file: string;
  opened: Promise<T>;
  users: number;
}

/**
 * `open` and `close` are the file's own; a rejection of either stays with the
 * row that awaits `opened` (close errors are dropped: the file was only read).
 */
export function sharedFiles<T>(open: (file: string) => Promise<T>, close: (opened: Promise<T>) => Promise<void>): SharedFiles<T> {
  const entries = new Map<string, Entry<T>>();
  const closing = new Set<Promise<void>>();
  // The latest file stays open between its rows: the next row may start only after this one ends.
  let latest: Entry<T> | undefined;

  const release = (entry: Entry<T>): void => {
    if (--entry.users > 0) return;
    entries.delete(entry.file);
    const done: Promise<void> = close(entry.opened).catch(() => undefined).finally(() => closing.delete(done));
    closing.add(done);
  };

  const take = (file: string): Entry<T> => {
    let entry = entries.get(file);
    if (!entry) {
      const opened = Promise.resolve().then(() => open(file));
      opened.catch(() => undefined); // reported by the row that awaits it
      entry = { file, opened, users: 0 };
      entries.set(file, entry);
    }
    entry.users++;
    if (latest !== entry) {
      const before = latest;
      latest = entry;
      entry.users++;
      if (before) release(before);
    }
    return entry;
  };

  return {
    async use(file, work) {
      const entry = take(file);
      try {
        return await work(entry.opened);
      } finally {
        release(entry);
      }
    },
    async close() {
      const last = latest;
      latest = undefined;
      if (last) release(last);
      while (closing.size > 0) await Promise.all(closing);
    },
  };
}
