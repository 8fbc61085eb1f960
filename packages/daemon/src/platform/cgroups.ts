/**
 * Optional cgroup v2 containment. When a writable cgroup2 hierarchy exists (checked once, for real:
 * a probe process is moved into a probe cgroup), each service started with a marker runs in
 * `<cgroup2 mount>/kepler/<name derived from the marker>`; stopping it then finds every descendant,
 * including ones that called setsid and double-forked or scrubbed their environment, and
 * `cgroup.kill` ends them atomically. Only the mount's root is tried: services live outside the
 * daemon's own cgroup, so a service manager that kills the daemon's cgroup on a crash does not take
 * the services with it. No controllers are enabled (limits are rlimits, not cgroup limits).
 *
 * A daemon that is not root (a per-user daemon) uses a subtree delegated to its user instead, when its
 * own cgroup lies in one (see delegatedRoots).
 *
 * When no hierarchy is usable (read-only, cgroup v1 only, not root without a delegation) or
 * KEPLER_CGROUPS=off, everything falls back silently to process groups plus a /proc marker sweep.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  existsSync,
  constants as fsConstants,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoCode } from './errors.js';
import { readStat } from './procfs.js';

interface CgroupSetup {
  /** `<mount>/kepler` */
  root: string;
  /** cgroup.kill exists (Linux 5.14+). */
  hasKill: boolean;
}

let enabled = !['0', 'off', 'false', 'no'].includes((process.env.KEPLER_CGROUPS ?? '').toLowerCase());
let detected: CgroupSetup | null | undefined;

function cgroup2Mounts(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const mounts: string[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    const mountPoint = line.slice(0, sep).split(' ')[4];
    if (fstype === 'cgroup2' && mountPoint !== undefined) {
      mounts.push(
        mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
      );
    }
  }
  return mounts;
}

function probe(root: string): boolean {
  const probeDir = join(root, `probe-${process.pid}`);
  try {
    mkdirSync(root, { recursive: true });
    mkdirSync(probeDir, { recursive: true });
    // The real test: can a process be moved in? (mkdir alone succeeds on some read-only delegations.)
    execFileSync(
      '/bin/sh',
      ['-c', 'echo "$$" > "$1"', 'kepler-cgroup-probe', join(probeDir, 'cgroup.procs')],
      {
        stdio: 'ignore',
        timeout: 5000,
      },
    );
    return true;
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(probeDir);
    } catch {
      // already gone or never made
    }
  }
}

/**
 * Where a non-root daemon may put its services' cgroups: `<D>/kepler`, D being the highest ancestor of
 * the daemon's own cgroup whose directory and cgroup.procs this user may write (a subtree delegated to
 * the user, as systemd's `user@<uid>.service`). Moving a process needs write access to the common
 * ancestor's cgroup.procs, so the top of the delegation is the one that works. Empty when none is.
 */
function delegatedRoots(mount: string): string[] {
  let rel: string | undefined;
  try {
    rel = readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(\/.*)$/m)?.[1];
  } catch {
    return [];
  }
  if (rel === undefined) return [];
  let top: string | null = null;
  for (let dir = join(mount, rel); dir.length > mount.length; dir = dirname(dir)) {
    try {
      accessSync(dir, fsConstants.W_OK);
      accessSync(join(dir, 'cgroup.procs'), fsConstants.W_OK);
    } catch {
      break;
    }
    top = dir;
  }
  return top === null ? [] : [join(top, 'kepler')];
}

function detect(): CgroupSetup | null {
  if (detected !== undefined) return detected;
  detected = null;
  const isRoot = (process.getuid?.() ?? 0) === 0;
  const roots = cgroup2Mounts().flatMap((mount) =>
    isRoot ? [join(mount, 'kepler')] : delegatedRoots(mount),
  );
  for (const root of roots) {
    if (probe(root)) {
      detected = { root, hasKill: existsSync(join(root, 'cgroup.kill')) };
      break;
    }
  }
  return detected;
}

/**
 * True when services are placed in cgroups (see the module comment). The first call probes the
 * hierarchy synchronously (one short-lived `sh`); later calls are free.
 */
export function cgroupsAvailable(): boolean {
  return enabled && detect() !== null;
}

/** Turns cgroup use on or off for later spawns and stops (tests, or a daemon option). */
export function setCgroupsEnabled(on: boolean): void {
  enabled = on;
}

