import { execFile } from 'node:child_process';
import {
  closeSync,
  constants,
  type FSWatcher,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  watch,
} from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode, PlatformError } from './errors.js';

/**
 * The daemon's read side of a service's output file: what the service wrote (kept by the kernel
 * whether or not a daemon runs), read at any offset, with a notification when it grows.
 */
export interface OutputFile {
  /** Its inode: a new file at the same path is a new id. */
  readonly id: number;
  size(): number;
  /** Reads at `pos` into `buf` from its start; returns the bytes read (0 at the end). */
  read(buf: Buffer, pos: number): number;
  /** Frees the storage of the bytes before `upTo` (a hole: the size and the offsets stay). */
  release(upTo: number): void;
  /** Calls `onChange` when the file may have grown (inotify; polling if no watch can be had). */
  watch(onChange: () => void): void;
  close(): void;
}

/** Polling interval when inotify gives no watch (its limit reached). */
const OUTPUT_POLL_MS = 250;
/** Holes are punched in whole blocks of this size (every filesystem's block divides it). */
const HOLE_ALIGN_BYTES = 64 * 1024;

/**
 * The output directory and its parent must be real directories of this user that no one else may
 * write: the default root is in /dev/shm, where anyone could have made it first, or a symlink.
 */
function checkDirs(path: string): void {
  const uid = process.getuid?.() ?? 0;
  for (const dir of [dirname(path), dirname(dirname(path))]) {
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
      throw new Error(`${dir} is not a directory of uid ${uid} closed to others`);
    }
  }
}

function openCreating(path: string, flags: number): number {
  try {
    checkDirs(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    checkDirs(path);
  }
  return openSync(path, flags | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
}

/**
 * Opens (creating it and its directory) a service's output file for a child's stdout or stderr:
 * write-only with O_APPEND, so every write of every process holding it lands whole at the end, by the
 * kernel, and stays there if no daemon runs. Pass the fd in SpawnSpec.stdout/stderr, then close it.
 */
export function openOutputForChild(path: string): number {
  try {
    return openCreating(path, constants.O_WRONLY | constants.O_APPEND);
  } catch (err) {
    throw new PlatformError('OUTPUT_FAILED', `cannot open output file ${path}: ${String(err)}`, {
      cause: err,
    });
  }
}

/** Opens (creating it if missing) the daemon's read side of a service's output file. */
export function openOutputFile(path: string): OutputFile {
  let fd: number;
  try {
    fd = openCreating(path, constants.O_RDONLY);
  } catch (err) {
    throw new PlatformError('OUTPUT_FAILED', `cannot open output file ${path}: ${String(err)}`, {
      cause: err,
    });
  }
  const id = fstatSync(fd).ino;
  let watcher: FSWatcher | null = null;
  let poll: NodeJS.Timeout | null = null;
  let punching = false;
  let punched = 0;
  let canPunch = true;
  return {
    id,
    size: () => fstatSync(fd).size,
    read: (buf, pos) => readSync(fd, buf, 0, buf.length, pos),
    release(upTo) {
      const len = Math.floor(upTo / HOLE_ALIGN_BYTES) * HOLE_ALIGN_BYTES;
      if (!canPunch || punching || len <= punched) return;
      // Node has no fallocate: util-linux's, off the event loop, one at a time per file.
      punching = true;
      execFile('fallocate', ['--punch-hole', '--offset', '0', '--length', String(len), path], (err) => {
        punching = false;
        // Any failure (no fallocate, a file system without hole punching) is not going to pass on a
        // retry: stop asking, and the file keeps its blocks until the service's next start.
        if (err === null) punched = len;
        else canPunch = false;
      });
    },
    watch(onChange) {
      const startPolling = () => {
        watcher?.close();
        watcher = null;
        poll ??= setInterval(onChange, OUTPUT_POLL_MS);
        poll.unref();
      };
      try {
        watcher = watch(path, { persistent: false }, () => onChange());
        watcher.on('error', startPolling);
      } catch {
        startPolling();
      }
    },
    close() {
      watcher?.close();
      watcher = null;
      if (poll !== null) clearInterval(poll);
      poll = null;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    },
  };
}
