import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content, never a torn
 * one: temporary file in the same directory, fsync, rename over the target, fsync the directory.
 * A failed write (ENOSPC on a full disk) throws, leaves the old file as it was and removes the
 * temporary file (its blocks are what a full disk is short of).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o640): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      // writeSync may write less than asked (a disk filling up): the rest, or its error, must follow.
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or not ours to remove: the original error is the one to report.
    }
    throw e;
  }
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
 * dropped instead of replacing newer content. A failed write rejects, as writeFileAtomic throws. One
 * call at a time per path.
 */
export async function writeFileAtomicAsync(
  path: string,
  data: string,
  stillWanted: () => boolean = () => true,
  mode = 0o640,
): Promise<boolean> {
  const tmp = `${path}.tmp-${process.pid}-async`;
  try {
    const file = await open(tmp, 'w', mode);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
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
