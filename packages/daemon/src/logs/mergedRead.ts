import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogLine } from '@kepler/protocol';
import { type LogSource, logFileNamesOf, parseLogFileName, sourceMatches } from './logFormat.js';
import { RecordCursor, readAll, readHead, readTail } from './logReader.js';
import type { TimeWindow } from './timeWindow.js';

/**
 * Reading back the stored lines of a logs directory: the files of a query, in tie-break order, merged
 * by time. Each file is read by logReader.ts. Nothing here flushes buffered lines: the caller
 * (`LogStore`) does that first.
 */

/**
 * Which lines a read returns. `head` wins when both `head` and `tail` are given; with `since`/`until`
 * they count lines within the window (each file is searched for the window, not read through).
 */
export interface LogReadQuery extends TimeWindow {
  /** Service names; empty = every file in the directory, global hooks included. */
  readonly services: readonly string[];
  /** The first N lines (after merging). */
  readonly head?: number;
  /** The last N lines (after merging). */
  readonly tail?: number;
  /** Leave out hook output. */
  readonly noHook?: boolean;
}

/** One log file of a directory and where its lines come from. */
export interface StoredLogFile {
  readonly source: LogSource;
  readonly file: string;
}

/** Limits of one batch of lines: at most `maxLines`, and about `maxBytes` of line text (plus one line). */
export interface BatchLimits {
  readonly maxLines: number;
  readonly maxBytes: number;
}

function count(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.max(0, Math.floor(n));
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Splits lines into batches within `limits` (see readMergedBatches). */
export function* inBatches(lines: LogLine[], limits: BatchLimits): Generator<LogLine[]> {
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

/**
 * Log files in `dir` for the query, in the merge's tie-break order: services in the query's order (by
 * name when it is empty), the service's own output before its hooks, stdout before stderr.
 */
export function listLogFiles(dir: string, services: readonly string[], noHook: boolean): StoredLogFile[] {
  let names: string[];
  if (services.length > 0 && services.length <= NAMED_LOOKUP_MAX) {
    // A few services: their possible file names, not the directory, which holds every service's files
    // (listing it per service made stopping n services with on_stop: clear cost n x n).
    names = services.flatMap((s) => logFileNamesOf(s, noHook)).filter((n) => isFile(path.join(dir, n)));
  } else {
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
  const wanted = services.length === 0 ? null : new Set(services);
  const out: StoredLogFile[] = [];
  for (const name of names) {
    const source = parseLogFileName(name);
    if (source !== null && sourceMatches(source, wanted, noHook))
      out.push({ source, file: path.join(dir, name) });
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

/** Whether the service's own output (not its hooks') has a line on disk. */
/** Up to this many named services, listLogFiles looks their files up by name instead of listing the directory. */
const NAMED_LOOKUP_MAX = 8;

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

export function hasStoredLines(dir: string, service: string): boolean {
  return listLogFiles(dir, [service], true).some(({ file }) => fileSize(file) > 0);
}

/**
 * Stored lines of the chosen services merged by time (equal times keep `listLogFiles` order). Lines
 * are views of read buffers.
 */
export function readMerged(dir: string, q: LogReadQuery): LogLine[] {
  const head = count(q.head);
  const tail = head === undefined ? count(q.tail) : undefined;
  const lines: LogLine[] = [];
  for (const { source, file } of listLogFiles(dir, q.services, q.noHook ?? false)) {
    if (head !== undefined) readHead(file, head, source, lines, q);
    else if (tail !== undefined) readTail(file, tail, source, lines, q);
    else readAll(file, source, lines, q);
  }
  // Each file is already in time order; the sort is stable and merges the runs (TimSort).
  lines.sort((a, b) => a.ts - b.ts);
  if (head !== undefined && lines.length > head) return lines.slice(0, head);
  if (tail !== undefined && lines.length > tail) return lines.slice(lines.length - tail);
  return lines;
}

/**
 * `readMerged()` in batches within `limits`, for sending. Whole-log and head reads stream through the
 * files (a cursor per file, merged by time, the same order as `readMerged()`), so a log of any size
 * costs about one block per file in memory. Tail reads are bounded by their N and go through
 * `readMerged()`.
 */
export function* readMergedBatches(dir: string, q: LogReadQuery, limits: BatchLimits): Generator<LogLine[]> {
  const head = count(q.head);
  if (head === undefined && count(q.tail) !== undefined) {
    yield* inBatches(readMerged(dir, q), limits);
    return;
  }
  const cursors: RecordCursor[] = [];
  try {
    for (const { source, file } of listLogFiles(dir, q.services, q.noHook ?? false)) {
      cursors.push(new RecordCursor(file, source, q));
    }
    let left = head ?? Number.POSITIVE_INFINITY;
    let batch: LogLine[] = [];
    let bytes = 0;
    while (left > 0) {
      // The earliest next line; on equal times the earlier file (readMerged()'s stable order).
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
