import * as fs from 'node:fs';
import { NEWLINE } from './logFormat.js';

/**
 * The size cap's selection (LogFile.rewriteNewest): of the records in the open log file `fd` (`size`
 * bytes) followed by `data`, the newest whole ones within the last `window` bytes, or null when no
 * record starts there (the newest record alone is longer than the window).
 */
export function newestRecords(fd: number, size: number, data: Buffer, window: number): Buffer[] | null {
  const total = size + data.length;
  // A record starts at 0 or right after a `\n`: search for the first `\n` at or after from - 1.
  const from = Math.max(0, total - window);
  if (from === 0) return [readFrom(fd, size, 0), data];
  if (from - 1 < size) {
    const tail = readFrom(fd, size, from - 1);
    const nl = tail.indexOf(NEWLINE);
    if (nl !== -1) return [tail.subarray(nl + 1), data];
    const dnl = data.indexOf(NEWLINE);
    return dnl === -1 || dnl + 1 === data.length ? null : [data.subarray(dnl + 1)];
  }
  const dnl = data.indexOf(NEWLINE, from - 1 - size);
  return dnl === -1 || dnl + 1 === data.length ? null : [data.subarray(dnl + 1)];
}

function readFrom(fd: number, size: number, pos: number): Buffer {
  const len = size - pos;
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}
