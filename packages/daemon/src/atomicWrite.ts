import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content, never a torn
 * one: temporary file in the same directory, fsync, rename over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o640): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Directory fsync is best effort (some filesystems refuse it); the rename is already atomic.
  }
}

/**
 * The same guarantee as writeFileAtomic without blocking the event loop on the disk: the write and
 * fsync run in libuv's threadpool. `stillWanted` is asked right before the (synchronous, so
 * uninterruptible) rename: a write superseded meanwhile (e.g. by a writeFileAtomic at shutdown) is
 * dropped instead of replacing newer content. One call at a time per path.
 */
export async function writeFileAtomicAsync(
  path: string,
  data: string,
  stillWanted: () => boolean = () => true,
  mode = 0o640,
): Promise<boolean> {
  const tmp = `${path}.tmp-${process.pid}-async`;
  const file = await open(tmp, 'w', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  if (!stillWanted()) {
    await unlink(tmp).catch(() => undefined);
    return false;
  }
  renameSync(tmp, path);
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Directory fsync is best effort (some filesystems refuse it); the rename is already atomic.
  }
  return true;
}
