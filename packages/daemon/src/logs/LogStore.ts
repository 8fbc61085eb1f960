import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BakedLogSettings } from '@kepler/config';
import type { ClearedLog, LogLine, RetentionSetting } from '@kepler/protocol';
import { CaptureSink, type LogSink, type SinkHost } from './CaptureSink.js';
import { ClearedMarks } from './ClearedMarks.js';
import { LogError } from './LogError.js';
import { type ByteBuffer, LOG_RETRY_MS, LogFile, type LogFileHost } from './LogFile.js';
import { encodePrefix, type LogSource, logFileName, parseLogFileName } from './logFormat.js';
import { RecordCursor, readAll, readHead, readTail } from './logReader.js';
import type { NotStored } from './notStored.js';

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

/** Which lines `read()` returns. `head` wins when both `head` and `tail` are given. */
export interface LogReadQuery {
  /** Service names; empty = every file in the directory, global hooks included. */
  readonly services: readonly string[];
  /** The first N lines (after merging). */
  readonly head?: number;
  /** The last N lines (after merging). */
  readonly tail?: number;
  /** Leave out hook output. */
  readonly noHook?: boolean;
}

/** Which live lines `follow()` delivers; same meaning as in `LogReadQuery`. */
export interface LogFollowQuery {
  readonly services: readonly string[];
  readonly noHook?: boolean;
}

interface Follower {
  readonly services: ReadonlySet<string> | null;
  readonly noHook: boolean;
  readonly onLines: (lines: LogLine[]) => void;
}

interface OpenFile {
  readonly file: LogFile;
  readonly source: LogSource;
}

function matches(source: LogSource, services: ReadonlySet<string> | null, noHook: boolean): boolean {
  if (noHook && source.hook !== null) return false;
  return services === null || services.has(source.service);
}

/** Splits lines into batches within `limits` (see readBatches). */
export function* inBatches(
  lines: LogLine[],
  limits: { maxLines: number; maxBytes: number },
): Generator<LogLine[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += (lines[i] as LogLine).line.length;
    if (i + 1 - start >= limits.maxLines || bytes >= limits.maxBytes) {
      yield lines.slice(start, i + 1);
      start = i + 1;
      bytes = 0;
    }
  }
  if (start < lines.length) yield lines.slice(start);
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function count(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.max(0, Math.floor(n));
}

/**
 * The log files of one config: capture (`sink()`), reading back (`read()`), live following (`follow()`)
 * and retention (`clear()`). Everything is synchronous and runs on the daemon's thread: a line captured
 * by a sink is on disk (when unbuffered) and published to followers before `write()` returns, so a
 * `read()` followed by `follow()` in the same tick misses nothing and repeats nothing.
 *
 * It does not decide when to clear (the supervisor applies `retention`), does not format lines for
 * display, and does not guard against another process writing the same files.
 */
export class LogStore {
  readonly dir: string;
  private readonly settings: (service: string) => BakedLogSettings;
  private readonly onError: (err: LogError) => void;
  private readonly maxLineBytes: number;
  private readonly flushIntervalMs: number;
  private readonly files = new Map<string, OpenFile>();
  /** Lines each file (by path) could not store, kept while its `LogFile` is closed and reopened. */
  private readonly lost = new Map<string, NotStored>();
  /** The same records by service, so `notStored(service)` costs its own files only. */
  private readonly lostByService = new Map<string, NotStored[]>();
  private readonly sinks = new Set<CaptureSink>();
  private readonly followers = new Set<Follower>();
  private flushTimer: NodeJS.Timeout | null = null;
  private lastTs = 0;
  private prefixTs = -1;
  private prefixBuf: Buffer = Buffer.alloc(0);
  private readonly host: SinkHost & LogFileHost;
  private readonly marks: ClearedMarks;

