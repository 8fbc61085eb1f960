import * as fs from 'node:fs';

/**
 * Where the capture of one service stream stands, kept beside its log file as `<log>.pos` (32 bytes,
 * rewritten in place): the service's output file (`rawId`, its inode) was stored up to `rawEnd`, and
 * at that point the log file (`logId`) held `logSize` bytes. It is written after the records it
 * covers, so after a daemon crash the log may hold records past `logSize` that the checkpoint does
 * not: they are cut off and indexed again from `rawEnd` (no loss, no duplicate).
 */
export interface CaptureCheckpoint {
  readonly rawId: number;
  readonly rawEnd: number;
  readonly logId: number;
  readonly logSize: number;
}

const CHECKPOINT_BYTES = 32;

/**
 * The `<log>.pos` file of one log file. Opened for each write (a few per MiB stored): a service that
 * says nothing holds no descriptor for it.
 */
export class CheckpointFile {
  private readonly buf = Buffer.alloc(CHECKPOINT_BYTES);

  constructor(readonly path: string) {}

  /** The stored checkpoint, or null when there is none (or it is not whole). */
  read(): CaptureCheckpoint | null {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.path);
    } catch {
      return null;
    }
    if (data.length < CHECKPOINT_BYTES) return null;
    const c = {
      rawId: data.readDoubleLE(0),
      rawEnd: data.readDoubleLE(8),
      logId: data.readDoubleLE(16),
      logSize: data.readDoubleLE(24),
    };
    return Object.values(c).every((v) => Number.isSafeInteger(v) && v >= 0) ? c : null;
  }

  /** Overwrites the checkpoint in place (one 32-byte write: no new block once the file exists). */
  write(c: CaptureCheckpoint): void {
    this.buf.writeDoubleLE(c.rawId, 0);
    this.buf.writeDoubleLE(c.rawEnd, 8);
    this.buf.writeDoubleLE(c.logId, 16);
    this.buf.writeDoubleLE(c.logSize, 24);
    // No O_TRUNC: a crash never leaves it empty.
    const fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o640);
    try {
      fs.writeSync(fd, this.buf, 0, CHECKPOINT_BYTES, 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * Brings the log file at `logPath` back to what checkpoint `c` says (the log file must not be open):
 * a size-cap rewrite that was renamed into place only in intent (`<log>.tmp` is the file the
 * checkpoint names) is completed, and records written after the checkpoint are cut off. Returns the
 * raw offset to resume from: `c.rawEnd` when `c` is about the output file `rawId` (of `rawSize`
 * bytes), otherwise `rawSize` (a new output file: what is in it was written before this capture).
 */
export function recoverCapture(
  logPath: string,
  c: CaptureCheckpoint | null,
  rawId: number,
  rawSize: number,
): number {
  if (c === null || c.rawId !== rawId || c.rawEnd > rawSize) return rawSize;
  const inodeOf = (p: string): number => {
    try {
      return fs.statSync(p).ino;
    } catch {
      return -1;
    }
  };
  const tmp = `${logPath}.tmp`;
  if (inodeOf(logPath) !== c.logId && inodeOf(tmp) === c.logId) fs.renameSync(tmp, logPath);
  if (inodeOf(logPath) === c.logId && fs.statSync(logPath).size > c.logSize) {
    fs.truncateSync(logPath, c.logSize);
  }
  // Otherwise the log was removed or replaced (a retention clear of a closed file): the raw offset
  // still holds, and nothing in the new file is past it.
  return c.rawEnd;
}
