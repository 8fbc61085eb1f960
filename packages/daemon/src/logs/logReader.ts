/**
 * Reads stored records back as `LogLine`s: all of a file, its first N or its last N, optionally only
 * those within a time window (found by timeWindow.ts without reading the rest). The tail is read
 * backwards in blocks, so `--tail 10` on a 50 MB file reads one block, not the file.
 */
import * as fs from 'node:fs';
import type { LogLine } from '@kepler/protocol';
import { type LogSource, NEWLINE, PREFIX_BYTES, parseTimestamp } from './logFormat.js';
import { type ByteRange, byteRangeOf, isOpenWindow, type TimeWindow } from './timeWindow.js';

/** First read size; doubles per read up to `MAX_BLOCK_BYTES` when many lines are wanted. */
const BLOCK_BYTES = 64 * 1024;
const MAX_BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Appends the records of `buf[start, end)` to `into`, at most `limit`. A record whose prefix is not a
 * timestamp (a foreign or damaged line) is kept whole with the previous record's time. An unterminated
 * last record counts as a line.
 */
function parseRecords(
  buf: Buffer,
  start: number,
  end: number,
  limit: number,
  source: LogSource,
  into: LogLine[],
): void {
  const { service, hook, stream } = source;
  let prevTs = 0;
  let count = 0;
  let s = start;
  while (s < end && count < limit) {
    let nl = buf.indexOf(NEWLINE, s);
    if (nl === -1 || nl > end) nl = end;
    const ts = parseTimestamp(buf, s, nl);
    let line: Buffer;
    if (Number.isNaN(ts)) {
      line = buf.subarray(s, nl);
    } else {
      prevTs = ts;
      line = buf.subarray(s + PREFIX_BYTES, nl);
    }
    into.push({ ts: prevTs, service, hook, stream, line });
    count++;
    s = nl + 1;
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(NEWLINE);
  while (i !== -1) {
    n++;
    i = buf.indexOf(NEWLINE, i + 1);
  }
  return n;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return off === len ? buf : buf.subarray(0, off);
}

/** Every record of the file within `window` (none when it does not exist). */
export function readAll(path: string, source: LogSource, into: LogLine[], window?: TimeWindow): void {
  if (!isOpenWindow(window)) {
    withFile(path, window, (fd, { start, end }) => {
      parseRecords(readAt(fd, start, end - start), 0, end - start, Number.POSITIVE_INFINITY, source, into);
      return end - start;
    });
    return;
  }
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  parseRecords(buf, 0, buf.length, Number.POSITIVE_INFINITY, source, into);
}

/** Runs `fn` on the open file and the bytes of its records within `window`; 0 when the file does not exist. */
function withFile(
  path: string,
  window: TimeWindow | undefined,
  fn: (fd: number, range: ByteRange) => number,
): number {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    return fn(fd, isOpenWindow(window) ? { start: 0, end: size } : byteRangeOf(fd, size, window));
  } finally {
    fs.closeSync(fd);
  }
}

/** The first `n` records within `window`, reading forwards only as far as needed. Returns the bytes read. */
export function readHead(
  path: string,
  n: number,
  source: LogSource,
  into: LogLine[],
  window?: TimeWindow,
): number {
  if (n <= 0) return 0;
  return withFile(path, window, (fd, { start, end }) => {
    const blocks: Buffer[] = [];
    let pos = start;
    let lines = 0;
    let block = BLOCK_BYTES;
    while (pos < end && lines < n) {
      const b = readAt(fd, pos, Math.min(block, end - pos));
      if (b.length === 0) break;
      blocks.push(b);
      lines += countNewlines(b);
      pos += b.length;
      block = Math.min(block * 2, MAX_BLOCK_BYTES);
    }
    const buf = blocks.length === 1 ? (blocks[0] as Buffer) : Buffer.concat(blocks);
    parseRecords(buf, 0, buf.length, n, source, into);
    return buf.length;
  });
}