  constructor(opts: LogStoreOptions) {
    this.dir = opts.dir;
    this.settings = opts.settings;
    this.onError = opts.onError ?? ((err) => process.emitWarning(err.message, { code: err.code }));
    const onResumed = opts.onResumed ?? (() => undefined);
    this.maxLineBytes = Math.max(1, opts.maxLineBytes ?? MAX_LINE_BYTES);
    this.flushIntervalMs = opts.flushIntervalMs ?? BUFFER_FLUSH_INTERVAL_MS;
    this.marks = new ClearedMarks(this.dir, (message, cause) => {
      const detail = cause instanceof Error ? cause.message : String(cause);
      this.onError(new LogError('LOG_WRITE_FAILED', `${message}: ${detail}`, { cause }));
    });
    const scratch: ByteBuffer = { buf: Buffer.allocUnsafe(64 * 1024) };
    const followers = this.followers;
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
      isFollowed: (source) => {
        for (const f of followers) if (matches(source, f.services, f.noHook)) return true;
        return false;
      },
      publish: (source, lines) => this.publish(source, lines),
      released: (sink) => this.release(sink),
      buffered: () => this.scheduleFlush(),
      error: (err) => this.onError(err),
      retryMs: opts.retryMs ?? LOG_RETRY_MS,
      resumed: (file, lines, reason) =>
        onResumed(`log file ${file} is written again: ${lines} lines were not stored (${reason})`),
    };
  }

  /**
   * A sink for one stream of one process (service or hook). Several sinks may share a file (an old
   * process still draining while its replacement starts): records never interleave inside a line.
   * Throws `LogError` `LOG_BAD_SOURCE` for a name with `/` or an empty name.
   */
  sink(source: LogSource): LogSink {
    const name = logFileName(source);
    const settings = this.settings(source.service);
    const stored = source.stream === 'stdout' ? settings.store.stdout : settings.store.stderr;
    let file: LogFile | null = null;
    if (stored) {
      const filePath = path.join(this.dir, name);
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
      file = open.file;
    }
    const sink = new CaptureSink(this.host, { ...source }, file, this.maxLineBytes);
    this.sinks.add(sink);
    return sink;
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
    this.clearWhere((s) => s.service === service && (includeHooks || s.hook === null));
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
    return this.listFiles([service], true).some(({ file }) => fileSize(file) > 0);
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
    const head = count(q.head);
    const tail = head === undefined ? count(q.tail) : undefined;
    const lines: LogLine[] = [];
    for (const { source, file } of this.listFiles(q.services, q.noHook ?? false)) {
      if (head !== undefined) readHead(file, head, source, lines);
      else if (tail !== undefined) readTail(file, tail, source, lines);
      else readAll(file, source, lines);
    }
    // Each file is already in time order; the sort is stable and merges the runs (TimSort).
    lines.sort((a, b) => a.ts - b.ts);
    if (head !== undefined && lines.length > head) return lines.slice(0, head);
    if (tail !== undefined && lines.length > tail) return lines.slice(lines.length - tail);
    return lines;
  }

  /**
   * `read()` in batches of at most `maxLines` lines and about `maxBytes` bytes of line text (plus one
   * line), for sending. Whole-log and head reads stream through the files (a cursor per file, merged by
   * time, the same order as `read()`), so a log of any size costs about one block per file in memory.
   * Tail reads are bounded by their N and go through `read()`.
   */
  *readBatches(q: LogReadQuery, limits: { maxLines: number; maxBytes: number }): Generator<LogLine[]> {
    const head = count(q.head);
    if (head === undefined && count(q.tail) !== undefined) {
      yield* inBatches(this.read(q), limits);
      return;
    }
    this.flushAll();
    const cursors: RecordCursor[] = [];
    try {
      for (const { source, file } of this.listFiles(q.services, q.noHook ?? false)) {
        cursors.push(new RecordCursor(file, source));
      }
      let left = head ?? Number.POSITIVE_INFINITY;
      let batch: LogLine[] = [];
      let bytes = 0;
      while (left > 0) {
        // The earliest next line; on equal times the earlier file (read()'s stable order).
        let earliest: RecordCursor | null = null;
        let earliestTs = Number.POSITIVE_INFINITY;
        for (const c of cursors) {
          const line = c.peek();
          if (line !== null && (earliest === null || line.ts < earliestTs)) {
            earliest = c;
            earliestTs = line.ts;
          }
        }
        const line = earliest?.next();
        if (!line) break;
        batch.push(line);
        bytes += line.line.length;
        left--;
        if (batch.length >= limits.maxLines || bytes >= limits.maxBytes) {
          yield batch;
          batch = [];
          bytes = 0;
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      for (const c of cursors) c.close();
    }
  }

  /**
   * Delivers lines as sinks capture them, filtered like `read()`, in batches (one per chunk read).
   * Lines of streams with `store: false` are delivered too. A callback that throws is unsubscribed and
   * reported through `onError`. Returns the unsubscribe function.
   */
  follow(q: LogFollowQuery, onLines: (lines: LogLine[]) => void): () => void {
    const follower: Follower = {
      services: q.services.length === 0 ? null : new Set(q.services),
      noHook: q.noHook ?? false,
      onLines,
    };
    this.followers.add(follower);
    return () => {
      this.followers.delete(follower);
    };
  }

  /**
   * Lines of the service (its hooks' included) that could not be written to its log files since this
   * store was created (disk full, I/O errors): 0 when every line was stored.
   */
  notStored(service: string): number {
    let n = 0;
    for (const lost of this.lostByService.get(service) ?? []) n += lost.total;
    return n;
  }

  /** Writes every buffered line now (stop, shutdown). Partial last lines stay pending. */
  flushAll(): void {
    for (const { file } of this.files.values()) file.flush();
  }

  /** Ends every open sink (partial last lines are written as lines), writes everything, closes files. */
  closeAll(): void {
    for (const sink of [...this.sinks]) sink.end();
    for (const { file } of this.files.values()) file.close();
    this.files.clear();
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
  }

  private publish(source: LogSource, lines: LogLine[]): void {
    for (const f of this.followers) {
      if (!matches(source, f.services, f.noHook)) continue;
      try {
        f.onLines(lines);
      } catch (err) {
        this.followers.delete(f);
        const detail = err instanceof Error ? err.message : String(err);
        this.onError(new LogError('LOG_FOLLOWER_FAILED', `log follower failed: ${detail}`, { cause: err }));
      }
    }
  }

  private release(sink: CaptureSink): void {
    this.sinks.delete(sink);
    const file = sink.logFile;
    if (file === null) return;
    file.refs--;
    if (file.refs <= 0) {
      file.close();
      this.files.delete(file.path);
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.flushIntervalMs <= 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushAll();
    }, this.flushIntervalMs);
    this.flushTimer.unref();
  }

  private clearWhere(pred: (source: LogSource) => boolean): void {
    for (const { file, source } of this.files.values()) if (pred(source)) file.clear();
    for (const { file, source } of this.listFiles([], false)) {
      if (!pred(source) || this.files.has(file)) continue;
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

  /** Log files in the directory for the query, in the merge's tie-break order. */
  private listFiles(services: readonly string[], noHook: boolean): { source: LogSource; file: string }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const wanted = services.length === 0 ? null : new Set(services);
    const out: { source: LogSource; file: string }[] = [];
    for (const name of names) {
      const source = parseLogFileName(name);
      if (source !== null && matches(source, wanted, noHook))
        out.push({ source, file: path.join(this.dir, name) });
    }
    const rank = (s: string): number => (wanted === null ? 0 : services.indexOf(s));
    const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    out.sort(
      (a, b) =>
        rank(a.source.service) - rank(b.source.service) ||
        cmp(a.source.service, b.source.service) ||
        (a.source.hook === null ? 0 : 1) - (b.source.hook === null ? 0 : 1) ||
        cmp(a.source.hook ?? '', b.source.hook ?? '') ||
        (a.source.stream === 'stdout' ? 0 : 1) - (b.source.stream === 'stdout' ? 0 : 1),
    );
    return out;
  }
}
