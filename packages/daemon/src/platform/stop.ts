import { existsSync } from 'node:fs';
import {
  cgroupPathForMarker,
  cgroupPids,
  killCgroup,
  removeCgroup,
  removeCgroupOfMarker,
} from './cgroups.js';
import { errnoCode, PlatformError } from './errors.js';
import type { StopTreeOptions, SweepOptions } from './Platform.js';
import { assertMarker, isSameProcess, readStartTime, readStat, scanProcesses } from './procfs.js';
import { findServiceProcesses } from './serviceProcesses.js';

/** First and largest pause between liveness checks while a stop waits (doubles in between). */
export const STOP_POLL_MIN_MS = 5;
export const STOP_POLL_MAX_MS = 50;
/**
 * After SIGKILL, how long stopProcessTree keeps sweeping before giving up. Only a process stuck in
 * uninterruptible sleep (a hung NFS mount) survives SIGKILL; waiting for it forever would wedge the
 * config's queue.
 */
export const KILL_WAIT_MAX_MS = 10_000;

let ownPgid: number | undefined;

function assertTarget(id: number, what: string): void {
  ownPgid ??= readStat(process.pid)?.pgid ?? process.pid;
  // kill(-1) or kill(0) would hit every process or the daemon's own group: never.
  if (!Number.isSafeInteger(id) || id <= 1 || id === process.pid || (what === 'pgid' && id === ownPgid)) {
    throw new PlatformError('INVALID_TARGET', `refusing to signal ${what} ${id}`);
  }
}

/**
 * Sends `signal` to every process in group `pgid` (process.kill(-pgid)). Returns false when the group
 * no longer exists (ESRCH). Refuses (PlatformError INVALID_TARGET) pgid <= 1 and the daemon's own
 * group. Does not check for pid reuse: check isSameProcess on the leader first.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  assertTarget(pgid, 'pgid');
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return false;
    throw err;
  }
}

function signalPid(pid: number, signal: NodeJS.Signals | number): void {
  if (pid <= 1 || pid === process.pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // exited in between
  }
}

/** Group exists in the kernel's view; zombies count, so a true needs a closer look. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

const delay = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/**
 * Stops everything a service started. Sends `signal` to the process group and to every process
 * outside it that is in the service's cgroup or carries `marker` in its environment (escapees that
 * called setsid); waits up to `graceMs` for all of them to be gone, polling (5 ms doubling to 50 ms);
 * then SIGKILLs the group, the cgroup (cgroup.kill) and every marker carrier, sweeping again until
 * none is left. Zombies count as gone: a sandbox init may never reap orphans. The cgroup, if any, is
 * removed at the end. `killed` is true when SIGKILL was needed.
 *
 * Scans of /proc are shared between concurrent stops (scanProcesses). A process that scrubbed its
 * environment and left the process group is only found when cgroups are available. Does not touch
 * pid reuse: the caller checks isSameProcess(pid, startTime) before calling.
 */
export async function stopProcessTree(opts: StopTreeOptions): Promise<{ killed: boolean }> {
  const { pid, pgid, marker, signal, graceMs } = opts;
  let wake: (() => void) | null = null;
  void opts.exited?.then(() => wake?.());
  const pause = (ms: number): Promise<void> =>
    new Promise((res) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        res();
      }
      wake = done;
    });
  if (marker !== undefined) assertMarker(marker);
  assertTarget(pgid, 'pgid');
  const cgPath = marker === undefined ? null : cgroupPathForMarker(marker);
  const cg = cgPath !== null && existsSync(cgPath) ? cgPath : null;
  const deadline = Date.now() + graceMs;
  // Escapees signalled individually, with their start time so a recycled pid is never hit twice.
  const outsiders = new Map<number, string>();

  /** Live processes left. `full` also sweeps /proc for marker carriers; otherwise cheap checks first. */
  const remaining = async (full: boolean): Promise<Set<number>> => {
    const left = new Set<number>();
    for (const [p, start] of outsiders) if (isSameProcess(p, start)) left.add(p);
    if (cg !== null) {
      // The cgroup holds every descendant, whatever its session or environment: no /proc sweep is
      // needed. The leader is checked too: it places itself in the cgroup just before exec.
      for (const p of cgroupPids(cg)) left.add(p);
      const leader = readStat(pid);
      if (leader !== null && leader.state !== 'Z' && leader.pgid === pgid) left.add(pid);
      return left;
    }
    if (left.size > 0 && !full) return left;
    const group = groupExists(pgid);
    if (group && !full && readStartTime(pid) !== null && readStat(pid)?.pgid === pgid) {
      left.add(pid);
      return left;
    }
    if (group || full) {
      const snap = await scanProcesses(full && marker !== undefined ? [marker] : []);
      for (const [p, st] of snap.stats) if (st.pgid === pgid) left.add(p);
      if (marker !== undefined) for (const p of snap.markers.get(marker) ?? []) left.add(p);
    }
    return left;
  };

  /** Signals the processes in `pids` that the group signal did not reach, once each. */
  const signalOutsiders = (pids: Iterable<number>, sig: NodeJS.Signals | number): void => {
    for (const p of pids) {
      if (outsiders.has(p)) continue;
      const st = readStat(p);
      if (st === null || st.state === 'Z' || st.pgid === pgid) continue;
      outsiders.set(p, st.startTime);
      signalPid(p, sig);
    }
  };

  signalGroup(pgid, signal);
  signalOutsiders(await remaining(true), signal);

  let pollMs = STOP_POLL_MIN_MS;
  for (;;) {
    let left = await remaining(false);
    if (left.size === 0) {
      // Everything known is gone: one full sweep catches escapees forked since the first.
      left = await remaining(true);
      if (left.size === 0) {
        if (cg !== null) removeCgroup(cg);
        return { killed: false };
      }
      signalOutsiders(left, signal);
    }
    const now = Date.now();
    if (now >= deadline) break;
    await pause(Math.min(pollMs, deadline - now));
    pollMs = Math.min(pollMs * 2, STOP_POLL_MAX_MS);
  }

  const giveUpAt = Date.now() + KILL_WAIT_MAX_MS;
  pollMs = STOP_POLL_MIN_MS;
  for (;;) {
    signalGroup(pgid, 'SIGKILL');
    if (cg !== null) killCgroup(cg);
    const left = await remaining(true);
    if (left.size === 0 || Date.now() >= giveUpAt) break;
    for (const p of left) signalPid(p, 'SIGKILL');
    await delay(pollMs);
    pollMs = Math.min(pollMs * 2, STOP_POLL_MAX_MS);
  }
  if (cg !== null) removeCgroup(cg);
  return { killed: true };
}

/**
 * Ends every live process carrying `marker` when no main process is known (see Platform.sweepMarker):
 * stopProcessTree from one of them, which signals its group and then every other member of the
 * cgroup or carrier of the marker, waits the grace, SIGKILLs and sweeps until none is left.
 */
export async function sweepMarker(opts: SweepOptions): Promise<number> {
  assertMarker(opts.marker);
  const found = findServiceProcesses([opts.marker]).get(opts.marker) ?? [];
  ownPgid ??= readStat(process.pid)?.pgid ?? process.pid;
  const lead = found.find((p) => p.pgid > 1 && p.pgid !== ownPgid && p.pid !== process.pid);
  if (lead === undefined) {
    removeCgroupOfMarker(opts.marker); // only if empty
    return found.length;
  }
  await stopProcessTree({ pid: lead.pid, pgid: lead.pgid, ...opts });
  return found.length;
}
