/**
 * A readers–writer lock for the locally served requests of an edge (issue 14). Services the
 * analysis says write no state run as readers, any number at once and without a replica
 * transaction; a service that writes runs as the only writer, with no reader running, so
 *   - a reader never sees a writer's changes that the writer later rolls back, and
 *   - a rollback (which restores rows, files and globals to their value at begin()) undoes
 *     exactly its own request's changes: nobody else ran in between.
 * Fair (FIFO by arrival): a reader that arrives while a writer waits queues behind it, so a
 * steady stream of reads cannot starve writes, and readers that queue up together run together.
 */
export class RwLock {
  private readers = 0;
  private writing = false;
  private readonly queue: { write: boolean; grant: () => void }[] = [];

  /** Runs `fn` alongside other readers, never while a writer runs. */
  read<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.run(false, fn);
  }

  /** Runs `fn` alone: no reader and no other writer runs meanwhile. */
  write<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.run(true, fn);
  }

  /** Readers and writers running now, and requests waiting (tests and health). */
  get state(): { readers: number; writing: boolean; waiting: number } {
    return { readers: this.readers, writing: this.writing, waiting: this.queue.length };
  }

  private async run<T>(write: boolean, fn: () => Promise<T> | T): Promise<T> {
    await this.acquire(write);
    try {
      return await fn();
    } finally {
      this.release(write);
    }
  }

  private acquire(write: boolean): Promise<void> {
    // The fast path takes no promise round: a reader with nobody writing or waiting goes at once.
    if (this.queue.length === 0 && (write ? !this.writing && this.readers === 0 : !this.writing)) {
      if (write) this.writing = true;
      else this.readers++;
      return Promise.resolve();
    }
    return new Promise((grant) => this.queue.push({ write, grant }));
  }

  private release(write: boolean): void {
    if (write) this.writing = false;
    else this.readers--;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.queue.length > 0 && !this.writing) {
      const next = this.queue[0]!;
      if (next.write) {
        if (this.readers > 0) return;
        this.queue.shift();
        this.writing = true;
        next.grant();
        return;
      }
      this.queue.shift();
      this.readers++;
      next.grant();
    }
  }
}
