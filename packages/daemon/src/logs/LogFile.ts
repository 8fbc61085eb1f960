import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CaptureCheckpoint, CheckpointFile, recoverCapture } from './captureCheckpoint.js';
import { LogError } from './LogError.js';
import { NEWLINE, splitLastRecord } from './logFormat.js';
import { newestRecords } from './newestRecords.js';
import { countRecords, markerRecord, type NotStored, reasonOf } from './notStored.js';

/** Mode of created log files: owner read-write, group read, nothing for others. */
export const LOG_FILE_MODE = 0o640;
/** Mode of a logs directory this module creates. */
export const LOG_DIR_MODE = 0o750;
/** A write buffer above this size is dropped after a flush instead of being kept for reuse. */
const KEEP_BUFFER_MAX_BYTES = 1024 * 1024;
const INITIAL_BUFFER_BYTES = 64 * 1024;
/**
 * While writes fail, lines are counted and dropped without a write for this long between attempts:
 * a full disk still takes a few bytes into the slack of a file's last block, and writing whenever it
 * does would scatter markers and reports through the episode.
 */
export const LOG_RETRY_MS = 1000;

/** A growable byte buffer. Unbuffered files share one (they empty it before `write()` returns). */
export interface ByteBuffer {
  buf: Buffer;
}

/** What a `LogFile` needs from its owner. */
export interface LogFileHost {
  /** Shared buffer for files with `bufferSize` 0. */
  readonly scratch: ByteBuffer;
  /** Called when data stays buffered after a commit, so the owner can schedule a timed flush. */
  buffered(): void;
  error(err: LogError): void;
  /** A write succeeded after failures; `lines` were not stored meanwhile (already in the marker). */
  resumed(path: string, lines: number, reason: string): void;
  /** LOG_RETRY_MS, or less in tests. */
  readonly retryMs: number;
}

export interface LogFileSettings {
  readonly bufferSize: number;
  readonly maxSizeBytes: number | null;
}

/**
 * One log file on disk, written in whole records. Writers (sinks) format records straight into
 * `buf` at `used` (after `reserve()`), then `commit()`; the file decides when to write. The size on
 * disk is tracked in memory (no fstat per write). Not safe for other processes writing the same file.
 *
 * Invariant: the file holds whole records. A write that fails part-way (a disk filling up) is cut
 * back to its last whole record; the records not written are counted in `notStored`, reported once
 * per run of failures, and the first write that succeeds again starts with a marker record
 * `[kepler] N lines not stored: <reason>`. (A partial record left by a daemon crash is ended with
 * `\n` before the next write, so the following records parse.)
 */
export class LogFile {
  /** Bytes in the file on disk, as far as this process knows. */
  size = 0;
  /** Formatted bytes waiting in `buf`. */
  used = 0;
  /** Sinks using this file; the owner closes it at 0. */
  refs = 0;
  /**
   * Service output only (see CaptureIndexer.ts): the offset in the service's output file up to which
   * records are formatted (in `buf` or on disk); -1 for a file that is not fed from one.
   */
  rawEnd = -1;
  /** The offset up to which the records are on disk, as the checkpoint says (`rawEnd` after a flush). */
  savedRawEnd = -1;
  private rawId = 0;
  private checkpoint: CheckpointFile | null = null;
  private ino = 0;
  private fd = -1;
  private own: ByteBuffer | null = null;
  private bufferSize = 0;
  private maxSizeBytes: number | null = null;
  /** The file may end mid-record (after an error, or as found on open). */
  private checkTail = true;
  /** Report only the first of a run of failures. */
  private failing = false;
  /** While failing: no write before this time (ms), and none while the disk is still full. */
  private retryAtMs = 0;
  private diskFull = false;

  constructor(
    readonly path: string,
    settings: LogFileSettings,
    private readonly host: LogFileHost,
    readonly notStored: NotStored = { pending: 0, total: 0, reason: '' },
  ) {
    this.configure(settings);
  }

  /** Applies new buffer and size settings; flushes first when switching buffers. */
  configure(settings: LogFileSettings): void {
    const bufferSize = Math.max(0, Math.floor(settings.bufferSize));
    if ((bufferSize === 0) !== (this.bufferSize === 0)) this.flush();
    this.bufferSize = bufferSize;
    this.maxSizeBytes =
      settings.maxSizeBytes !== null && settings.maxSizeBytes > 0 ? settings.maxSizeBytes : null;
  }

  /** The buffer writers format into (valid until the next `reserve()`). */
  get buf(): Buffer {
    return this.holder().buf;
  }

  private holder(): ByteBuffer {
    if (this.bufferSize === 0) return this.host.scratch;
    if (this.own === null) {
      this.own = {
        buf: Buffer.allocUnsafe(Math.max(INITIAL_BUFFER_BYTES, this.bufferSize + INITIAL_BUFFER_BYTES)),
      };
    }
    return this.own;
  }

