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

/**
 * One read; a line without `\n` in it is read again with a buffer of the line cap. Its records fit
 * the buffer a log file keeps between writes (1 MiB): a bigger read costs a new buffer per chunk.
 */
const READ_BYTES = 512 * 1024;
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
 * written stays in the output file, unread, until its `\n` (or until it reaches the line cap, or
 * the process ended: `drain(true)`). Nothing is in the daemon's memory alone, so a daemon killed at
 * any moment loses no line, and the next one resumes at the checkpoint.
 */
export class CaptureIndexer {
  private released = 0;
  private releaseTimer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private closed = false;

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
      let buf = shared;
      let n = this.raw.read(buf, this.offset);
      if (n === 0) return false;
      let last = buf.lastIndexOf(NEWLINE, n - 1);
      if (last === -1 && n === buf.length && n <= max) {
        buf = Buffer.allocUnsafe(max + 1); // a line longer than one read: look for its end up to the cap
        n = this.raw.read(buf, this.offset);
        last = buf.lastIndexOf(NEWLINE, n - 1);
      }
      let take = last + 1;
      if (last === -1) {
        if (n < max && !final) return false; // a line still being written
        take = Math.min(n, max);
      }
      this.offset += take;
      done += take;
      this.sink.write(buf.subarray(0, take), this.offset);
    }
    return true;
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
