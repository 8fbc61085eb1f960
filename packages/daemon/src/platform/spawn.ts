import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { acquireCgroup, type CgroupLease } from './cgroups.js';
import { errnoCode, PlatformError } from './errors.js';
import { assertMarker, readStat } from './procfs.js';
import { spawnerAvailable, startViaSpawner } from './spawner/startViaSpawner.js';
import { forkTurn } from './spawnPacing.js';
import { type ResolvedUser, resolveUser } from './users.js';

/**
 * The PATH a process gets when its environment sets none (systemd's default for services): under
 * `sys_env: clear` nothing else would give `#!/usr/bin/env node` scripts and /usr/local/bin tools one.
 * Also where argv[0] is looked up. An environment that sets PATH (even empty) keeps its own.
 */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Everything needed to start one service (or hook, or health check) process. */
export interface SpawnSpec {
  /** argv, exec'd without a shell. argv[0] is looked up in env.PATH (else DEFAULT_PATH) unless it has a `/`. */
  command: readonly string[];
  /** Absolute working directory; must exist. */
  cwd: string;
  /** The complete environment (nothing is inherited from the daemon). HOME, USER, LOGNAME and SHELL
   * are filled from the target user when absent, PATH with DEFAULT_PATH. */
  env: Record<string, string>;
  /** See resolveUser. null = the daemon's user. */
  user: string | null;
  group: string | null;
  /** null = inherit the daemon's limit. Soft and hard limits are both set to the value. */
  limits: { memoryBytes: number | null; cpuTimeSec: number | null; maxFds: number | null };
  /**
   * An fd the child gets as stdout (e.g. from openOutputForChild; the caller keeps and closes its copy),
   * `'ignore'` for /dev/null, or `'pipe'` for a pipe readable as SpawnedProcess.stdout (hooks, probes).
   */
  stdout: number | 'ignore' | 'pipe';
  stderr: number | 'ignore' | 'pipe';
  /**
   * The `KEY=VALUE` entry identifying this service's processes (added to env if missing). When given
   * and cgroups are available, the process starts inside the marker's cgroup (see cgroups.ts), which
   * stopProcessTree with the same marker then empties.
   */
  marker?: string;
  /**
   * Asked right before the fork (which may wait its turn, see spawnPacing.ts): false cancels the start
   * with PlatformError SPAWN_CANCELLED, e.g. a service stopped while its start was queued.
   */
  proceed?: () => boolean;
}

/** How a process ended: exactly one of code and signal is set for our own children; both null when unknowable. */
export interface ProcessExit {
  code: number | null;
  /** Signal name, e.g. `SIGKILL`. */
  signal: string | null;
}

/** A started process. It leads its own session and process group: pgid == pid. */
export interface SpawnedProcess {
  pid: number;
  /** /proc/<pid>/stat start time, opaque; persist it with the pid (see isSameProcess). */
  startTime: string;
  /** Resolves when the process has exited and been reaped (never rejects). */
  exited: Promise<ProcessExit>;
  /** The cgroup directory it was started in, or null (fallback: process group + marker). */
  cgroup: string | null;
  /** The read end of the child's stdout when SpawnSpec.stdout was `'pipe'`, else null. */
  stdout: Readable | null;
  /** The read end of the child's stderr when SpawnSpec.stderr was `'pipe'`, else null. */
  stderr: Readable | null;
}

const HELPER_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
const helperCache = new Map<string, string | null>();

function helper(name: string): string {
  let found = helperCache.get(name);
  if (found === undefined) {
    found = HELPER_DIRS.map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
    helperCache.set(name, found);
  }
  if (found === null) {
    throw new PlatformError(
      'SPAWN_FAILED',
      `${name} not found (install util-linux): needed for user and limits`,
    );
  }
  return found;
}

export function spawnFailed(message: string, cause?: unknown): PlatformError {
  return new PlatformError('SPAWN_FAILED', message, cause === undefined ? undefined : { cause });
}

async function validateCwd(cwd: string): Promise<void> {
  if (!isAbsolute(cwd)) throw spawnFailed(`working_dir must be an absolute path: ${cwd}`);
  let st: Stats;
  try {
    st = await stat(cwd);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
      throw spawnFailed(`working_dir does not exist: ${cwd}`, err);
    }
    throw spawnFailed(`working_dir is not accessible: ${cwd} (${errnoCode(err) ?? String(err)})`, err);
  }
  if (!st.isDirectory()) throw spawnFailed(`working_dir is not a directory: ${cwd}`);
}

