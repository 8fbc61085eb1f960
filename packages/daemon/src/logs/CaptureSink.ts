import type { LogLine } from '@kepler/protocol';
import type { LogFile } from './LogFile.js';
import { type LogSource, NEWLINE, PREFIX_BYTES } from './logFormat.js';

/** Receives the raw output of one stream of one process. */
export interface LogSink {
  /**
   * Feeds a chunk as read from the pipe. Complete lines are stamped with the time of this call.
   * `rawEnd` (service output, CaptureIndexer.ts): the chunk ends a line or was cut at the line cap,
   * so nothing stays pending, and the records reach up to `rawEnd` in the service's output file.
   */
  write(chunk: Buffer, rawEnd?: number): void;
  /** The stream closed: a last line without `\n` is kept as a line, and everything is written. */
  end(): void;
  /** Writes buffered lines now (a partial last line stays pending until its `\n` or `end()`). */
  flush(): void;
}

/** What a sink needs from its store. */
export interface SinkHost {
  /** Number of live followers; 0 means no `LogLine` is built at all. */
  readonly followerCount: number;
  /** Monotonic wall-clock ms (never goes back within one store). */
  now(): number;
  /** The 25-byte record prefix for `ts`; a new Buffer whenever `ts` changes, so callers may hold it. */
  prefix(ts: number): Buffer;
  isFollowed(source: LogSource): boolean;
  publish(source: LogSource, lines: LogLine[]): void;
  released(sink: CaptureSink): void;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits one stream into lines, writes them as records to its file (when stored) and publishes them
 * to followers (LogFollowers.ts, when anyone follows). Its chunks come from the service's output
 * files (CaptureIndexer.ts, whole lines only) and from hooks' pipes (`HookRunner`). The hot path does
 * one `indexOf` and two copies per line into the file's buffer, one timestamp per chunk and one write
 * per chunk (or per buffer-full).
 *
 * A line spanning chunks is held in memory until its `\n` (so two sinks on one file never interleave
 * inside a record) and stamped with the time its first bytes were read. A line longer than
 * `maxLineBytes` is split into records of that size.
 */
export class CaptureSink implements LogSink {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** A line has started in an earlier chunk (or was split at the cap) and waits for its `\n`. */
  private pendingOpen = false;
  private pendingTs = 0;
  private ended = false;

  constructor(
    private readonly host: SinkHost,
    readonly source: LogSource,
    private readonly file: LogFile | null,
    private readonly maxLineBytes: number,
  ) {}

  write(chunk: Buffer, rawEnd?: number): void {
    const len = chunk.length;
    if (this.ended || len === 0) return;
    const host = this.host;
    const ts = host.now();
    const out: LogLine[] | null = host.followerCount > 0 && host.isFollowed(this.source) ? [] : null;
    const file = this.file;
    const max = this.maxLineBytes;
    let start = 0;

    if (this.pendingOpen) {
      const nl = chunk.indexOf(NEWLINE);
      const end = nl === -1 ? len : nl;
      this.append(chunk, 0, end, ts, out);
      if (nl === -1) start = len;
      else {
        this.emit(ts, out);
        start = nl + 1;
      }
    }

    // Fast path: whole lines inside this chunk, formatted straight into the file's buffer.
    let owned: Buffer | null = null;
    if (start < len) {
      const prefix = file === null ? EMPTY : host.prefix(ts);
      let buf = file === null ? EMPTY : file.buf;
      let pos = file === null ? 0 : file.used;
      while (start < len) {
        const nl = chunk.indexOf(NEWLINE, start);
        if (nl === -1 || nl - start > max) break;
        if (file !== null) {
          const need = PREFIX_BYTES + nl + 1 - start;
          if (pos + need > buf.length) {
            file.used = pos;
            buf = file.reserve(need);
          }
          buf.set(prefix, pos);
          buf.set(chunk.subarray(start, nl + 1), pos + PREFIX_BYTES);
          pos += need;
        }
        if (out !== null) {
          // One copy per chunk: the caller may reuse its buffer, followers may keep lines.
          owned ??= Buffer.from(chunk);
          out.push(this.line(ts, owned.subarray(start, nl)));
        }
        start = nl + 1;
      }
      if (file !== null) file.used = pos;
    }

    // Slow path: the partial last line, and lines longer than the cap.
    while (start < len) {
      const nl = chunk.indexOf(NEWLINE, start);
      this.append(chunk, start, nl === -1 ? len : nl, ts, out);
      if (nl === -1) break;
      this.emit(ts, out);
      start = nl + 1;
    }

    if (rawEnd !== undefined) {
      if (this.pendingOpen) this.emit(ts, out);
      if (file !== null) file.rawEnd = rawEnd;
    }
    if (file !== null) file.commit();
    if (out !== null && out.length > 0) host.publish(this.source, out);
  }

  end(): void {
    if (this.ended) return;
    const out: LogLine[] | null =
      this.host.followerCount > 0 && this.host.isFollowed(this.source) ? [] : null;
    if (this.pendingOpen) this.emit(this.pendingTs, out);
    this.ended = true;
    this.file?.flush();
    if (out !== null && out.length > 0) this.host.publish(this.source, out);
    this.host.released(this);
  }

  flush(): void {
    this.file?.flush();
  }

  /** The file this sink writes, or null when the stream is not stored. */
  get logFile(): LogFile | null {
    return this.file;
  }

  /** Adds `chunk[start, end)` to the pending line, emitting a record each time it reaches the cap. */
  private append(chunk: Buffer, start: number, end: number, ts: number, out: LogLine[] | null): void {
    if (!this.pendingOpen) {
      this.pendingOpen = true;
      this.pendingTs = ts;
    }
    while (start < end) {
      if (this.pendingLen >= this.maxLineBytes) {
        this.emit(ts, out);
        this.pendingOpen = true;
        this.pendingTs = ts;
      }
      const take = Math.min(end - start, this.maxLineBytes - this.pendingLen);
      const part = Buffer.allocUnsafe(take);
      chunk.copy(part, 0, start, start + take);
      this.pending.push(part);
      this.pendingLen += take;
      start += take;
    }
  }

  /** Writes and publishes the pending line (possibly empty) and resets it. */
  private emit(fallbackTs: number, out: LogLine[] | null): void {
    const ts = this.pendingOpen ? this.pendingTs : fallbackTs;
    const parts = this.pending;
    const file = this.file;
    if (file !== null) {
      const need = PREFIX_BYTES + this.pendingLen + 1;
      const buf = file.reserve(need);
      let pos = file.used;
      this.host.prefix(ts).copy(buf, pos);
      pos += PREFIX_BYTES;
      for (const part of parts) {
        part.copy(buf, pos);
        pos += part.length;
      }
      buf[pos] = NEWLINE;
      file.used = pos + 1;
    }
    if (out !== null) {
      const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.pendingLen);
      out.push(this.line(ts, bytes));
    }
    this.pending = [];
    this.pendingLen = 0;
    this.pendingOpen = false;
  }

  private line(ts: number, line: Buffer): LogLine {
    const s = this.source;
    return { ts, service: s.service, hook: s.hook, stream: s.stream, line };
  }
}
