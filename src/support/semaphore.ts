// A counting semaphore: bounds how much work is held at once (images read and
// decoded ahead of the model, documents open), so memory stays flat however
// large the folder.
export class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }

  /** Acquires a permit and returns its release, which gives it back at most once. */
  async hold(): Promise<() => void> {
    await this.acquire();
    let holding = true;
    return () => {
      if (holding) this.release();
      holding = false;
    };
  }
}
