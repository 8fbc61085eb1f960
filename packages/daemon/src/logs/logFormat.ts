/**
 * The on-disk log format and file naming, shared by the writer and the reader.
 *
 * Each stored record is `<ISO-8601 UTC time with ms> <raw line bytes>\n`, e.g.
 * `2025-01-02T03:04:05.678Z hello\n`. The line bytes are stored as read from the pipe: no decoding,
 * no escaping (a line never contains `\n`, so the record needs none).
 */

import { GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES } from '@kepler/config/grammar';
import { LogError } from './LogError.js';

/** Length of `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
export const TIMESTAMP_BYTES = 24;
/** Timestamp plus the separating space: where the line bytes start in a record. */
export const PREFIX_BYTES = TIMESTAMP_BYTES + 1;
/** `\n` */
export const NEWLINE = 0x0a;

/** Where one log file's lines come from. `service` is `global` for global hooks. */
export interface LogSource {
  readonly service: string;
  /** Hook name for hook output; null for the service's own process. */
  readonly hook: string | null;
  readonly stream: 'stdout' | 'stderr';
}

/**
 * Whether lines of `source` are selected: by service (`services` null = every service, global hooks
 * included) and, with `noHook`, leaving out hook output. Used alike by reads and followers.
 */
export function sourceMatches(
  source: LogSource,
  services: ReadonlySet<string> | null,
  noHook: boolean,
): boolean {
  if (noHook && source.hook !== null) return false;
  return services === null || services.has(source.service);
}

/**
 * Rejects names that would escape the logs directory or make the file name ambiguous: a dot would
 * make `<service>.<hook>` unreadable (config validation allows service names of [a-z0-9_-] only).
 */
function checkName(kind: string, name: string): void {
  if (name === '' || name.includes('.') || name.includes('/') || name.includes('\0')) {
    throw new LogError('LOG_BAD_SOURCE', `invalid ${kind} name for a log file: ${JSON.stringify(name)}`);
  }
}

/** `<service>.<stream>.log` or `<service>.<hook>.<stream>.log`. Throws `LOG_BAD_SOURCE` on a bad name. */
export function logFileName(source: LogSource): string {
  checkName('service', source.service);
  if (source.hook === null) return `${source.service}.${source.stream}.log`;
  checkName('hook', source.hook);
  return `${source.service}.${source.hook}.${source.stream}.log`;
}

/** Every hook whose output has files of its own: a service's hooks and the global ones (`global.<hook>`). */
export const LOGGED_HOOK_NAMES: readonly string[] = [
  ...new Set([...SERVICE_HOOK_NAMES, ...GLOBAL_HOOK_NAMES]),
];

/** The names every log file of `service` can have (its own output, then each hook's unless `noHook`). */
export function logFileNamesOf(service: string, noHook: boolean): string[] {
  const owners = noHook ? [service] : [service, ...LOGGED_HOOK_NAMES.map((h) => `${service}.${h}`)];
  return owners.flatMap((o) => [`${o}.stdout.log`, `${o}.stderr.log`]);
}

/**
 * The source of a log file name (`<service>.<stream>.log` or `<service>.<hook>.<stream>.log`), or null
 * for a file that is not a log (temp files, strangers). Names contain no dots (see checkName).
 */
export function parseLogFileName(name: string): LogSource | null {
  let stream: 'stdout' | 'stderr';
  if (name.endsWith('.stdout.log')) stream = 'stdout';
  else if (name.endsWith('.stderr.log')) stream = 'stderr';
  else return null;
  const parts = name.slice(0, -'.stdout.log'.length).split('.');
  if (parts.some((p) => p === '') || parts.length > 2) return null;
  const [service, hook] = parts as [string, string | undefined];
  return { service, hook: hook ?? null, stream };
}

/** The 25-byte record prefix (`<timestamp> `) for a time in ms since the epoch. */
export function encodePrefix(ts: number): Buffer {
  const buf = Buffer.allocUnsafe(PREFIX_BYTES);
  buf.write(new Date(ts).toISOString(), 0, TIMESTAMP_BYTES, 'latin1');
  buf[TIMESTAMP_BYTES] = 0x20;
  return buf;
}

function digits(buf: Uint8Array, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = (buf[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Parses the timestamp at `at` in `buf` (the start of a record), or returns NaN when the bytes there are
 * not a timestamp followed by a space. Hand-rolled: `Date.parse` on a decoded string is ~5x slower.
 */
export function parseTimestamp(buf: Uint8Array, at: number, end: number): number {
  if (end - at < PREFIX_BYTES) return Number.NaN;
  if (
    buf[at + 4] !== 0x2d || // -
    buf[at + 7] !== 0x2d ||
    buf[at + 10] !== 0x54 || // T
    buf[at + 13] !== 0x3a || // :
    buf[at + 16] !== 0x3a ||
    buf[at + 19] !== 0x2e || // .
    buf[at + 23] !== 0x5a || // Z
    buf[at + 24] !== 0x20
  ) {
    return Number.NaN;
  }
  const y = digits(buf, at, 4);
  const mo = digits(buf, at + 5, 2);
  const d = digits(buf, at + 8, 2);
  const h = digits(buf, at + 11, 2);
  const mi = digits(buf, at + 14, 2);
  const s = digits(buf, at + 17, 2);
  const ms = digits(buf, at + 20, 3);
  if (y < 0 || mo < 1 || d < 1 || h < 0 || mi < 0 || s < 0 || ms < 0) return Number.NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/**
 * The last record of `data`, cut to its newest `keep` bytes under its own timestamp: used only when one
 * line is longer than `max_size`, so that the file still stays under the limit. Empty when `keep` cannot
 * hold a timestamp and one byte.
 */
export function splitLastRecord(data: Buffer, keep: number): Buffer {
  const room = keep - PREFIX_BYTES;
  if (room < 2) return Buffer.alloc(0);
  const start = data.lastIndexOf(NEWLINE, data.length - 2) + 1;
  const out = Buffer.allocUnsafe(PREFIX_BYTES + room);
  data.copy(out, 0, start, start + PREFIX_BYTES);
  data.copy(out, PREFIX_BYTES, data.length - room);
  return out;
}
