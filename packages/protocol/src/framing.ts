import { FrameError } from './errors.js';

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
}

/**
 * Turns a byte stream (chunks as they arrive from a socket) back into whole payloads.
 *
 * The declared length is checked as soon as the 4 header bytes are in, before the payload is
 * buffered: an oversized or zero length throws a `FrameError` and the decoder stays failed (every later
 * `push` throws the same error), since the stream cannot be resynchronised; close the connection.
 *
 * Returned payloads may be views into the pushed chunks (no copy when a frame lies within one chunk):
 * do not modify a chunk after pushing it. Work is linear in the bytes pushed; it does not re-concat
 * the backlog on every chunk.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  /** Chunks not yet consumed; `head` indexes the first live one, `offset` bytes of it are consumed. */
  #chunks: Buffer[] = [];
  #head = 0;
  #offset = 0;
  #buffered = 0;
  /** Payload length of the frame being read, or -1 while waiting for a header. */
  #expected = -1;
  #failure: FrameError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  /** Bytes received but not yet returned as a payload (at most one frame's worth plus one chunk). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Feeds one chunk; returns every payload it completes, in order (often none). */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failure) throw this.#failure;
    if (chunk.byteLength > 0) {
      this.#chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
      this.#buffered += chunk.byteLength;
    }
    const payloads: Buffer[] = [];
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < FRAME_HEADER_BYTES) break;
        const length = this.#take(FRAME_HEADER_BYTES).readUInt32BE(0);
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
      if (this.#buffered < this.#expected) break;
      payloads.push(this.#take(this.#expected));
      this.#expected = -1;
    }
    return payloads;
  }

  #fail(error: FrameError): never {
    this.#failure = error;
    // Drop the backlog: a failed decoder must not keep a peer's bytes alive.
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
    throw error;
  }

  /** Removes exactly `n` (<= buffered) bytes from the front; a view when they lie in one chunk. */
  #take(n: number): Buffer {
    const first = this.#chunks[this.#head]!;
    let out: Buffer;
    if (first.byteLength - this.#offset >= n) {
      out = first.subarray(this.#offset, this.#offset + n);
      this.#advance(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.#chunks[this.#head]!;
        const count = Math.min(n - filled, chunk.byteLength - this.#offset);
        chunk.copy(out, filled, this.#offset, this.#offset + count);
        filled += count;
        this.#advance(count);
      }
    }
    return out;
  }

  /** Consumes `n` bytes that lie within the current head chunk. */
  #advance(n: number): void {
    this.#offset += n;
    this.#buffered -= n;
    if (this.#offset === this.#chunks[this.#head]!.byteLength) {
      this.#head++;
      this.#offset = 0;
      // Compact now and then so the array does not grow without bound (amortised O(1) per chunk).
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      } else if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#head);
        this.#head = 0;
      }
    }
  }
}
