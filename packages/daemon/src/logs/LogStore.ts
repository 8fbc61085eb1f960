import * as fs from 'node:fs';
import type { BakedLogSettings } from '@kepler/config';
import type { ClearedLog, LogLine, RetentionSetting } from '@kepler/protocol';
import { CaptureIndexer, type RawOutput } from './CaptureIndexer.js';
import { CaptureSink, type LogSink, type SinkHost } from './CaptureSink.js';
import { ClearedMarks } from './ClearedMarks.js';
import { LogError } from './LogError.js';
import { type ByteBuffer, LOG_RETRY_MS, type LogFile, type LogFileHost } from './LogFile.js';
import { LogFollowers, type LogFollowQuery } from './LogFollowers.js';
import { encodePrefix, type LogSource, logFileName } from './logFormat.js';
import {
  type BatchLimits,
  hasStoredLines,
  type LogReadQuery,
  listLogFiles,
  readMerged,
  readMergedBatches,
} from './mergedRead.js';
import { OpenLogFiles } from './OpenLogFiles.js';

/**
 * Lines longer than this are split into several records: a runaway line cannot eat the daemon's
 * memory, and any record fits in one protocol frame (16 MiB) when it is sent back.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
/** Buffered lines (`buffer_size` > 0) are written at the latest this long after they were captured. */
export const BUFFER_FLUSH_INTERVAL_MS = 1000;

export interface LogStoreOptions {
  /** The config's `logs/` directory (created on the first write if missing, mode 0750). */
  readonly dir: string;
  /** Settings for a service's files; called with `global` for global hooks. Read when a sink opens. */
  readonly settings: (service: string) => BakedLogSettings;
  /**
   * Write failures (disk full, directory removed) and throwing followers. Capture carries on and the
   * failed lines are dropped; one report per run of failures per file. Default: `process.emitWarning`.
   */
  readonly onError?: (err: LogError) => void;
  /** A file is written again after failures: `lines` were not stored (its marker line says so). */
  readonly onResumed?: (message: string) => void;
  /** Default `MAX_LINE_BYTES`; smaller values are for tests. */
  readonly maxLineBytes?: number;
  /** Default `BUFFER_FLUSH_INTERVAL_MS`. */
  readonly flushIntervalMs?: number;
  /** Default `LOG_RETRY_MS`: how long a file whose writes fail drops lines before trying again. */
  readonly retryMs?: number;
}

/**
 * The log files of one config: capture (`sink()`), reading back (`read()`), live following (`follow()`)
 * and retention (`clear()`). Everything is synchronous and runs on the daemon's thread: a line captured
 * by a sink is on disk (when unbuffered) and published to followers before `write()` returns, so a
 * `read()` followed by `follow()` in the same tick misses nothing and repeats nothing.
 *
 * The parts, one file each: writing (OpenLogFiles.ts, LogFile.ts), reading back (mergedRead.ts,
 * logReader.ts), following (LogFollowers.ts), why a log is empty (ClearedMarks.ts).
 *
 * It does not decide when to clear (the supervisor applies `retention`), does not format lines for
 * display, and does not guard against another process writing the same files.
 */
export class LogStore {
  readonly dir: string;
  private readonly settings: (service: string) => BakedLogSettings;
  private readonly onError: (err: LogError) => void;
  private readonly maxLineBytes: number;
  private readonly sinks = new Set<CaptureSink>();
  private readonly followers: LogFollowers;
  private readonly files: OpenLogFiles;
  private readonly marks: ClearedMarks;
  private lastTs = 0;
  private prefixTs = -1;
  private prefixBuf: Buffer = Buffer.alloc(0);
  private readonly host: SinkHost & LogFileHost;

  constructor(opts: LogStoreOptions) {
    this.dir = opts.dir;
    this.settings = opts.settings;
    this.onError = opts.onError ?? ((err) => process.emitWarning(err.message, { code: err.code }));
    const onResumed = opts.onResumed ?? (() => undefined);
    this.maxLineBytes = Math.max(1, opts.maxLineBytes ?? MAX_LINE_BYTES);
    this.marks = new ClearedMarks(this.dir, (message, cause) => {
      const detail = cause instanceof Error ? cause.message : String(cause);
      this.onError(new LogError('LOG_WRITE_FAILED', `${message}: ${detail}`, { cause }));
    });
    const followers = new LogFollowers((err) => this.onError(err));
    this.followers = followers;
    const scratch: ByteBuffer = { buf: Buffer.allocUnsafe(64 * 1024) };
    this.host = {
      scratch,
      get followerCount() {
        return followers.size;
      },
      now: () => {
        const t = Date.now();
        if (t > this.lastTs) this.lastTs = t;
        return this.lastTs;
      },
      prefix: (ts) => {
        if (ts !== this.prefixTs) {
          this.prefixBuf = encodePrefix(ts);
          this.prefixTs = ts;
        }
        return this.prefixBuf;
      },
      isFollowed: (source) => followers.isFollowed(source),
      publish: (source, lines) => followers.publish(source, lines),
      released: (sink) => this.release(sink),
      buffered: () => this.files.scheduleFlush(),
      error: (err) => this.onError(err),
      retryMs: opts.retryMs ?? LOG_RETRY_MS,
      resumed: (file, lines, reason) =>
        onResumed(`log file ${file} is written again: ${lines} lines were not stored (${reason})`),
    };
    this.files = new OpenLogFiles(this.dir, this.host, opts.flushIntervalMs ?? BUFFER_FLUSH_INTERVAL_MS);
  }