/** The marker as a directory name: what a cgroup's name starts with (cut at 64 characters). */
function readableName(marker: string): string {
  return marker.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The cgroup directory for a marker, whether or not it exists; null when cgroups are not in use. */
export function cgroupPathForMarker(marker: string): string | null {
  const setup = enabled ? detect() : null;
  if (setup === null) return null;
  const readable = readableName(marker).slice(0, 64);
  const hash = createHash('sha256').update(marker).digest('hex').slice(0, 10);
  return join(setup.root, `${readable}-${hash}`);
}

/**
 * Processes started into a cgroup, by directory: null until forked, then the pid until it exits. A
 * child joins its cgroup itself, a moment after the fork (see spawn.ts), so a cgroup that is empty
 * may still be about to receive a process: removeCgroup leaves it alone while one of these has
 * neither joined nor ended.
 */
const starting = new Map<string, Map<symbol, number | null>>();

/** A cgroup held for one process being started in it (see acquireCgroup). */
export interface CgroupLease {
  readonly dir: string;
  /** The process was forked: from now on its own membership (or its end) says whether it joined. */
  forked(pid: number): void;
  /** The process exited (or was never forked): the cgroup is removed if nothing else is in it. */
  release(): void;
}

/**
 * Creates the marker's cgroup if needed and holds it for one process until `release()`; null when
 * cgroups are not in use or mkdir failed. The last release of an empty cgroup removes it: a service
 * whose process ends, a hook, a probe leave nothing behind.
 */
export async function acquireCgroup(marker: string): Promise<CgroupLease | null> {
  const dir = cgroupPathForMarker(marker);
  if (dir === null) return null;
  const token = Symbol(marker);
  const held = starting.get(dir) ?? new Map<symbol, number | null>();
  starting.set(dir, held);
  held.set(token, null);
  let released = false;
  const lease: CgroupLease = {
    dir,
    forked: (pid) => {
      if (!released) held.set(token, pid);
    },
    release: () => {
      if (released) return;
      released = true;
      held.delete(token);
      if (held.size === 0 && starting.get(dir) === held) starting.delete(dir);
      removeCgroup(dir);
    },
  };
  try {
    await mkdir(dir, { recursive: true });
    accessSync(join(dir, 'cgroup.procs'));
    return lease;
  } catch {
    lease.release();
    return null;
  }
}

/** True while a process started into `dir` has been (or is about to be) forked but has not joined it yet. */
function joinPending(dir: string): boolean {
  for (const pid of starting.get(dir)?.values() ?? []) {
    if (pid === null) return true;
    let membership: string;
    try {
      membership = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      continue; // ended
    }
    const rel = membership.match(/^0::(.*)$/m)?.[1];
    // Joined, or ended before it could (a zombie's file is empty or stale): either way nothing is coming.
    if (rel === undefined || dir.endsWith(rel)) continue;
    const state = readStat(pid)?.state;
    if (state === undefined || state === 'Z') continue;
    return true;
  }
  return false;
}

/** Pids in the cgroup (live processes only: the kernel drops a process at exit, before it is reaped). */
export function cgroupPids(dir: string): number[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const line of text.split('\n')) if (line !== '') pids.push(Number(line));
  return pids;
}

/** SIGKILLs everything in the cgroup, atomically through cgroup.kill when the kernel has it. */
export function killCgroup(dir: string): void {
  if (detected?.hasKill) {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
      return;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
    }
  }
  for (const pid of cgroupPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // raced with its exit
    }
  }
}

/**
 * Removes an empty cgroup; a busy or missing one is left alone, and so is one a process we just
 * started has yet to join (it would run outside any cgroup).
 */
export function removeCgroup(dir: string): void {
  try {
    if (!joinPending(dir)) rmdirSync(dir);
  } catch {
    // EBUSY (still populated), ENOENT, or the process ended while we looked: nothing to do
  }
}

/** Removes the marker's cgroup if it is empty (an adopted process ended: no lease was held for it). */
export function removeCgroupOfMarker(marker: string): void {
  const dir = cgroupPathForMarker(marker);
  if (dir !== null) removeCgroup(dir);
}

/**
 * Removes every empty cgroup whose marker starts with one of `markerPrefixes` (e.g. `KEY=<config
 * id>.`), left behind by processes that ended while no daemon watched them. The kepler cgroup root
 * is shared by every daemon on the machine: only names derived from these prefixes are touched,
 * populated ones stay, and a cgroup removed or filled meanwhile by someone else is skipped. Returns
 * how many were removed. Prefixes must be shorter than 64 characters (see cgroupPathForMarker).
 */
export function sweepEmptyCgroups(markerPrefixes: readonly string[]): number {
  const setup = enabled ? detect() : null;
  if (setup === null || markerPrefixes.length === 0) return 0;
  const prefixes = markerPrefixes.map(readableName);
  let names: string[];
  try {
    names = readdirSync(setup.root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const dir = join(setup.root, name);
    if (joinPending(dir)) continue;
    try {
      rmdirSync(dir);
      removed++;
    } catch {
      // EBUSY (populated), ENOENT (gone), ENOTDIR (a file): not ours to clear
    }
  }
  return removed;
}
