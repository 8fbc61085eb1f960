import { readFileSync } from 'node:fs';
import { cgroupPathForMarker, cgroupPids } from './cgroups.js';
import { findProcessesByMarkers, isLive, readStat } from './procfs.js';

/** A live process found to belong to a service (see findServiceProcesses). */
export interface ServiceProcess {
  readonly pid: number;
  /** /proc start time: pairs with pid, so a recycled pid is never mistaken for it later. */
  readonly startTime: string;
  readonly pgid: number;
  /** The process name (/proc/<pid>/comm), for messages. */
  readonly name: string;
}

/**
 * The live processes of each marker's service, whatever started them: with cgroups, the members of
 * the marker's cgroup (one small read per service; it holds every descendant, whatever its session
 * or environment); without, the processes whose environment carries the marker, found in ONE /proc
 * pass for all the markers (a few ms on a busy host: call it once per config load, not per spawn).
 * Zombies and the daemon itself are left out.
 */
export function findServiceProcesses(markers: readonly string[]): Map<string, ServiceProcess[]> {
  const found = new Map<string, ServiceProcess[]>();
  const viaCgroup = new Map<string, number[]>();
  const unscoped: string[] = [];
  for (const marker of markers) {
    const dir = cgroupPathForMarker(marker);
    if (dir === null) unscoped.push(marker);
    else viaCgroup.set(marker, cgroupPids(dir));
  }
  const swept = unscoped.length > 0 ? findProcessesByMarkers(unscoped) : new Map<string, number[]>();
  for (const marker of markers) {
    const pids = viaCgroup.get(marker) ?? swept.get(marker) ?? [];
    const procs: ServiceProcess[] = [];
    for (const pid of pids) {
      const stat = readStat(pid);
      if (!isLive(stat) || pid === process.pid) continue;
      procs.push({ pid, startTime: stat.startTime, pgid: stat.pgid, name: commOf(pid) });
    }
    found.set(marker, procs);
  }
  return found;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
