/**
 * CPU and memory of services, read from the OS when someone asks (metrics/MetricsSampler.ts decides
 * when: never while nobody watches). A service with a cgroup (cgroups.ts) is read from it: every
 * process it ever ran there counts, hooks and health checks included. Without one, its process tree
 * is read from /proc: the main process, its descendants and the members of its process group.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupPathForMarker } from './cgroups.js';
import { listPids, readSmall, statFields } from './procfs.js';

/** One service's use of the machine at one moment. */
export interface ResourceUsage {
  /**
   * CPU time used, seconds. cgroup: by everything the cgroup ran since it was made (its first
   * process). /proc: by the live processes of the tree and the children they reaped.
   */
  readonly cpuSeconds: number;
  /** cgroup: `memory.current` when the memory controller is on, else the members' RSS; /proc: their RSS. */
  readonly memoryBytes: number;
  readonly source: 'cgroup' | 'proc';
  /** Processes counted (live ones). */
  readonly processes: number;
}

/** What identifies a service's processes: its marker (and so its cgroup) and its main process. */
export interface UsageTarget {
  readonly marker: string;
  /** The main process, or null when none runs. */
  readonly pid: number | null;
}

/** Where the readers look: the real system, or fixture directories in tests. */
export interface UsageRoots {
  /** `/proc` */
  readonly proc: string;
  /** The cgroup directory of a marker, or null when services get no cgroup. */
  cgroupOf(marker: string): string | null;
}

const SYSTEM_ROOTS: UsageRoots = { proc: '/proc', cgroupOf: cgroupPathForMarker };

/**
 * /proc's clock ticks per second (USER_HZ). The kernel reports times in USER_HZ, which is 100 on
 * every architecture Linux runs Node on, whatever CONFIG_HZ is.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat the tree reader uses. */
export interface StatUsage {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly state: string;
  /** utime + stime + cutime + cstime, in clock ticks. */
  readonly ticks: number;
}

/** Parses /proc/<pid>/stat (fields as procfs.ts's `statFields`); null when it is not one. */
export function parseStatUsage(pid: number, text: string): StatUsage | null {
  const f = statFields(text);
  if (f === null) return null;
  // f[N - 3] is field N: ppid 4, pgid 5, utime 14 .. cstime 17.
  const nums = [f[1], f[2], f[11], f[12], f[13], f[14]].map(Number);
  if (f[0] === undefined || nums.some((n) => !Number.isFinite(n))) return null;
  const [ppid, pgid, utime, stime, cutime, cstime] = nums as [number, number, number, number, number, number];
  return { pid, ppid, pgid, state: f[0], ticks: utime + stime + cutime + cstime };
}

/** `usage_usec` of a cgroup's cpu.stat, in seconds; null when absent. */
export function parseCpuStat(text: string): number | null {
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) / 1e6 : null;
}

/** `VmRSS:` of /proc/<pid>/status, in bytes; 0 when absent (a zombie, a kernel thread). */
export function parseVmRss(text: string): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

function rssOf(proc: string, pid: number): number {
  const text = readText(join(proc, String(pid), 'status'));
  return text === null ? 0 : parseVmRss(text);
}

/** A cgroup's usage; null when the cgroup does not exist (never made, or removed once empty). */
export function readCgroupUsage(dir: string, proc: string): ResourceUsage | null {
  const cpuStat = readText(join(dir, 'cpu.stat'));
  const cpuSeconds = cpuStat === null ? null : parseCpuStat(cpuStat);
  if (cpuSeconds === null) return null;
  const pids = (readText(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
  const current = readText(join(dir, 'memory.current'));
  // memory.current exists only where the memory controller is enabled for the kepler root.
  const memoryBytes =
    current !== null && /^\d+\s*$/.test(current)
      ? Number(current)
      : pids.reduce((sum, pid) => sum + rssOf(proc, pid), 0);
  return { cpuSeconds, memoryBytes, source: 'cgroup', processes: pids.length };
}

/** Every process's stat, read once per sample for all the services that need the tree. */
export function readProcTable(proc: string): Map<number, StatUsage> {
  const table = new Map<number, StatUsage>();
  let pids: number[];
  try {
    pids = listPids(proc);
  } catch {
    return table;
  }
  for (const pid of pids) {
    let text: string;
    try {
      text = readSmall(join(proc, String(pid), 'stat'));
    } catch {
      continue; // it ended since the listing
    }
    const stat = parseStatUsage(pid, text);
    if (stat !== null) table.set(pid, stat);
  }
  return table;
}

/**
 * The tree of `root`: itself, its descendants, and the members of its process group (a service runs
 * in its own session and group). Null when `root` is not in the table (it ended).
 */
export function treeUsage(
  root: number,
  table: ReadonlyMap<number, StatUsage>,
  proc: string,
): ResourceUsage | null {
  if (!table.has(root)) return null;
  const children = new Map<number, number[]>();
  for (const s of table.values()) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const members = new Set<number>([root]);
  for (const s of table.values()) if (s.pgid === root) members.add(s.pid);
  const queue = [...members];
  for (let i = 0; i < queue.length; i++) {
    for (const child of children.get(queue[i]!) ?? []) {
      if (members.has(child)) continue;
      members.add(child);
      queue.push(child);
    }
  }
  let ticks = 0;
  let memoryBytes = 0;
  let processes = 0;
  for (const pid of members) {
    const s = table.get(pid)!;
    ticks += s.ticks;
    if (s.state === 'Z' || s.state === 'X') continue;
    processes++;
    memoryBytes += rssOf(proc, pid);
  }
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, memoryBytes, source: 'proc', processes };
}

/**
 * The usage of each target, by marker: from its cgroup when it has one, else from its process tree
 * (one pass over /proc shared by every such target); null when neither is there (nothing runs).
 */
export function readUsage(
  targets: readonly UsageTarget[],
  roots: UsageRoots = SYSTEM_ROOTS,
): Map<string, ResourceUsage | null> {
  const found = new Map<string, ResourceUsage | null>();
  let table: Map<number, StatUsage> | null = null;
  for (const t of targets) {
    const dir = roots.cgroupOf(t.marker);
    const fromCgroup = dir === null ? null : readCgroupUsage(dir, roots.proc);
    if (fromCgroup !== null || t.pid === null) {
      found.set(t.marker, fromCgroup);
      continue;
    }
    table ??= readProcTable(roots.proc);
    found.set(t.marker, treeUsage(t.pid, table, roots.proc));
  }
  return found;
}
