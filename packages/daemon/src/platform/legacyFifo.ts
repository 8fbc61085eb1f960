import { constants, lstatSync, openSync, readlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * The FIFO an adopted process still writes to on `fd` (1 or 2), opened for reading, or null when it
 * writes elsewhere. Services started by a daemon before output files (FIFOs held read-write by the
 * child) keep them after an upgrade: unread, they would block the service once 64 KiB are waiting.
 * The stream ends when no writer is left; data is raw bytes.
 */
export function openLegacyFifo(pid: number, fd: 1 | 2): Readable | null {
  let path: string;
  try {
    path = readlinkSync(`/proc/${pid}/fd/${fd}`);
    if (!path.startsWith('/') || !lstatSync(path).isFIFO()) return null;
  } catch {
    return null; // gone, or not a path (a pipe, a socket)
  }
  try {
    const rfd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return new Socket({ fd: rfd, readable: true, writable: false });
  } catch {
    return null;
  }
}
