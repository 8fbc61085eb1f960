import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { PlatformError } from './errors.js';
import type { ProcessExit } from './spawn.js';

/** How often watchForeignExit looks at /proc for an adopted process. */
export const FOREIGN_EXIT_POLL_MS = 100;

/** The fields of /proc/<pid>/stat that Kepler uses. */
export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie), T, ... */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22, clock ticks since boot. Opaque: compare for equality only. */
  startTime: string;
}

/** One buffer for every stat read: readFileSync allocates 64 KiB per /proc file (its size shows as 0). */
const statBuf = Buffer.allocUnsafe(4096);

/** A /proc file known to be short (stat is < 1 KiB), as latin1, read without allocating a buffer. */
function readSmall(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let len = 0;
    for (;;) {
      const n = readSync(fd, statBuf, len, statBuf.length - len, null);
      if (n === 0 || len + n === statBuf.length) return statBuf.toString('latin1', 0, len + n);
      len += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads /proc/<pid>/stat; null when there is no such process. Zombies are returned (state `Z`). */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readSmall(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and parentheses: the fields after it start after the LAST ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const state = fields[0];
  const ppid = fields[1];
  const pgid = fields[2];
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || pgid === undefined || startTime === undefined) return null;
  return { pid, state, ppid: Number(ppid), pgid: Number(pgid), startTime };
}

function isLive(stat: ProcStat | null): stat is ProcStat {
  // A zombie has exited; it only waits for a parent that may never reap it (orphans of a sandbox init).
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * The start time of a running process, to pair with its pid (see isSameProcess). Null when there is
 * no such process or it has already exited (a zombie counts as gone). The value is opaque.
 */
export function readStartTime(pid: number): string | null {
  const stat = readStat(pid);
  return isLive(stat) ? stat.startTime : null;
}

/**
 * True when `pid` is still the running process that had `startTime`: guards against signalling a
 * recycled pid after a daemon restart. False for a zombie.
 */
export function isSameProcess(pid: number, startTime: string): boolean {
  return readStartTime(pid) === startTime;
}

/** Numeric entries of /proc (processes, not threads). */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

const MARKER_RE = /^[^=\0]+=[^\0]*$/;

/** Throws unless `marker` is a `KEY=VALUE` environment entry. */
export function assertMarker(marker: string): void {
  if (!MARKER_RE.test(marker)) {
    throw new PlatformError(
      'INVALID_TARGET',
      `process marker must be KEY=VALUE, got ${JSON.stringify(marker)}`,
    );
  }
}

/** True when the NUL-separated environment block holds exactly the entry `needle` (which ends without NUL). */
function environHas(block: Buffer, needle: Buffer): boolean {
  let i = block.indexOf(needle);
  while (i !== -1) {
    const end = i + needle.length;
    if ((i === 0 || block[i - 1] === 0) && (end === block.length || block[end] === 0)) return true;
    i = block.indexOf(needle, i + 1);
  }
  return false;
}

function readEnviron(pid: number): Buffer | null {
  try {
    return readFileSync(`/proc/${pid}/environ`);
  } catch {
    return null; // gone, or a kernel thread / permission problem: nothing to match
  }
}

/**
 * Live processes (zombies excluded, the daemon itself excluded) whose initial environment holds the
 * exact entry `marker` (`KEY=VALUE`). Reads every /proc/<pid>/environ synchronously, so it costs a
 * few milliseconds on a busy host; stopProcessTree batches its scans instead. A process that execs
 * with a scrubbed environment is not found (cgroups, when available, still catch it).
 */
export function findProcessesByMarker(marker: string): number[] {
  assertMarker(marker);
  return scanNow(new Set([marker])).markers.get(marker) ?? [];
}

/**
 * Live processes carrying each of `markers` (see findProcessesByMarker), found in ONE pass over /proc
 * however many markers there are: a config's services are looked up together.
 */
export function findProcessesByMarkers(markers: readonly string[]): Map<string, number[]> {
  for (const m of markers) assertMarker(m);
  return scanNow(new Set(markers)).markers;
}

/** One pass over /proc: every process's stat, and the pids carrying each requested marker. */
export interface ProcSnapshot {
  stats: Map<number, ProcStat>;
  markers: Map<string, number[]>;
}

function scanNow(markers: ReadonlySet<string>): ProcSnapshot {
  const needles = [...markers].map((m) => [m, Buffer.from(m, 'utf8')] as const);
  const result: ProcSnapshot = { stats: new Map(), markers: new Map(needles.map(([m]) => [m, []])) };
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const stat = readStat(pid);
    if (!isLive(stat)) continue;
    result.stats.set(pid, stat);
    if (needles.length === 0) continue;
    const block = readEnviron(pid);
    if (block === null || block.length === 0) continue;
    for (const [marker, needle] of needles) {
      if (environHas(block, needle)) result.markers.get(marker)?.push(pid);
    }
  }
  return result;
}

let pendingScan: { markers: Set<string>; waiters: Array<(s: ProcSnapshot) => void> } | null = null;

/**
 * A /proc snapshot (live processes only) shared by every caller in the same event-loop turn: a
 * hundred services stopping at once cost one pass, not a hundred.
 */
export function scanProcesses(markers: readonly string[]): Promise<ProcSnapshot> {
  for (const m of markers) assertMarker(m);
  return new Promise((resolve) => {
    if (pendingScan === null) {
      const batch = { markers: new Set<string>(), waiters: [] as Array<(s: ProcSnapshot) => void> };
      pendingScan = batch;
      setImmediate(() => {
        pendingScan = null;
        const snapshot = scanNow(batch.markers);
        for (const w of batch.waiters) w(snapshot);
      });
    }
    for (const m of markers) pendingScan.markers.add(m);
    pendingScan.waiters.push(resolve);
  });
}

/**
 * Waits for an adopted (non-child) process to go away by polling /proc every FOREIGN_EXIT_POLL_MS on
 * an unref'd timer (it does not keep the daemon alive). Resolves when the pid is gone, a zombie, or
 * reused (start time changed). The exit code of a non-child cannot be known: always
 * `{code: null, signal: null}`. `cancel()` stops polling and leaves the promise pending forever.
 */
export function watchForeignExit(
  pid: number,
  startTime: string,
  pollMs: number = FOREIGN_EXIT_POLL_MS,
): { exited: Promise<ProcessExit>; cancel(): void } {
  let timer: NodeJS.Timeout | null = null;
  let cancelled = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    const check = (): void => {
      if (cancelled) return;
      if (!isSameProcess(pid, startTime)) {
        resolve({ code: null, signal: null });
        return;
      }
      timer = setTimeout(check, pollMs);
      timer.unref();
    };
    check();
  });
  return {
    exited,
    cancel() {
      cancelled = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