/** Unix permission check for the target user (the daemon is root, so access(2) would say yes). */
function executableBy(st: Stats, user: ResolvedUser): boolean {
  if (user.uid === 0) return (st.mode & 0o111) !== 0;
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid || user.groups.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** The refusal of a working_dir the service's user cannot enter. */
export function notEnterable(user: { readonly name: string }, cwd: string): string {
  return `working_dir is not accessible to ${user.name}: ${cwd} (permission denied)`;
}

/**
 * Whether `user` may enter `cwd`: search permission on it and each directory above it. Only for the
 * fallback without the fork server, where node changes into it as root before privileges are dropped
 * (the fork server changes directory after setuid, so the kernel checks it there).
 */
async function enterableBy(cwd: string, user: ResolvedUser): Promise<boolean> {
  let dir = await realpath(cwd).catch(() => null);
  if (dir === null) return true; // gone since validateCwd: the spawn itself reports it
  for (;;) {
    const st = await statOrNull(dir);
    if (st !== null && !executableBy(st, user)) return false;
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

/** argv[0] -> absolute path of the file to exec, checked the way execvp would, for the target user. */
async function resolveCommand(
  argv0: string,
  cwd: string,
  pathVar: string,
  user: ResolvedUser,
): Promise<string> {
  if (argv0 === '') throw spawnFailed('empty command');
  if (argv0.includes('/')) {
    const candidate = resolve(cwd, argv0);
    const st = await statOrNull(candidate);
    if (st === null) throw spawnFailed(`command not found: ${argv0}`);
    if (!st.isFile()) throw spawnFailed(`not an executable file: ${candidate}`);
    if (!executableBy(st, user))
      throw spawnFailed(`permission denied: ${candidate} is not executable by ${user.name}`);
    return candidate;
  }
  let denied: string | null = null;
  for (const dir of pathVar.split(':')) {
    if (dir === '') continue; // an empty entry would mean the cwd: not searched, on purpose
    const candidate = resolve(cwd, dir, argv0);
    const st = await statOrNull(candidate);
    if (st === null || !st.isFile()) continue;
    if (executableBy(st, user)) return candidate;
    denied ??= candidate;
  }
  if (denied !== null) throw spawnFailed(`permission denied: ${denied} is not executable by ${user.name}`);
  throw spawnFailed(`command not found: ${argv0}`);
}

function sameGroupSet(a: readonly number[], b: readonly number[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((g) => sb.has(g));
}

/** Joins the cgroup, then execs the rest of argv in place (pid unchanged). A failed join is ignored. */
const CGROUP_JOIN_SCRIPT = '{ echo "$$" > "$1"; } 2>/dev/null; shift; exec "$@"';

/**
 * The exec chain, outermost first: [sh join cgroup] -> [prlimit limits] -> [setpriv groups, gid, uid]
 * -> the command. Each step execs in place, so no helper outlives the start and the pid is the service's.
 */
function buildChain(
  spec: SpawnSpec,
  exe: string,
  user: ResolvedUser,
  needPrivileges: boolean,
  cgroupDir: string | null,
): string[] {
  let chain = [exe, ...spec.command.slice(1)];
  if (needPrivileges) {
    const groups = user.groups.length > 0 ? ['--groups', user.groups.join(',')] : ['--clear-groups'];
    chain = [
      helper('setpriv'),
      '--reuid',
      String(user.uid),
      '--regid',
      String(user.gid),
      ...groups,
      '--',
      ...chain,
    ];
  }
  const { memoryBytes, cpuTimeSec, maxFds } = spec.limits;
  const limitArgs: string[] = [];
  if (memoryBytes !== null) limitArgs.push(`--as=${memoryBytes}`);
  if (cpuTimeSec !== null) limitArgs.push(`--cpu=${cpuTimeSec}`);
  if (maxFds !== null) limitArgs.push(`--nofile=${maxFds}`);
  if (limitArgs.length > 0) chain = [helper('prlimit'), ...limitArgs, '--', ...chain];
  if (cgroupDir !== null) {
    chain = [
      '/bin/sh',
      '-c',
      CGROUP_JOIN_SCRIPT,
      'kepler-cgroup-join',
      join(cgroupDir, 'cgroup.procs'),
      ...chain,
    ];
  }
  return chain;
}

/** The config keys of SpawnSpec's limits, for messages. */
const LIMIT_KEYS: Record<keyof SpawnSpec['limits'], string> = {
  memoryBytes: 'limits.memory',
  cpuTimeSec: 'limits.cpu_time',
  maxFds: 'limits.max_fds',
};

function checkLimits(limits: SpawnSpec['limits']): void {
  for (const [key, value] of Object.entries(limits) as [keyof SpawnSpec['limits'], number | null][]) {
    if (value !== null && (!Number.isSafeInteger(value) || value < 0)) {
      throw spawnFailed(`invalid ${LIMIT_KEYS[key]}: ${value}`);
    }
  }
}

/**
 * Validates, then starts a process. Validation happens before anything runs and fails with
 * PlatformError SPAWN_FAILED and a one-line reason: working_dir missing or not a directory, command
 * not found in PATH or not executable by the target user, unknown user or group, a user switch while
 * the daemon is not root. Then spawns detached (own session and process group, pgid == pid) with
 * stdin from /dev/null and exactly `spec.env`.
 *
 * Services (stdout and stderr fds or `'ignore'`) start through the fork server (spawner/): its
 * child joins the cgroup, sets the limits, then the supplementary groups, gid and uid, and execs the
 * command, one exec in all; a step that fails there rejects with SPAWN_FAILED naming it (`cannot
 * start /bin/x: limits.max_fds: EPERM`). As root the credentials are always set, so the daemon's own
 * supplementary groups (e.g. `kepler`) never reach the service. Hooks and probes (`'pipe'`), and
 * everything when the fork server is not built, go through the exec chain instead: exec-in-place
 * helpers in the same order, `sh` (cgroup) -> `prlimit --as --cpu --nofile` -> `setpriv --reuid
 * --regid --groups` -> argv, where setpriv is used whenever the uid, gid or group list differ from
 * the daemon's, and a failure inside the chain after validation shows as exit 126/127 with a message
 * on the process's stderr. Either way argv[0] is replaced by its resolved absolute path.
 *
 * Does not wait for the process to be "ready"; never blocks the event loop beyond the fork itself.
 */
export async function spawnService(spec: SpawnSpec): Promise<SpawnedProcess> {
  if (spec.command.length === 0) throw spawnFailed('empty command');
  checkLimits(spec.limits);
  await validateCwd(spec.cwd);

  let user: ResolvedUser;
  try {
    user = resolveUser(spec.user, spec.group);
  } catch (err) {
    if (err instanceof PlatformError) throw spawnFailed(err.message, err);
    throw err;
  }
  const myUid = process.getuid?.() ?? 0;
  const myGid = process.getgid?.() ?? 0;
  const isRoot = myUid === 0;
  const switching = user.uid !== myUid || user.gid !== myGid;
  if (switching && !isRoot) {
    throw spawnFailed(`cannot run as ${spec.user ?? user.name}: the daemon is not running as root`);
  }
  const needPrivileges = isRoot && (switching || !sameGroupSet(user.groups, process.getgroups?.() ?? []));

  const env: Record<string, string> = { ...spec.env };
  if (spec.marker !== undefined) {
    assertMarker(spec.marker);
    const eq = spec.marker.indexOf('=');
    env[spec.marker.slice(0, eq)] = spec.marker.slice(eq + 1);
  }
  env.HOME ??= user.home;
  env.USER ??= user.name;
  env.LOGNAME ??= user.name;
  env.SHELL ??= user.shell;
  env.PATH ??= DEFAULT_PATH;

  const exe = await resolveCommand(spec.command[0] ?? '', spec.cwd, env.PATH, user);
  const lease = spec.marker !== undefined ? await acquireCgroup(spec.marker) : null;
  try {
    if (spec.stdout !== 'pipe' && spec.stderr !== 'pipe' && spawnerAvailable()) {
      return await startViaSpawner(spec, exe, env, isRoot ? user : null, lease);
    }
    // Without the fork server node changes into working_dir as root, before setpriv drops privileges.
    if (isRoot && user.uid !== 0 && !(await enterableBy(spec.cwd, user)))
      throw spawnFailed(notEnterable(user, spec.cwd));
    return await forkAndExec(
      spec,
      exe,
      env,
      buildChain(spec, exe, user, needPrivileges, lease?.dir ?? null),
      lease,
    );
  } catch (err) {
    lease?.release();
    throw err;
  }
}

async function forkAndExec(
  spec: SpawnSpec,
  exe: string,
  env: Record<string, string>,
  [file, ...args]: string[],
  lease: CgroupLease | null,
): Promise<SpawnedProcess> {
  if (file === undefined) throw spawnFailed('empty command');
  let child: ChildProcess;
  await forkTurn(); // nothing may be awaited between this and spawn()
  if (spec.proceed !== undefined && !spec.proceed()) {
    throw new PlatformError('SPAWN_CANCELLED', `start of ${spec.command[0]} cancelled`);
  }
  try {
    child = spawn(file, args, {
      cwd: spec.cwd,
      env,
      stdio: ['ignore', spec.stdout, spec.stderr],
      detached: true,
    });
  } catch (err) {
    // Synchronous failures: bad arguments (NUL in env), EBADF on an fd.
    throw spawnFailed(
      `cannot start ${spec.command[0]}: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  const pid = child.pid;
  if (pid === undefined) {
    // libuv reported the exec failure; Node emits it as 'error' on the next tick.
    const err = await new Promise<unknown>((res) => child.once('error', res));
    const code = errnoCode(err);
    const reason =
      code !== 'ENOENT'
        ? `cannot start ${exe}: ${code ?? String(err)}`
        : existsSync(exe)
          ? `cannot start ${exe}: its interpreter (#!) or loader was not found`
          : `command not found: ${spec.command[0]}`;
    throw spawnFailed(reason, err);
  }
  // Registered in the same tick as spawn(): the exit cannot be missed. Later 'error's (kill failures)
  // must not become unhandled exceptions in the daemon.
  child.on('error', () => {});
  lease?.forked(pid);
  const exited = new Promise<ProcessExit>((res) => {
    child.once('exit', (code, signal) => {
      lease?.release();
      res({ code, signal });
    });
  });
  child.unref();
  // Not reaped before this tick ends, so /proc/<pid>/stat exists even if it already exited.
  const startTime = readStat(pid)?.startTime ?? '';
  return { pid, startTime, exited, cgroup: lease?.dir ?? null, stdout: child.stdout, stderr: child.stderr };
}
