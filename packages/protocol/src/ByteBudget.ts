/**
 * A fixed allowance of bytes shared by many holders: the daemon gives one to every connection's
 * `FrameDecoder`, which draws from it before it grows the buffer of an incomplete frame and gives the
 * bytes back when the frame completes, fails or the connection closes. It only counts; it allocates
 * nothing and knows nothing of who holds what.
 */
export class ByteBudget {
  readonly limitBytes: number;
  #used = 0;

  constructor(limitBytes: number) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`a byte budget must be a non-negative integer, not ${limitBytes}`);
    }
    this.limitBytes = limitBytes;
  }

  /** Bytes currently drawn by all holders together. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Draws `bytes` if they fit under the limit and returns true; otherwise changes nothing, false. */
  tryTake(bytes: number): boolean {
    if (this.#used + bytes > this.limitBytes) return false;
    this.#used += bytes;
    return true;
  }

  /** Gives back bytes drawn with `tryTake` (never more than were drawn). */
  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
