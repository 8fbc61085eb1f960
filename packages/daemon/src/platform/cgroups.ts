/**
 * Optional cgroup v2 containment. When a writable cgroup2 hierarchy exists (checked once, for real:
 * a probe process is moved into a probe cgroup), each service started with a marker runs in
 * `<cgroup2 mount>/kepler/<name derived from the marker>`; stopping it then finds every descendant,
 * including ones that called setsid and double-forked or scrubbed their environment, and
 * `cgroup.kill` ends them atomically. Only the mount's root is tried: services live outside the
 * daemon's own cgroup, so a service manager that kills the daemon's cgroup on a crash does not take
 * the services with it. No controllers are enabled (limits are rlimits, not cgroup limits).
 *
 * When no hierarchy is usable (read-only, cgroup v1 only, not root) or KEPLER_CGROUPS=off, everything
 * falls back silently to process groups plus a /proc environment-marker sweep.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errors.js';

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

function detect(): CgroupSetup | null {
  if (detected !== undefined) return detected;
  detected = null;
  if ((process.getuid?.() ?? 0) !== 0) return detected;
  for (const mount of cgroup2Mounts()) {
    const root = join(mount, 'kepler');
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

/** The cgroup directory for a marker, whether or not it exists; null when cgroups are not in use. */
export function cgroupPathForMarker(marker: string): string | null {
  const setup = enabled ? detect() : null;
  if (setup === null) return null;
  const readable = marker.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  const hash = createHash('sha256').update(marker).digest('hex').slice(0, 10);
  return join(setup.root, `${readable}-${hash}`);
}

/** Creates the marker's cgroup if needed; returns its directory, or null (no cgroups, or mkdir failed). */
export async function ensureCgroup(marker: string): Promise<string | null> {
  const dir = cgroupPathForMarker(marker);
  if (dir === null) return null;
  try {
    await mkdir(dir, { recursive: true });
    accessSync(join(dir, 'cgroup.procs'));
    return dir;
  } catch {
    return null;
  }
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

/** Removes an empty cgroup; a busy or missing one is left alone. */
export function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // EBUSY (still populated) or ENOENT: nothing to do
  }
}
