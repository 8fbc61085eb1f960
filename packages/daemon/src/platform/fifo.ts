import { execFileSync } from 'node:child_process';
import { constants, lstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { errnoCode, PlatformError } from './errors.js';

/**
 * Creates a FIFO (mode 0600) at `path` unless one is already there. Node has no mkfifo, so this runs
 * `mkfifo` synchronously (a few ms). Throws PlatformError FIFO_FAILED if the path exists but is not a
 * FIFO, or mkfifo fails. Does not create parent directories.
 */
export function createFifo(path: string): void {
  createFifos([path]);
}

/**
 * createFifo for several paths with at most one `mkfifo` run (a service's stdout and stderr: the
 * exec is most of a start's cost). Same checks and errors as createFifo.
 */
export function createFifos(paths: readonly string[]): void {
  const missing: string[] = [];
  for (const path of paths) {
    try {
      if (lstatSync(path).isFIFO()) continue;
      throw new PlatformError('FIFO_FAILED', `not a FIFO: ${path}`);
    } catch (err) {
      if (err instanceof PlatformError) throw err;
      if (errnoCode(err) !== 'ENOENT') {
        throw new PlatformError('FIFO_FAILED', `cannot create FIFO ${path}: ${String(err)}`, { cause: err });
      }
      missing.push(path);
    }
  }
  if (missing.length === 0) return;
  try {
    execFileSync('mkfifo', ['-m', '0600', '--', ...missing], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new PlatformError(
      'FIFO_FAILED',
      `cannot create FIFO ${missing.join(', ')}: ${stderr || String(err)}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Opens a FIFO for a child's stdout/stderr: O_RDWR, so the child itself also holds a reader and its
 * writes never fail with SIGPIPE/EPIPE while no daemon reads; they block once the pipe (64 KiB) is
 * full, and resume when a reader drains it. Blocking mode, since the open file is shared with the
 * child. Returns the fd: pass it in SpawnSpec.stdout/stderr, then close the daemon's copy.
 */
export function openFifoForChild(path: string): number {
  try {
    return openSync(path, constants.O_RDWR);
  } catch (err) {
    throw new PlatformError('FIFO_FAILED', `cannot open FIFO ${path}: ${String(err)}`, { cause: err });
  }
}

/**
 * Opens the daemon's read side without pinning a threadpool thread: O_RDONLY|O_NONBLOCK wrapped in a
 * net.Socket (a libuv pipe watched by epoll). The stream ends when no writer is left, so open it while
 * a writer exists (after openFifoForChild, or while an adopted service runs): with no writer at all it
 * ends at once. Data is raw bytes (no encoding set).
 */
export function openFifoReader(path: string): Readable {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new PlatformError('FIFO_FAILED', `cannot open FIFO ${path}: ${String(err)}`, { cause: err });
  }
  return new Socket({ fd, readable: true, writable: false });
}