/** The last `n` records within `window`, reading backwards from its end in blocks. Returns the bytes read. */
export function readTail(
  path: string,
  n: number,
  source: LogSource,
  into: LogLine[],
  window?: TimeWindow,
): number {
  if (n <= 0) return 0;
  return withFile(path, window, (fd, { start: from, end }) => {
    if (end === from) return 0;
    const blocks: Buffer[] = [];
    let pos = end;
    let lines = 0;
    let block = BLOCK_BYTES;
    let endsWithNewline = false;
    // A terminated last record needs n + 1 newlines to see where the n-th from the end starts.
    let need = n;
    while (pos > from) {
      const len = Math.min(block, pos - from);
      pos -= len;
      const b = readAt(fd, pos, len);
      if (blocks.length === 0) {
        endsWithNewline = b[b.length - 1] === NEWLINE;
        if (endsWithNewline) need = n + 1;
      }
      blocks.push(b);
      lines += countNewlines(b);
      if (lines >= need) break;
      block = Math.min(block * 2, MAX_BLOCK_BYTES);
    }
    blocks.reverse();
    const buf = blocks.length === 1 ? (blocks[0] as Buffer) : Buffer.concat(blocks);
    let p = endsWithNewline ? buf.length - 1 : buf.length;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const nl = p > 0 ? buf.lastIndexOf(NEWLINE, p - 1) : -1;
      if (nl === -1) {
        // Fewer than n records: the loop above read the whole range.
        start = 0;
        break;
      }
      p = nl;
      start = nl + 1;
    }
    parseRecords(buf, start, buf.length, n, source, into);
    return buf.length;
  });
}

/** Bytes read per step by a `RecordCursor`. */
const CURSOR_BLOCK_BYTES = 1024 * 1024;

/**
 * Reads one file's records forwards, one at a time, holding about one block in memory: a log of any
 * size can be merged and sent without loading it. Reads up to the size the file had when the cursor
 * opened (lines appended meanwhile belong to the next read), only records within `window` if given.
 * Call `close()` when done.
 */
export class RecordCursor {
  private fd: number | null;
  /** Where reading stops: the file's size when opened, or the end of the window. */
  private readonly size: number;
  private pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  private prevTs = 0;
  private pending: LogLine | null = null;

  constructor(
    path: string,
    private readonly source: LogSource,
    window?: TimeWindow,
  ) {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.fd = null;
      this.size = 0;
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      const range = isOpenWindow(window) ? { start: 0, end: size } : byteRangeOf(fd, size, window);
      this.pos = range.start;
      this.size = range.end;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  /** The next record without consuming it; null at the end. */
  peek(): LogLine | null {
    this.pending ??= this.read();
    return this.pending;
  }

  /** Consumes and returns the next record; null at the end. */
  next(): LogLine | null {
    const line = this.peek();
    this.pending = null;
    return line;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private read(): LogLine | null {
    let nl = this.buf.indexOf(NEWLINE, this.at);
    while (nl === -1 && this.pos < this.size && this.fd !== null) {
      // Keep the unfinished record and append the next block (a record may span several).
      const rest = this.buf.subarray(this.at);
      const block = readAt(this.fd, this.pos, Math.min(CURSOR_BLOCK_BYTES, this.size - this.pos));
      if (block.length === 0) break;
      this.pos += block.length;
      this.buf = rest.length ? Buffer.concat([rest, block]) : block;
      this.at = 0;
      nl = this.buf.indexOf(NEWLINE, rest.length);
    }
    if (this.at >= this.buf.length) return null;
    const end = nl === -1 ? this.buf.length : nl; // an unterminated last record counts as a line
    const ts = parseTimestamp(this.buf, this.at, end);
    let line: Buffer;
    if (Number.isNaN(ts)) {
      line = this.buf.subarray(this.at, end);
    } else {
      this.prevTs = ts;
      line = this.buf.subarray(this.at + PREFIX_BYTES, end);
    }
    this.at = end + 1;
    const { service, hook, stream } = this.source;
    return { ts: this.prevTs, service, hook, stream, line };
  }
}
