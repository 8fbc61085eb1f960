/**
 * A serial queue: operations run one at a time in the order they were enqueued, so a stop, a crash
 * restart and a user restart of the same thing never interleave. A failing operation rejects its own
 * promise only; the queue carries on.
 */
export class OpQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(op: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const next = this.tail.then(op, op);
    this.tail = next.then(
      () => this.pending--,
      () => this.pending--,
    );
    return next;
  }

  /** Operations enqueued and not finished. */
  get size(): number {
    return this.pending;
  }
}
