import type { ByteBudget } from './ByteBudget.js';
import { FrameError, ProtocolError } from './errors.js';

/**
 * Largest payload a frame may declare, in bytes. Checked from the 4-byte header before any of the
 * payload is buffered, so a peer cannot make us allocate more than this per connection.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Size of the big-endian length prefix that starts every frame. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Wraps one payload in a frame: a 4-byte big-endian length, then the payload (copied into one new
 * Buffer, so the result can be written with a single `socket.write`). Throws a `FrameError` for an
 * empty payload or one above `maxFrameBytes`: a frame the other side would reject is never sent.
 */
export function encodeFrame(payload: Uint8Array, maxFrameBytes: number = MAX_FRAME_BYTES): Buffer {
  if (payload.byteLength === 0) throw new FrameError('BAD_FRAME', 'cannot send an empty frame');
  if (payload.byteLength > maxFrameBytes) {
    throw new FrameError(
      'FRAME_TOO_LARGE',
      `frame of ${payload.byteLength} bytes exceeds the ${maxFrameBytes}-byte limit`,
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export interface FrameDecoderOptions {
  /** Reject frames declaring more payload bytes than this. Default `MAX_FRAME_BYTES`. */
  readonly maxFrameBytes?: number;
  /**
   * Shared allowance drawn from before the buffer of an incomplete frame grows (and given back when
   * the frame completes, the decoder fails or is released). When a draw is refused, `push` throws a
   * `ProtocolError` OVERLOADED and the decoder stays failed. Default: no limit but `maxFrameBytes`.
   */
  readonly budget?: ByteBudget;
}

/**
 * Size of the first block an incomplete frame is assembled in (or the frame's size, if smaller). Each
 * further block is twice the previous one, at most `ASSEMBLY_MAX_BLOCK_BYTES`, and never more than
 * the frame still needs: memory follows the bytes received, never the length a header announces.
 */
export const ASSEMBLY_MIN_BYTES = 64 * 1024;

/** Largest block of an incomplete frame: what a frame may hold beyond the bytes it has received. */
export const ASSEMBLY_MAX_BLOCK_BYTES = 1024 * 1024;

/**
 * Turns a byte stream (chunks as they arrive from a socket) back into whole payloads.
 *
 * The declared length is checked as soon as the 4 header bytes are in, before the payload is
 * buffered: an oversized or zero length throws a `FrameError` and the decoder stays failed (every later
 * `push` throws the same error), since the stream cannot be resynchronised; close the connection.
 *
 * A frame that lies within one pushed chunk is returned as a view into it (no copy): do not modify a
 * chunk after pushing it. A frame spread over several chunks is copied, as it arrives, into blocks of
 * its own (see `ASSEMBLY_MIN_BYTES`), joined once it is complete (a frame that fits its first block
 * is that block). The decoder keeps no reference to a pushed chunk after `push` returns, so a peer
 * holding an incomplete frame pins only `heldBytes`, not every socket read, and nothing already
 * received is copied again while the frame grows. Work is linear in the bytes pushed.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  readonly #budget: ByteBudget | null;
  /** Header bytes of the next frame when they arrived split (0..3 filled). */
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  /** Payload length of the frame being read, or -1 while waiting for a header. */
  #expected = -1;
  /** The incomplete frame's payload so far: full blocks, then the last one with `#lastFilled` bytes. */
  #blocks: Buffer[] = [];
  #lastFilled = 0;
  /** Payload bytes received for the incomplete frame, and the size of its blocks together. */
  #filled = 0;
  #held = 0;
  #failure: ProtocolError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#budget = options.budget ?? null;
  }

  /** Bytes received but not yet returned as a payload: a split header, or an incomplete frame's payload. */
  get bufferedBytes(): number {
    return this.#headerFilled + this.#filled;
  }

  /**
   * Memory held for an incomplete frame (its blocks): what it draws from the budget. At most
   * `bufferedBytes` plus one block.
   */
  get heldBytes(): number {
    return this.#headerFilled + this.#held;
  }

  /** True while part of a frame (header or payload) has arrived and the rest has not. */
  get midFrame(): boolean {
    return this.#headerFilled > 0 || this.#expected >= 0;
  }

  /** Feeds one chunk; returns every payload it completes, in order (often none). */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failure) throw this.#failure;
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const payloads: Buffer[] = [];
    let pos = 0;
    while (pos < bytes.byteLength) {
      if (this.#expected < 0) {
        let length: number;
        if (this.#headerFilled === 0 && bytes.byteLength - pos >= FRAME_HEADER_BYTES) {
          length = bytes.readUInt32BE(pos);
          pos += FRAME_HEADER_BYTES;
        } else {
          const n = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, bytes.byteLength - pos);
          bytes.copy(this.#header, this.#headerFilled, pos, pos + n);
          this.#headerFilled += n;
          pos += n;
          if (this.#headerFilled < FRAME_HEADER_BYTES) break;
          this.#headerFilled = 0;
          length = this.#header.readUInt32BE(0);
        }
        if (length === 0) return this.#fail(new FrameError('BAD_FRAME', 'zero-length frame'));
        if (length > this.maxFrameBytes) {
          return this.#fail(
            new FrameError(
              'FRAME_TOO_LARGE',
              `frame declares ${length} bytes, above the ${this.maxFrameBytes}-byte limit`,
            ),
          );
        }
        this.#expected = length;
      }
      if (this.#filled === 0 && bytes.byteLength - pos >= this.#expected) {
        payloads.push(bytes.subarray(pos, pos + this.#expected));
        pos += this.#expected;
        this.#expected = -1;
        continue;
      }
      while (pos < bytes.byteLength && this.#filled < this.#expected) {
        const block = this.#blockWithRoom();
        const n = Math.min(block.byteLength - this.#lastFilled, bytes.byteLength - pos);
        bytes.copy(block, this.#lastFilled, pos, pos + n);
        this.#lastFilled += n;
        this.#filled += n;
        pos += n;
      }
      if (this.#filled === this.#expected) {
        // Blocks never go past the frame's size: together they are exactly the payload.
        const blocks = this.#blocks;
        payloads.push(blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, this.#expected));
        this.#dropBlocks();
        this.#expected = -1;
      }
    }
    return payloads;
  }

  /** The last block if it has room left, else a new one drawn from the budget. */
  #blockWithRoom(): Buffer {
    const last = this.#blocks.at(-1);
    if (last && this.#lastFilled < last.byteLength) return last;
    const size = Math.min(
      this.#expected - this.#filled,
      last ? Math.min(2 * last.byteLength, ASSEMBLY_MAX_BLOCK_BYTES) : ASSEMBLY_MIN_BYTES,
    );
    if (this.#budget && !this.#budget.tryTake(size)) {
      return this.#fail(
        new ProtocolError(
          'OVERLOADED',
          `incomplete frames would hold more than the ${this.#budget.limitBytes}-byte limit shared by all connections`,
        ),
      );
    }
    const block = Buffer.allocUnsafe(size);
    this.#blocks.push(block);
    this.#lastFilled = 0;
    this.#held += size;
    return block;
  }

  /**
   * Drops an incomplete frame and gives its bytes back to the budget; every later `push` throws. For a
   * connection that closed (or is being closed): its partial frame must not outlive it.
   */
  release(): void {
    this.#failure ??= new FrameError('BAD_FRAME', 'the decoder was released');
    this.#dropBlocks();
    this.#headerFilled = 0;
    this.#expected = -1;
  }

  #dropBlocks(): void {
    this.#budget?.give(this.#held);
    this.#blocks = [];
    this.#lastFilled = 0;
    this.#filled = 0;
    this.#held = 0;
  }

  #fail(error: ProtocolError): never {
    // Drop the backlog: a failed decoder must not keep a peer's bytes alive.
    this.release();
    this.#failure = error;
    throw error;
  }
}
