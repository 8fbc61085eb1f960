import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLease } from '../cgroups.js';
import { errnoCode, PlatformError } from '../errors.js';
import type { ForeignWatch } from '../Platform.js';
import { watchForeignExit } from '../procfs.js';
import { notEnterable, type SpawnedProcess, type SpawnSpec, spawnFailed } from '../spawn.js';
import type { ResolvedUser } from '../users.js';
import { Spawner, type SpawnerStdio, SpawnerStepError, stdioOfFd } from './Spawner.js';

const spawner = new Spawner();
let spawnerOff = ['0', 'off', 'false', 'no'].includes((process.env.KEPLER_SPAWNER ?? '').toLowerCase());
let fallbackLogged = false;

/** Turns the fork server on or off for later spawns (tests; KEPLER_SPAWNER=off at start-up). */
export function setSpawnerEnabled(on: boolean): void {
  spawnerOff = !on;
}

/** True when spawns may go through the fork server; logs the fallback to the exec chain once. */
export function spawnerAvailable(): boolean {
  if (spawnerOff) return false;
  if (spawner.available) return true;
  if (!fallbackLogged) {
    fallbackLogged = true;
    process.stderr.write(
      'kepler daemon: kepler-spawner unavailable, starting services through sh/prlimit/setpriv\n',
    );
  }
  return false;
}

/** The shared fork server when it may be used (see spawnerAvailable), else null. */
export function forkServer(): Spawner | null {
  return spawnerAvailable() ? spawner : null;
}

/**
 * Watches a process a service forked (not our child): through the fork server when it will reap it
 * (re-parented to it, its subreaper: exit status known, no polling), else by polling /proc as for
 * an adopted process.
 */
export function watchDescendantExit(pid: number, startTime: string): ForeignWatch {
  return forkServer()?.watchDescendant(pid, startTime) ?? watchForeignExit(pid, startTime);
}

function spawnerStdio(target: number | 'ignore'): SpawnerStdio {
  if (target === 'ignore') return { path: '/dev/null', flags: 1 };
  try {
    return stdioOfFd(target);
  } catch (err) {
    throw spawnFailed(`cannot start: bad descriptor ${target} (${errnoCode(err) ?? String(err)})`, err);
  }
}

/** The step a child failed at, in the user's words. */
const STEP_NAMES: Record<string, string> = {
  'setrlimit(AS)': 'limits.memory',
  'setrlimit(CPU)': 'limits.cpu_time',
  'setrlimit(NOFILE)': 'limits.max_fds',
  chdir: 'working_dir',
};

/** One request to the fork server: the child joins the cgroup, sets limits and credentials, then execs. */
export async function startViaSpawner(
  spec: SpawnSpec,
  exe: string,
  env: Record<string, string>,
  credentials: ResolvedUser | null,
  lease: CgroupLease | null,
): Promise<SpawnedProcess> {
  const stdout = spawnerStdio(spec.stdout as number | 'ignore');
  const stderr = spawnerStdio(spec.stderr as number | 'ignore');
  if (spec.proceed !== undefined && !spec.proceed()) {
    throw new PlatformError('SPAWN_CANCELLED', `start of ${spec.command[0]} cancelled`);
  }
  let proc: Awaited<ReturnType<Spawner['spawn']>>;
  try {
    proc = await spawner.spawn({
      exe,
      argv: [exe, ...spec.command.slice(1)],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: spec.cwd,
      cgroupProcs: lease === null ? null : join(lease.dir, 'cgroup.procs'),
      stdout,
      stderr,
      limits: spec.limits,
      credentials,
    });
  } catch (err) {
    if (!(err instanceof SpawnerStepError)) {
      throw spawnFailed(`cannot start ${spec.command[0]}: ${(err as Error).message}`, err);
    }
    if (err.step === 'chdir' && err.errno === 'EACCES' && credentials !== null) {
      throw spawnFailed(notEnterable(credentials, spec.cwd), err);
    }
    if (err.step !== 'exec') {
      throw spawnFailed(`cannot start ${exe}: ${STEP_NAMES[err.step] ?? err.step}: ${err.errno}`, err);
    }
    throw spawnFailed(
      err.errno !== 'ENOENT'
        ? `cannot start ${exe}: ${err.errno}`
        : existsSync(exe)
          ? `cannot start ${exe}: its interpreter (#!) or loader was not found`
          : `command not found: ${spec.command[0]}`,
      err,
    );
  }
  lease?.forked(proc.pid);
  const exited = proc.exited.then((exit) => {
    lease?.release();
    return exit;
  });
  return {
    pid: proc.pid,
    startTime: proc.startTime,
    exited,
    cgroup: lease?.dir ?? null,
    stdout: null,
    stderr: null,
  };
}
