import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { PlatformError } from './errors.js';
import type { ProcessExit } from './spawn.js';

/** How often watchForeignExit asks whether an adopted process still exists. */
export const FOREIGN_EXIT_POLL_MS = 100;
/** Every how many of those polls it also reads the process's /proc start time (a zombie, a reused pid). */
export const FOREIGN_IDENTITY_EVERY = 10;

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
export function readSmall(path: string): string {
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

/**
 * The fields of a /proc/<pid>/stat text from field 3 (state) on: field N is `[N - 3]`. Null when it
 * is not one. comm (field 2) may contain spaces and parentheses: the fields start after the LAST ')'.
 */
export function statFields(text: string): string[] | null {
  const close = text.lastIndexOf(')');
  return close < 0 ? null : text.slice(close + 2).split(' ');
}

/** Reads /proc/<pid>/stat; null when there is no such process. Zombies are returned (state `Z`). */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readSmall(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const fields = statFields(text);
  if (fields === null) return null;
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

/** Numeric entries of /proc (processes, not threads); `proc`: another root, in tests. */
export function listPids(proc = '/proc'): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(proc)) {
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
 * Waits for an adopted (non-child) process to go away. All adopted processes share one unref'd timer
 * (it does not keep the daemon alive) per poll interval, every FOREIGN_EXIT_POLL_MS: each poll asks
 * whether the pid still exists (kill 0, no file read), and every FOREIGN_IDENTITY_EVERY-th poll reads
 * its /proc start time too. So a daemon restarted under 100 services polls ~0.4 us per service instead
 * of reading 100 /proc files on 100 timers (170 ms of CPU every 10 s). Resolves when the pid is gone
 * (within a poll), a zombie or reused (start time changed; within FOREIGN_IDENTITY_EVERY polls; checked
 * at once when called). The exit code of a non-child cannot be known: always `{code: null, signal:
 * null}`. `cancel()` stops watching and leaves the promise pending forever.
 */
export function watchForeignExit(
  pid: number,
  startTime: string,
  pollMs: number = FOREIGN_EXIT_POLL_MS,
): { exited: Promise<ProcessExit>; cancel(): void } {
  let watched: ForeignProcess | null = null;
  const exited = new Promise<ProcessExit>((resolve) => {
    if (!isSameProcess(pid, startTime)) {
      resolve({ code: null, signal: null });
      return;
    }
    watched = { pid, startTime, exited: () => resolve({ code: null, signal: null }) };
    foreignPoller(pollMs).add(watched);
  });
  return {
    exited,
    cancel() {
      if (watched !== null) foreignPoller(pollMs).delete(watched);
    },
  };
}

/** An adopted process being watched, and what to call when it is gone. */
interface ForeignProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly exited: () => void;
}

const foreignPollers = new Map<number, ForeignExitPoller>();

function foreignPoller(pollMs: number): ForeignExitPoller {
  let poller = foreignPollers.get(pollMs);
  if (poller === undefined) {
    poller = new ForeignExitPoller(pollMs);
    foreignPollers.set(pollMs, poller);
  }
  return poller;
}

/** The adopted processes watched at one interval, on one timer that runs while there are any. */
class ForeignExitPoller {
  private readonly watched = new Set<ForeignProcess>();
  private timer: NodeJS.Timeout | null = null;
  private polls = 0;

  constructor(private readonly pollMs: number) {}

  add(p: ForeignProcess): void {
    this.watched.add(p);
    this.timer ??= setInterval(() => this.poll(), this.pollMs).unref();
  }

  delete(p: ForeignProcess): void {
    this.watched.delete(p);
    if (this.watched.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private poll(): void {
    const identity = ++this.polls % FOREIGN_IDENTITY_EVERY === 0;
    for (const p of [...this.watched]) {
      if (identity ? isSameProcess(p.pid, p.startTime) : pidExists(p.pid)) continue;
      this.delete(p);
      p.exited();
    }
  }
}

/** Whether a process with this pid exists (a zombie does): signal 0 checks without sending. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
