import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';

/** Largest config file read (a config is text; anything bigger is a mistake or an attack). */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;
/** Largest env_file read. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** A user-named file that cannot be read; `reason` is user-facing (`no such file`, `not a regular file`). */
export class UserFileError extends Error {
  override readonly name = 'UserFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
  }
}

/**
 * Reads a file a user named (a config, an env_file) for the daemon without letting it hang or crash
 * the daemon: checked to be a regular file (no FIFO, device or /dev/zero) before it is opened and again
 * on the descriptor, opened with O_NONBLOCK (a FIFO swapped in cannot block the open), and read only up
 * to `maxBytes`.
 */
export function readUserFile(path: string, maxBytes: number): Buffer {
  // Checked before opening too: opening some devices already does something (a watchdog, a tape).
  checkRegular(path, () => statSync(path));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw failure(path, error);
  }
  try {
    // Again on the open descriptor: the path may have been swapped since the check.
    const st = checkRegular(path, () => fstatSync(fd));
    if (st.size > maxBytes) {
      throw new UserFileError(
        path,
        `larger than ${formatBytes(maxBytes)} (${formatBytes(st.size)})`,
        'EFBIG',
      );
    }
    // Read to the end but never past the cap (the file may grow while it is read).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new UserFileError(path, `larger than ${formatBytes(maxBytes)}`, 'EFBIG');
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function checkRegular(path: string, stat: () => Stats): Stats {
  let st: Stats;
  try {
    st = stat();
  } catch (error) {
    throw failure(path, error);
  }
  if (st.isDirectory()) throw new UserFileError(path, REASONS.EISDIR as string, 'EISDIR');
  if (!st.isFile())
    throw new UserFileError(path, 'not a regular file (a FIFO, socket or device?)', 'ENOTREG');
  return st;
}

function failure(path: string, error: unknown): UserFileError {
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  return new UserFileError(path, REASONS[code] ?? code, code);
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  ELOOP: 'too many symlinks',
  ENOTDIR: 'a parent is not a directory',
};

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB` : `${n} bytes`;
}
