import type { LogSink } from './CaptureSink.js';
import { NEWLINE } from './logFormat.js';

/**
 * The read side of one service output file (the platform's; the service appends to it with O_APPEND).
 * The kernel keeps what the service wrote in it whether or not a daemon runs.
 */
export interface RawOutput {
  /** The file's identity (its inode): a new file is a new id. */
  readonly id: number;
  /** Its size now. */
  size(): number;
  /** Reads at `pos` into `buf` from its start; returns the bytes read (0 at the end). */
  read(buf: Buffer, pos: number): number;
  /** Gives back the storage of the bytes before `upTo` (stored in the log): the file stays sparse. */
  release(upTo: number): void;
}

/** One read. Its records fit the buffer a log file keeps between writes (1 MiB). */
const READ_BYTES = 512 * 1024;
/** A held line's buffer bigger than this is let go once the line is stored: a long line is rare. */
const KEEP_HELD_BYTES = 64 * 1024;
/** Bytes indexed per event-loop turn: a flood does not keep clients waiting. */
const TURN_BYTES = 8 * 1024 * 1024;
/**
 * Stored bytes of the output file are given back once this many have piled up (each release costs
 * the platform a `fallocate` run), and in any case this long after the last one once output pauses.
 */
export const RELEASE_EVERY_BYTES = 32 * 1024 * 1024;
export const RELEASE_IDLE_MS = 1000;

/** One buffer for every indexer: used synchronously, and the sink copies what it keeps. */
let shared: Buffer | null = null;

/**
 * Stores a service's output from the file it writes to: reads the bytes after `offset`, hands whole
 * lines to the sink (line split, timestamp, records, size cap, followers) together with the offset
 * they reach, and lets the sink's log file checkpoint it (captureCheckpoint.ts). A line still being
 * written is not stored until its `\n` (or until it reaches the line cap, or the process ended:
 * `drain(true)`); the bytes of it already read are held here, so each byte is read once however many
 * writes the line takes. They are a copy: the offset stays before them, so nothing is in the daemon's
 * memory alone, a daemon killed at any moment loses no line, and the next one resumes at the checkpoint.
 */
export class CaptureIndexer {
  private released = 0;
  private releaseTimer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private closed = false;
  /** The bytes at `offset` of a line still being written (no `\n` in them, fewer than the cap). */
  private held: Buffer = Buffer.alloc(0);
  private heldLen = 0;

  constructor(
    private readonly raw: RawOutput,
    private readonly sink: LogSink,
    /** Offset in the output file of the first byte not stored yet. */
    public offset: number,
    private readonly maxLineBytes: number,
    /** The offset up to which records are on disk (the log's checkpoint): storage before it can go. */
    private readonly stored: () => number,
  ) {
    this.released = offset;
  }

  /** The file grew (or may have): indexes it soon, a bounded amount per turn, once per burst. */
  notify(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed) return;
      let more = false;
      try {
        more = this.index(TURN_BYTES, false);
      } catch {
        // A failed read (the output file's directory removed): the next change tries again.
      }
      if (more) this.notify();
      this.release();
    });
  }

  /**
   * Indexes everything in the file now. `final` (the process ended): a last line without `\n` is
   * stored as a line too.
   */
  drain(final = false): void {
    if (this.closed) return;
    this.index(Number.POSITIVE_INFINITY, final);
    this.release();
  }

  /** Stops indexing and ends the sink (its records are written). The file stays for the next daemon. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.end();
    if (this.releaseTimer !== null) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    this.release(true);
  }

  /** Returns true when it stopped at `budget` with more to read. */
  private index(budget: number, final: boolean): boolean {
    const max = this.maxLineBytes;
    let done = 0;
    while (done < budget) {
      shared ??= Buffer.allocUnsafe(READ_BYTES);
      const held = this.heldLen;
      // Only what comes after the held bytes (read before), and no more than one read from `offset`
      // would give: the records still fit the log file's buffer.
      const buf = held < READ_BYTES ? shared.subarray(0, READ_BYTES - held) : shared;
      const n = this.raw.read(buf, this.offset + held);
      if (n === 0) {
        if (final && this.heldLen > 0) done += this.store(buf, 0);
        return false;
      }
      let start = buf.lastIndexOf(NEWLINE, n - 1) + 1;
      if (start > 0) done += this.store(buf, start);
      // The rest has no `\n`: held, and stored in records of the cap as it reaches it.
      while (this.heldLen + n - start >= max) {
        const take = max - this.heldLen;
        done += this.store(buf.subarray(start), take);
        start += take;
      }
      this.hold(buf.subarray(start, n));
    }
    return true;
  }

  /**
   * Hands the held bytes and `chunk[0, take)` to the sink as the records up to the offset after
   * them (the sink cuts a line longer than the cap). Returns the bytes stored.
   */
  private store(chunk: Buffer, take: number): number {
    const held = this.heldLen;
    const bytes = held + take;
    this.offset += bytes;
    this.heldLen = 0;
    if (held > 0 && take === 0) this.sink.write(this.held.subarray(0, held), this.offset);
    else {
      if (held > 0) this.sink.write(this.held.subarray(0, held)); // a line start: kept pending
      this.sink.write(chunk.subarray(0, take), this.offset);
    }
    if (this.held.length > KEEP_HELD_BYTES) this.held = Buffer.alloc(0);
    return bytes;
  }

  /** Appends bytes of a line still being written to the held ones (copied: the read buffer is shared). */
  private hold(bytes: Buffer): void {
    const need = this.heldLen + bytes.length;
    if (need > this.held.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(need, this.held.length * 2)));
      this.held.copy(grown, 0, 0, this.heldLen);
      this.held = grown;
    }
    bytes.copy(this.held, this.heldLen);
    this.heldLen = need;
  }

  /** Gives back the stored bytes: at once when many piled up (or `now`), else once output pauses. */
  private release(now = false): void {
    const upTo = Math.min(this.stored(), this.offset);
    if (upTo <= this.released) return;
    if (now || upTo - this.released >= RELEASE_EVERY_BYTES) {
      this.released = upTo;
      this.raw.release(upTo);
    } else if (this.releaseTimer === null && !this.closed) {
      this.releaseTimer = setTimeout(() => {
        this.releaseTimer = null;
        this.release(true);
      }, RELEASE_IDLE_MS);
      this.releaseTimer.unref();
    }
  }
}
