import type { ServiceStatus, StreamEvent } from '@kepler/protocol';
import { paint } from './color.js';
import { statusColor } from './services.js';

/** Where progress is written: a stream, plus what a TTY tells about itself. */
export interface ProgressOutput {
  write(chunk: string): unknown;
  readonly rows?: number;
}

/** The daemon reports config-level (global) hooks under this name. */
const CONFIG_ROW = 'global';

interface Row {
  status: ServiceStatus | null;
  detail: string | null;
}

const SYMBOLS: Readonly<Record<ServiceStatus, string>> = {
  stopped: '■',
  waiting: '○',
  starting: '◐',
  running: '●',
  healthy: '✔',
  unhealthy: '✘',
  stopping: '◑',
  restarting: '↻',
  exited: '✔',
  failed: '✘',
};

/**
 * Progress of `start -d --wait` / `restart -d --wait`. With `live` (stdout is a TTY), a block of one line
 * per service is redrawn in place as events arrive (`○ api  waiting: waiting on db`); otherwise each
 * change is printed once as a plain line (`api: waiting (waiting on db)`), which is what CI logs want.
 * It only renders: it does not decide success, and ignores log lines and events for the end of the run.
 */
export class StartProgress {
  private readonly rows = new Map<string, Row>();
  private drawnLines = 0;
  private live: boolean;
  private readonly color: boolean;

  constructor(
    private readonly out: ProgressOutput,
    options: { readonly live: boolean; readonly color: boolean },
  ) {
    this.live = options.live;
    this.color = options.color;
  }

  /** Applies one stream event. */
  onEvent(event: StreamEvent): void {
    if (event.type === 'serviceStatusChanged') {
      const row = this.row(event.service);
      row.status = event.status;
      row.detail = event.reason;
      this.changed(event.service, row);
    } else if (event.type === 'progress') {
      const row = this.row(event.service);
      row.detail = event.message;
      this.changed(event.service, row);
    }
  }

  /** The text lines of the block, as the live view draws them (without colours when `color` is off). */
  lines(): string[] {
    const width = Math.max(0, ...[...this.rows.keys()].map((name) => name.length));
    return [...this.rows.entries()].map(([name, row]) => {
      // Config-level hook progress (`global`) has no status of its own: show only what happens.
      if (row.status === null && name === CONFIG_ROW) return `  ${name.padEnd(width)}  ${row.detail ?? ''}`;
      const status = row.status ?? 'waiting';
      const symbol = paint(SYMBOLS[status], statusColor(status), this.color);
      const detail = row.detail ? `: ${row.detail}` : '';
      return `${symbol} ${name.padEnd(width)}  ${paint(status, statusColor(status), this.color)}${detail}`;
    });
  }

  private row(service: string): Row {
    let row = this.rows.get(service);
    if (row === undefined) {
      row = { status: null, detail: null };
      this.rows.set(service, row);
    }
    return row;
  }

  private changed(service: string, row: Row): void {
    const rows = this.out.rows ?? Number.POSITIVE_INFINITY;
    // A block taller than the screen cannot be redrawn in place: fall back to plain lines for good.
    if (this.live && this.rows.size >= rows) this.live = false;
    if (!this.live) {
      if (row.status === null && service === CONFIG_ROW) {
        this.out.write(`${service}: ${row.detail ?? ''}\n`);
        return;
      }
      const status = row.status ?? 'waiting';
      const label = paint(status, statusColor(status), this.color);
      this.out.write(`${service}: ${label}${row.detail ? ` (${row.detail})` : ''}\n`);
      return;
    }
    const lines = this.lines();
    // Cursor up to the block's first line, then rewrite every line and clear what is below.
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F` : '';
    this.out.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}\x1b[J`);
    this.drawnLines = lines.length;
  }
}
