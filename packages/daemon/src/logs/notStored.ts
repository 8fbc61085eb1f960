/** Accounting for log lines that could not be written (a full disk): counts, reason, marker record. */
import { NEWLINE, PREFIX_BYTES } from './logFormat.js';

/**
 * Lines of one log file that could not be written. Owned by the store, so the counts outlive the
 * `LogFile` (a service stopped while the disk is full gets its marker when it writes again).
 */
export interface NotStored {
  /** Lines dropped since the last marker line: the next successful write starts with a marker. */
  pending: number;
  /** Lines dropped since the daemon started (what `ps` shows). */
  total: number;
  /** Why, as the marker says it (`no space left on device`). */
  reason: string;
}

/**
 * `[kepler] N lines not stored: <reason>` as a record with the time of the first record of `data` (the
 * next line stored after the lost ones), so the file stays in time order.
 */
export function markerRecord(lost: NotStored, data: Buffer): Buffer {
  const { pending, reason } = lost;
  const text = `[kepler] ${pending} line${pending === 1 ? '' : 's'} not stored: ${reason}\n`;
  return Buffer.concat([data.subarray(0, PREFIX_BYTES), Buffer.from(text)]);
}

/** Records (`\n`-terminated) in `data` from `from` on: only on the failure path, never per line. */
export function countRecords(data: Buffer, from: number): number {
  let n = 0;
  for (let i = data.indexOf(NEWLINE, from); i !== -1; i = data.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** The reason part of a Node fs error (`no space left on device` for ENOSPC). */
export function reasonOf(err: unknown): string {
  const message = typeof (err as Error | null)?.message === 'string' ? (err as Error).message : String(err);
  return /^[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? message;
}
