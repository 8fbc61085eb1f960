import * as path from 'node:path';
import type { BakedLogSettings } from '@kepler/config';
import { LogFile, type LogFileHost } from './LogFile.js';
import { type LogSource, logFileName } from './logFormat.js';
import type { NotStored } from './notStored.js';

interface OpenFile {
  readonly file: LogFile;
  readonly source: LogSource;
}

/**
 * The writing side of a logs directory: the `LogFile`s that sinks write (one per file, shared by the
 * sinks on it and closed when the last lets go), the lines each file could not store, and the timed
 * flush of buffered files. The size cap and write failures are each `LogFile`'s own (LogFile.ts).
 */
export class OpenLogFiles {
  private readonly files = new Map<string, OpenFile>();
  /** Lines each file (by path) could not store, kept while its `LogFile` is closed and reopened. */
  private readonly lost = new Map<string, NotStored>();
  /** The same records by service, so `notStored(service)` costs its own files only. */
  private readonly lostByService = new Map<string, NotStored[]>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly host: LogFileHost,
    private readonly flushIntervalMs: number,
  ) {}

  /**
   * The file of `source`, opened if needed (or reconfigured with `settings` if already open), with one
   * more reference: each call is matched by a `release()`. Throws `LOG_BAD_SOURCE` for a bad name.
   */
  open(source: LogSource, settings: BakedLogSettings): LogFile {
    const filePath = path.join(this.dir, logFileName(source));
    let open = this.files.get(filePath);
    if (open === undefined) {
      let lost = this.lost.get(filePath);
      if (lost === undefined) {
        lost = { pending: 0, total: 0, reason: '' };
        this.lost.set(filePath, lost);
        const ofService = this.lostByService.get(source.service);
        if (ofService) ofService.push(lost);
        else this.lostByService.set(source.service, [lost]);
      }
      open = { file: new LogFile(filePath, settings, this.host, lost), source: { ...source } };
      this.files.set(filePath, open);
    } else {
      open.file.configure(settings);
    }
    open.file.refs++;
    return open.file;
  }

  /** Drops one reference to `file`; the last one closes it. */
  release(file: LogFile): void {
    file.refs--;
    if (file.refs <= 0) {
      file.close();
      this.files.delete(file.path);
    }
  }

  /** Whether a sink has the file at `filePath` open. */
  isOpen(filePath: string): boolean {
    return this.files.has(filePath);
  }

  /** Truncates the open files whose source `pred` accepts (their sinks write on from offset 0). */
  clearOpen(pred: (source: LogSource) => boolean): void {
    for (const { file, source } of this.files.values()) if (pred(source)) file.clear();
  }

  /** Lines of the service (its hooks' included) that could not be written since this store was created. */
  notStored(service: string): number {
    let n = 0;
    for (const lost of this.lostByService.get(service) ?? []) n += lost.total;
    return n;
  }

  /** A file kept lines in its buffer: writes them within the flush interval (one timer for all). */
  scheduleFlush(): void {
    if (this.flushTimer !== null || this.flushIntervalMs <= 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushAll();
    }, this.flushIntervalMs);
    this.flushTimer.unref();
  }

  /** Writes every buffered line now. Partial last lines stay pending in their sinks. */
  flushAll(): void {
    for (const { file } of this.files.values()) file.flush();
  }

  /** Writes and closes every file (after their sinks ended) and stops the flush timer. */
  closeAll(): void {
    for (const { file } of this.files.values()) file.close();
    this.files.clear();
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
  }
}