  /** Ensures `buf` has room for `n` more bytes after `used`; returns the (possibly new) buffer. */
  reserve(n: number): Buffer {
    const h = this.holder();
    const want = this.used + n;
    if (want <= h.buf.length) return h.buf;
    const grown = Buffer.allocUnsafe(Math.max(want, h.buf.length * 2));
    h.buf.copy(grown, 0, 0, this.used);
    h.buf = grown;
    return grown;
  }

  /** Called after records were added: writes now when unbuffered or when the buffer is full. */
  commit(): void {
    if (this.used === 0) return;
    if (this.bufferSize === 0 || this.used >= this.bufferSize) this.flush();
    else this.host.buffered();
  }

  /** Writes buffered records to disk (truncating first when `max_size` would be exceeded). */
  flush(): void {
    const used = this.used;
    if (used === 0) return;
    const h = this.holder();
    let data = h.buf.subarray(0, used);
    let marker: Buffer | null = null;
    let written = 0;
    try {
      if (this.failing && !this.mayRetry()) {
        const lines = countRecords(data, 0);
        this.notStored.pending += lines;
        this.notStored.total += lines;
        return;
      }
      // After lines were lost, the next write says so first (a rare path: one copy is fine).
      if (this.notStored.pending > 0) {
        marker = markerRecord(this.notStored, data);
        data = Buffer.concat([marker, data]);
      }
      this.open();
      if (this.checkTail) this.endPartialRecord();
      if (this.maxSizeBytes !== null && this.size + data.length > this.maxSizeBytes) {
        this.rewriteNewest(data, this.maxSizeBytes);
        written = data.length;
      } else {
        written = this.writeRecords(data);
      }
      if (written === data.length) this.recovered(marker);
      else this.lost(data, written, marker, this.writeError);
    } catch (err) {
      this.lost(data, written, marker, err);
    } finally {
      this.used = 0;
      this.saveCheckpoint();
      if (h.buf.length > KEEP_BUFFER_MAX_BYTES) {
        if (h === this.own) this.own = null;
        else h.buf = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
      }
    }
  }

  /** Everything was written: a run of failures, if any, is over (its marker is in the file now). */
  private recovered(marker: Buffer | null): void {
    if (marker !== null) {
      this.host.resumed(this.path, this.notStored.pending, this.notStored.reason);
      this.notStored.pending = 0;
    }
    this.failing = false;
  }

  /** Counts the records of `data` after its first `written` bytes (whole records) as not stored. */
  private lost(data: Buffer, written: number, marker: Buffer | null, err: unknown): void {
    let from = written;
    if (marker !== null && written >= marker.length) {
      // The marker made it: those lines are accounted for; what follows starts a new count.
      this.host.resumed(this.path, this.notStored.pending, this.notStored.reason);
      this.notStored.pending = 0;
    } else if (marker !== null) {
      from = marker.length;
    }
    const lines = countRecords(data, from);
    this.notStored.pending += lines;
    this.notStored.total += lines;
    this.notStored.reason = reasonOf(err);
    this.retryAtMs = Date.now() + this.host.retryMs;
    this.diskFull = (err as NodeJS.ErrnoException | null)?.code === 'ENOSPC';
    this.fail(err, `cannot write log file ${this.path}`);
  }

  /** Whether a failing file should try writing again: the retry delay passed, and space came back. */
  private mayRetry(): boolean {
    const now = Date.now();
    if (now < this.retryAtMs) return false;
    this.retryAtMs = now + this.host.retryMs;
    if (!this.diskFull) return true;
    try {
      return fs.statfsSync(path.dirname(this.path)).bfree > 0;
    } catch {
      return true;
    }
  }
  /** Empties the file (retention `clear`): buffered records are dropped too. */
  clear(): void {
    this.used = 0;
    try {
      if (this.fd >= 0) fs.ftruncateSync(this.fd, 0);
      else fs.rmSync(this.path, { force: true });
      this.size = 0;
      this.checkTail = false;
      this.saveCheckpoint();
    } catch (err) {
      this.fail(err, `cannot clear log file ${this.path}`);
    }
  }

  /**
   * Makes this the log of a service output file (`rawId`, now `rawSize` bytes long): brings the file
   * back to its checkpoint (see captureCheckpoint.ts), records a checkpoint, and returns the offset in
   * the output file to index from.
   */
  resumeCapture(rawId: number, rawSize: number): number {
    this.close();
    this.checkpoint ??= new CheckpointFile(`${this.path}.pos`);
    const saved = this.checkpoint.read();
    let from = saved?.rawId === rawId && saved.rawEnd <= rawSize ? saved.rawEnd : rawSize;
    try {
      from = recoverCapture(this.path, saved, rawId, rawSize);
    } catch (err) {
      this.fail(err, `cannot recover log file ${this.path}`); // lines may be stored twice, none lost
    }
    this.rawId = rawId;
    this.rawEnd = from;
    try {
      // The checkpoint names the log's inode, so the log exists from here on (its fd opens at a write).
      fs.mkdirSync(path.dirname(this.path), { recursive: true, mode: LOG_DIR_MODE });
      fs.closeSync(fs.openSync(this.path, 'a', LOG_FILE_MODE));
      ({ ino: this.ino, size: this.size } = fs.statSync(this.path));
    } catch {} // a full disk may refuse a new log file: the first flush tries again
    this.saveCheckpoint();
    return from;
  }