  /**
   * A sink for one stream of one process (service or hook). Several sinks may share a file (an old
   * process still draining while its replacement starts): records never interleave inside a line.
   * Throws `LogError` `LOG_BAD_SOURCE` for a name with `/` or an empty name.
   */
  sink(source: LogSource): LogSink {
    logFileName(source); // checks the names, stored or not
    const settings = this.settings(source.service);
    const stored = source.stream === 'stdout' ? settings.store.stdout : settings.store.stderr;
    const file: LogFile | null = stored ? this.files.open(source, settings) : null;
    const sink = new CaptureSink(this.host, { ...source }, file, this.maxLineBytes);
    this.sinks.add(sink);
    return sink;
  }

  /**
   * Stores one stream of a service from the file its processes write to: the indexer resumes where
   * the log's checkpoint says (the last daemon stopped, or was killed) and stores from there. Call
   * `notify()` when the file grows, `drain(true)` when the process ended, `close()` to stop.
   */
  capture(source: LogSource, raw: RawOutput): CaptureIndexer {
    const sink = this.sink(source) as CaptureSink;
    const file = sink.logFile;
    const from = file === null ? raw.size() : file.resumeCapture(raw.id, raw.size());
    const indexer: CaptureIndexer = new CaptureIndexer(raw, sink, from, this.maxLineBytes, () =>
      file === null ? indexer.offset : file.savedRawEnd,
    );
    return indexer;
  }

  /**
   * Retention `clear`: empties the service's files (`<service>.stdout.log`, `.stderr.log`) and, with
   * `includeHooks`, its hooks' files. Files with an open sink are truncated in place, others removed.
   * `by` (the retention setting doing it) is remembered for `clearedWithoutLines` when the service's
   * own output had stored lines: a service that never wrote anything has nothing to explain.
   */
  clear(service: string, opts?: { includeHooks?: boolean; by?: RetentionSetting }): void {
    const includeHooks = opts?.includeHooks ?? false;
    const hadLines = opts?.by !== undefined && this.hasStoredLines(service);
    this.clearWhere((s) => s.service === service && (includeHooks || s.hook === null), [service]);
    if (hadLines && opts?.by) this.marks.record(service, opts.by);
  }

  /**
   * The services among `services` whose own output (not their hooks') has no stored line because a
   * retention setting cleared it, with that setting: why `read()` returns nothing for them.
   */
  clearedWithoutLines(services: readonly string[]): ClearedLog[] {
    const out: ClearedLog[] = [];
    for (const service of services) {
      const by = this.marks.read(service);
      if (by !== null && !this.hasStoredLines(service)) out.push({ service, by });
    }
    return out;
  }

  /** Whether the service's own output (not its hooks') has a stored line, buffered ones included. */
  private hasStoredLines(service: string): boolean {
    this.flushAll();
    return hasStoredLines(this.dir, service);
  }

  /** Empties every log file of the config, global hooks included. */
  clearAll(): void {
    this.clearWhere(() => true);
  }

  /**
   * Stored lines of the chosen services merged by time (equal times keep file order: services in the
   * query's order, or by name when it is empty; the service's own output before its hooks; stdout before
   * stderr). Buffered lines are flushed first so they are included. Lines are views of read buffers.
   */
  read(q: LogReadQuery): LogLine[] {
    this.flushAll();
    return readMerged(this.dir, q);
  }

  /**
   * `read()` in batches of at most `maxLines` lines and about `maxBytes` bytes of line text (plus one
   * line), for sending. Whole-log and head reads stream through the files (see `readMergedBatches`), so
   * a log of any size costs about one block per file in memory.
   */
  *readBatches(q: LogReadQuery, limits: BatchLimits): Generator<LogLine[]> {
    this.flushAll();
    yield* readMergedBatches(this.dir, q, limits);
  }

  /**
   * Delivers lines as sinks capture them, filtered like `read()`, in batches (one per chunk read).
   * Lines of streams with `store: false` are delivered too. A callback that throws is unsubscribed and
   * reported through `onError`. `onEnd` is called by `closeAll()`: no line will come any more. Returns
   * the unsubscribe function. See LogFollowers.ts.
   */
  follow(q: LogFollowQuery, onLines: (lines: LogLine[]) => void, onEnd?: () => void): () => void {
    return this.followers.add(q, onLines, onEnd);
  }

  /**
   * Lines of the service (its hooks' included) that could not be written to its log files since this
   * store was created (disk full, I/O errors): 0 when every line was stored.
   */
  notStored(service: string): number {
    return this.files.notStored(service);
  }

  /** Writes every buffered line now (stop, shutdown). Partial last lines stay pending. */
  flushAll(): void {
    this.files.flushAll();
  }

  /**
   * Ends every open sink (partial last lines are written as lines), writes everything, closes files,
   * then ends the followers (after the sinks, so they get those last lines).
   */
  closeAll(): void {
    for (const sink of [...this.sinks]) sink.end();
    this.files.closeAll();
    this.followers.end();
  }

  private release(sink: CaptureSink): void {
    this.sinks.delete(sink);
    if (sink.logFile !== null) this.files.release(sink.logFile);
  }

  /** Clears the files `pred` selects; `services`, when given, are the only ones it can select. */
  private clearWhere(pred: (source: LogSource) => boolean, services: readonly string[] = []): void {
    this.files.clearOpen(pred);
    for (const { file, source } of listLogFiles(this.dir, services, false)) {
      if (!pred(source) || this.files.isOpen(file)) continue;
      try {
        fs.rmSync(file, { force: true });
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        this.onError(
          new LogError('LOG_WRITE_FAILED', `cannot remove log file ${file}: ${detail}`, { cause: err }),
        );
      }
    }
  }
}
