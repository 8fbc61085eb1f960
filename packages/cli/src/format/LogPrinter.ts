import type { LogLine, ServiceStatus } from '@kepler/protocol';
import { paint, serviceColor } from './color.js';
import { formatClock, formatLogLine, logLabel, logLineToJson } from './logLine.js';
import { statusColor } from './services.js';

/** Where printed lines go: bytes are written as they are. */
export interface ByteOutput {
  write(chunk: Uint8Array | string): unknown;
}

/** How lines are printed: `text` (`<time> <label> | <line>`), `raw` (the bytes only), `json` (one object per line). */
export type LogOutputMode = 'text' | 'raw' | 'json';

/**
 * Prints log lines (and, in the foreground start, status lines) to one stream, keeping labels aligned:
 * the label column widens to the longest label seen so far (a batch is measured before it is printed). Formatting is `logLine.ts`'s; this class
 * only keeps the alignment state and chooses the mode.
 */
export class LogPrinter {
  private labelWidth = 0;

  constructor(
    private readonly out: ByteOutput,
    private readonly options: {
      readonly mode: LogOutputMode;
      /** true/false: always/never show the time; undefined: as each line's service says (logs.timestamp). */
      readonly timestamps: boolean | undefined;
      readonly color: boolean;
    },
  ) {}

  /** Prints a batch of lines in order. */
  lines(lines: readonly LogLine[]): void {
    if (lines.length === 0) return;
    if (this.options.mode === 'json') {
      this.out.write(lines.map((l) => `${JSON.stringify(logLineToJson(l))}\n`).join(''));
      return;
    }
    // Widen over the whole batch first, so a batch (e.g. all of `kepler logs`) is aligned throughout.
    for (const line of lines) this.widen(logLabel(line));
    const chunks: Buffer[] = [];
    for (const line of lines) {
      chunks.push(
        formatLogLine(line, {
          timestamps: this.options.timestamps ?? line.timestamp !== false,
          color: this.options.color,
          raw: this.options.mode === 'raw',
          labelWidth: this.labelWidth,
        }),
      );
    }
    this.out.write(Buffer.concat(chunks));
  }

  /**
   * A status line of the foreground start: `<time> <service> * <status> (<reason>)`. The `*` tells it
   * apart from the service's own output, which uses `|`.
   */
  status(service: string, status: ServiceStatus, reason: string | null, atMs: number = Date.now()): void {
    const word = paint(status, statusColor(status), this.options.color);
    this.note(service, reason ? `${word} (${reason})` : word, atMs);
  }

  /** A line from Kepler about a service (progress), formatted like a status line. */
  note(service: string, message: string, atMs: number = Date.now()): void {
    if (this.options.mode === 'json') return;
    this.widen(service);
    const time =
      (this.options.timestamps ?? true) ? `${paint(formatClock(atMs), 2, this.options.color)} ` : '';
    const label = paint(service.padEnd(this.labelWidth), serviceColor(service), this.options.color);
    this.out.write(`${time}${label} * ${message}\n`);
  }

  private widen(label: string): void {
    if (label.length > this.labelWidth) this.labelWidth = label.length;
  }
}
