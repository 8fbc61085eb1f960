/** The log messages: captured lines and what `logs` answers (split from messages.ts by size). */

/** One captured log line. `line` is raw bytes: invalid UTF-8 and `\r` are preserved. */
export interface LogLine {
  /** Milliseconds since the epoch when the daemon read the line. */
  readonly ts: number;
  readonly service: string;
  /** Hook name when the line came from a hook (`global` service for global hooks). */
  readonly hook: string | null;
  readonly stream: 'stdout' | 'stderr';
  readonly line: Uint8Array;
  /**
   * false when the service's `logs.timestamp` setting asks text views to leave the time out (it is
   * still in `ts`, and `--json` always has it). Absent means show it.
   */
  readonly timestamp?: boolean;
}

/** Why a service's own stored output is gone: the retention setting that cleared it. */
export type RetentionSetting = 'on_start' | 'on_stop' | 'on_restart' | 'on_exit';

/** A service whose own output has no stored lines because retention cleared them (see `logs`). */
export interface ClearedLog {
  readonly service: string;
  /** The `logs.retention` setting that cleared the lines (its value was `clear`). */
  readonly by: RetentionSetting;
}

/** The result of `logs`. */
export interface LogsResult {
  /** Lines sent as events. */
  readonly lines: number;
  /** false: the daemon has not loaded this config; nothing was read or loaded (absent means true). */
  readonly loaded?: boolean;
  /**
   * Services asked for (every service when none was named) with no stored lines of their own because
   * retention cleared them. Absent in follow mode and when there are none.
   */
  readonly cleared?: readonly ClearedLog[];
}
