import type { LogLine } from '@kepler/protocol';
import { paint, serviceColor } from './color.js';

/**
 * Rendering of captured log lines for `kepler logs` and `kepler start`.
 *
 * Text form: `<time> <label> | <line>` where `<time>` is the local wall clock `HH:MM:SS.mmm` and
 * `<label>` is `service` or `service.hook` (global hooks: `global.<hook>`), padded to `labelWidth` and
 * coloured by a stable hash of the service name when `color` is on. The line's bytes are copied as they
 * are (invalid UTF-8 and `\r` included), so the result is a Buffer, not a string.
 * Raw form: only the line's bytes and a newline. JSON form: see `logLineToJson`.
 */
export interface LogFormatOptions {
  /** Prefix each line with the local time. */
  readonly timestamps: boolean;
  readonly color: boolean;
  /** Only the line's bytes: no time, no label. */
  readonly raw: boolean;
  /** Minimum label width, for alignment across services. */
  readonly labelWidth?: number;
}

const NEWLINE = Buffer.from('\n');

/** `service` or `service.hook`: the name shown in front of a line. */
export function logLabel(line: Pick<LogLine, 'service' | 'hook'>): string {
  return line.hook === null ? line.service : `${line.service}.${line.hook}`;
}

/** Local wall-clock time of an epoch-ms instant as `HH:MM:SS.mmm`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** One rendered line, newline included. */
export function formatLogLine(line: LogLine, options: LogFormatOptions): Buffer {
  const bytes = Buffer.from(line.line.buffer, line.line.byteOffset, line.line.byteLength);
  if (options.raw) return Buffer.concat([bytes, NEWLINE]);
  const label = logLabel(line);
  const padded = label.padEnd(options.labelWidth ?? 0);
  const coloured = paint(padded, serviceColor(line.service), options.color);
  const time = options.timestamps ? `${paint(formatClock(line.ts), 2, options.color)} ` : '';
  return Buffer.concat([Buffer.from(`${time}${coloured} | `, 'utf8'), bytes, NEWLINE]);
}

/** `logs --json`'s object: defined in @kepler/protocol, which the daemon's HTTP API answers with too. */
export type { LogLineJson } from '@kepler/protocol';
export { logLineToJson } from '@kepler/protocol';
