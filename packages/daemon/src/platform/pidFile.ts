import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isLive, readStat } from './procfs.js';

/** Bytes of a pid file read: a pid and a newline, with room to spare. */
const PID_FILE_MAX_BYTES = 64;

/**
 * What a forking service's pid file says, judged against the process that was started to write it
 * (`launcher`): `alive` only when it names a live process started no earlier than the launcher, so a
 * pid file left by an earlier run (`dead`, or a recycled pid: `earlier`) is never taken for this one.
 */
export type PidFileState =
  | { readonly state: 'missing' }
  /** Not a regular file, or not a positive integer. */
  | { readonly state: 'invalid'; readonly detail: string }
  /** Names a process that is not running; `writtenAtMs` is the file's mtime. */
  | { readonly state: 'dead'; readonly pid: number; readonly writtenAtMs: number }
  /** Names a live process started before the launcher: not this start's daemon. */
  | { readonly state: 'earlier'; readonly pid: number }
  | { readonly state: 'alive'; readonly pid: number; readonly startTime: string; readonly pgid: number };

/** /proc start times are clock ticks since boot, in decimal: comparable as integers. */
function startedNoEarlier(startTime: string, than: string): boolean {
  return /^\d+$/.test(startTime) && /^\d+$/.test(than) && BigInt(startTime) >= BigInt(than);
}

/**
 * Reads a pid file without letting it hang the daemon (regular files only, checked before and after
 * the O_NONBLOCK open; a few bytes read) and judges the pid it names.
 */
export function readPidFile(path: string, launcher: { startTime: string }): PidFileState {
  let fd: number;
  try {
    // Checked before opening too: opening some devices already does something (a tape rewinds).
    if (!statSync(path).isFile()) return { state: 'invalid', detail: 'not a regular file' };
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { state: 'missing' } : { state: 'invalid', detail: code ?? String(err) };
  }
  let text: string;
  let writtenAtMs: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { state: 'invalid', detail: 'not a regular file' };
    writtenAtMs = st.mtimeMs;
    const buf = Buffer.alloc(PID_FILE_MAX_BYTES);
    text = buf
      .subarray(0, readSync(fd, buf, 0, buf.length, 0))
      .toString('latin1')
      .trim();
  } finally {
    closeSync(fd);
  }
  // Empty: a daemon that created the file and has not written its pid yet.
  if (text === '') return { state: 'missing' };
  if (!/^\d{1,10}$/.test(text) || Number(text) < 2) {
    return { state: 'invalid', detail: `${JSON.stringify(text.slice(0, 20))} is not a pid` };
  }
  const pid = Number(text);
  const stat = readStat(pid);
  if (!isLive(stat)) return { state: 'dead', pid, writtenAtMs };
  if (!startedNoEarlier(stat.startTime, launcher.startTime)) return { state: 'earlier', pid };
  return { state: 'alive', pid, startTime: stat.startTime, pgid: stat.pgid };
}
