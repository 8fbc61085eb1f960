/**
 * Finding the records of a log file that fall within a time window (`kepler logs --since/--until`)
 * without reading the file: records are appended in capture order, so their times rise through the
 * file and a binary search over byte offsets finds each end of the window in a few small reads.
 */
import * as fs from 'node:fs';
import { NEWLINE, PREFIX_BYTES, parseTimestamp } from './logFormat.js';

/** Stored lines captured within `[since, until]`, ms since the epoch, both ends inclusive; either may be open. */
export interface TimeWindow {
  readonly since?: number;
  readonly until?: number;
}

/** Bytes `[start, end)` of a file; both ends are record boundaries. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Bytes read per step while looking for the end of a record. */
const SCAN_BYTES = 4096;

/** Whether `window` restricts anything. */
export function isOpenWindow(window: TimeWindow | undefined): boolean {
  return window === undefined || (window.since === undefined && window.until === undefined);
}

/**
 * The bytes of a file (open as `fd`, `size` bytes long) whose records fall within `window`: from the
 * first record stamped at or after `since` to the first stamped after `until`. A record without a
 * timestamp (a foreign or damaged line) goes with the stamped record before it, as readers date it.
 */
export function byteRangeOf(fd: number, size: number, window: TimeWindow | undefined): ByteRange {
  const start = window?.since === undefined ? 0 : firstStampedAtOrAfter(fd, size, window.since);
  const end = window?.until === undefined ? size : firstStampedAtOrAfter(fd, size, window.until + 1);
  return { start, end: Math.max(start, end) };
}

/**
 * The offset of the first stamped record whose time is `>= ts`, or `size`. Binary search on `p` for
 * the first offset whose next stamped record (at or after `p`) is that late: that is monotone in `p`.
 */
function firstStampedAtOrAfter(fd: number, size: number, ts: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const record = stampedRecordFrom(fd, size, mid);
    if (record === null || record.ts >= ts) hi = mid;
    // Every offset up to this record's start finds the same record: skip them.
    else lo = record.at + 1;
  }
  return stampedRecordFrom(fd, size, lo)?.at ?? size;
}

/** The first record starting at or after `pos` that has a timestamp, or null. */
function stampedRecordFrom(fd: number, size: number, pos: number): { at: number; ts: number } | null {
  let at = pos === 0 ? 0 : endOfLine(fd, size, pos - 1) + 1;
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  while (at < size) {
    const n = fs.readSync(fd, prefix, 0, Math.min(PREFIX_BYTES, size - at), at);
    const ts = parseTimestamp(prefix, 0, n);
    if (!Number.isNaN(ts)) return { at, ts };
    at = endOfLine(fd, size, at) + 1;
  }
  return null;
}

/** The offset of the first `\n` at or after `from`, or `size` when there is none. */
function endOfLine(fd: number, size: number, from: number): number {
  const block = Buffer.allocUnsafe(SCAN_BYTES);
  let pos = from;
  while (pos < size) {
    const n = fs.readSync(fd, block, 0, Math.min(SCAN_BYTES, size - pos), pos);
    if (n === 0) break;
    const nl = block.subarray(0, n).indexOf(NEWLINE);
    if (nl !== -1) return pos + nl;
    pos += n;
  }
  return size;
}