  /** Records that the records up to `rawEnd` are in the file (after they are: see captureCheckpoint.ts). */
  private saveCheckpoint(next?: Partial<CaptureCheckpoint>): void {
    if (this.checkpoint === null || this.rawEnd < 0) return;
    const c = { rawId: this.rawId, rawEnd: this.rawEnd, logId: this.ino, logSize: this.size, ...next };
    try {
      this.checkpoint.write(c);
      this.savedRawEnd = c.rawEnd;
    } catch (err) {
      // A stale checkpoint costs no line: the next daemon cuts the log back to it and indexes again.
      this.fail(err, `cannot write the checkpoint of log file ${this.path}`);
    }
  }

  /** Flushes and closes the descriptor. The object may be reopened by a later flush. */
  close(): void {
    this.flush();
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // nothing useful to do: the data was already written
      }
      this.fd = -1;
    }
    this.own = null;
  }

  private open(): void {
    if (this.fd >= 0) return;
    let fd: number;
    try {
      fd = fs.openSync(this.path, 'a+', LOG_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The logs directory does not exist yet, or was removed (`stop --clean`, prune).
      fs.mkdirSync(path.dirname(this.path), { recursive: true, mode: LOG_DIR_MODE });
      fd = fs.openSync(this.path, 'a+', LOG_FILE_MODE);
    }
    try {
      const st = fs.fstatSync(fd);
      // A file left by an older daemon or another tool may be readable by others: tighten it.
      if ((st.mode & 0o777 & ~LOG_FILE_MODE) !== 0) fs.fchmodSync(fd, LOG_FILE_MODE);
      this.size = st.size;
      this.ino = st.ino;
      this.checkTail = st.size > 0;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  /** Ends a partial last record (daemon crash or failed write) so the next record starts on its own line. */
  private endPartialRecord(): void {
    this.checkTail = false;
    if (this.size === 0) return;
    const last = Buffer.alloc(1);
    const n = fs.readSync(this.fd, last, 0, 1, this.size - 1);
    if (n === 1 && last[0] !== NEWLINE) this.writeAll(Buffer.from([NEWLINE]));
  }

  /** The error that stopped the last `writeRecords` short. */
  private writeError: unknown = null;

  /**
   * Appends whole records; returns how many bytes of `data` are in the file. A write that fails
   * part-way is cut back to the last whole record, so the file never ends in half a line.
   */
  private writeRecords(data: Buffer): number {
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
      this.size += off;
      return off;
    } catch (err) {
      this.writeError = err;
      const whole = off === 0 ? 0 : data.lastIndexOf(NEWLINE, off - 1) + 1;
      if (whole !== off) {
        try {
          fs.ftruncateSync(this.fd, this.size + whole); // shrinking needs no free space
        } catch {
          this.size += off;
          this.checkTail = true; // could not cut it back: end it with `\n` before the next record
          return whole;
        }
      }
      this.size += whole;
      return whole;
    }
  }

  private writeAll(data: Uint8Array): void {
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    } finally {
      this.size += off;
      if (off !== data.length) this.checkTail = true;
    }
  }

  /**
   * Replaces the file with the newest records of (file + data), about half of `max` so that the next
   * truncation is `max / 2` bytes away (one rewrite per half-file written, not one per line). Writes a
   * temporary file and renames it over, so a crash leaves either the old or the new file.
   */
  private rewriteNewest(data: Buffer, max: number): void {
    const kept = newestRecords(this.fd, this.size, data, Math.max(1, Math.floor(max / 2))) ??
      newestRecords(this.fd, this.size, data, max) ?? [splitLastRecord(data, Math.floor(max / 2))];
    // A fixed name: a daemon killed between the checkpoint and the rename completes it (captureCheckpoint.ts).
    const tmp = `${this.path}.tmp`;
    fs.rmSync(tmp, { force: true });
    const fd = fs.openSync(tmp, 'ax+', LOG_FILE_MODE);
    let size = 0;
    try {
      for (const part of kept) {
        let off = 0;
        while (off < part.length) off += fs.writeSync(fd, part, off, part.length - off);
        size += part.length;
      }
      this.saveCheckpoint({ logId: fs.fstatSync(fd).ino, logSize: size });
      fs.renameSync(tmp, this.path);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    // The temp file was opened for append: after the rename its descriptor is the log's.
    fs.closeSync(this.fd);
    this.fd = fd;
    this.size = size;
    this.ino = fs.fstatSync(fd).ino;
  }

  private fail(err: unknown, message: string): void {
    if (this.failing) return;
    this.failing = true;
    const detail = err instanceof Error ? err.message : String(err);
    this.host.error(new LogError('LOG_WRITE_FAILED', `${message}: ${detail}`, { cause: err }));
  }
}
