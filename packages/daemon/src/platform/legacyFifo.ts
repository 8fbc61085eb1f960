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
    return openFifoReader(path);
  } catch {
    return null;
  }
}

/** A FIFO's read side as a stream, without pinning a threadpool thread (a libuv pipe watched by epoll). */
export function openFifoReader(path: string): Readable {
  return new Socket({
    fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
}
