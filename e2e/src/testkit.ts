import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * No CLI a test runs may start a daemon by itself (every test process inherits this environment): the
 * tests that check auto-start opt in with `KEPLER_NO_AUTOSTART: ''` and stop what they started.
 */
process.env.KEPLER_NO_AUTOSTART ??= '1';

/** Repository root (e2e runs the BUILT binaries: `pnpm build` first). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO, 'packages/cli/dist/main.js');
export const DAEMON = join(REPO, 'packages/daemon/dist/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/** Runs the built CLI and collects its output. */
export function runCli(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: opts.uid,
      gid: opts.gid,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `kepler ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** A real daemon in a temporary KEPLER_DAEMON_PATH, started from the built binary. */
export class TestDaemon {
  proc: ChildProcess | null = null;
  readonly stateDir: string;
  readonly workDir: string;
  private stderr = '';

  constructor(
    private readonly name = 'kepler-e2e',
    /** More environment for the daemon and the CLI (e.g. KEPLER_PROXY_ADDR). */
    private readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {
    const base = mkdtempSync(join(tmpdir(), `${this.name}-`));
    this.stateDir = join(base, 'state');
    this.workDir = join(base, 'work');
    mkdirSync(this.workDir, { recursive: true });
  }

  get env(): NodeJS.ProcessEnv {
    // Services' output files in the test's own directory (by default /dev/shm): removed with it.
    return {
      KEPLER_DAEMON_PATH: this.stateDir,
      KEPLER_OUTPUT_DIR: join(dirname(this.stateDir), 'output'),
      ...this.extraEnv,
    };
  }

  get socket(): string {
    return join(this.stateDir, 'kepler.sock');
  }

  /**
   * Starts the daemon in the foreground (as a child of the test) and waits until it answers; `args`
   * and `env` are added to its command line and environment (`--http 127.0.0.1:0`).
   */
  async start(opts: { args?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
    this.stderr = '';
    const proc = spawn(process.execPath, [DAEMON, ...(opts.args ?? [])], {
      env: { ...process.env, ...this.env, ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (d) => {
      this.stderr += d;
    });
    this.proc = proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}: ${this.stderr}`);
        return (await this.cli(['daemon', 'status'])).code === 0;
      },
      'the daemon to answer',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  }

  get pid(): number {
    if (!this.proc?.pid) throw new Error('daemon not started');
    return this.proc.pid;
  }

  get log(): string {
    return this.stderr;
  }

  /** Runs the CLI against this daemon, in the work directory. */
  cli(
    args: readonly string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {},
  ): Promise<CliResult> {
    return runCli(args, { cwd: this.workDir, ...opts, env: { ...this.env, ...opts.env } });
  }

  /** Writes a config file into the work directory and returns its path. */
  writeConfig(yaml: string, file = 'kepler.yaml'): string {
    const path = join(this.workDir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, yaml);
    return path;
  }

  /** `kepler ps --json` for a config, parsed. */
  async ps(config: string): Promise<Array<Record<string, unknown>>> {
    const r = await this.cli(['ps', '--json', '-f', config]);
    if (r.code !== 0) throw new Error(`ps failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  }

  async service(config: string, name: string): Promise<Record<string, unknown>> {
    const s = (await this.ps(config)).find((x) => x.name === name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  }

  /** Polls `ps --json` until the service has `status`; returns its entry. */
  waitStatus(
    config: string,
    name: string,
    status: string,
    timeoutMs = 15_000,
  ): Promise<Record<string, unknown>> {
    return waitFor(
      async () => {
        const s = await this.service(config, name);
        return s.status === status ? s : null;
      },
      `${name} to be ${status}`,
      { timeoutMs },
    );
  }

  /** SIGKILL the daemon (a crash) and wait until it is gone. */
  async crash(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    this.proc = null;
  }

  /** Stops the daemon (and so every service) and removes the temp dirs. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      await this.cli(['daemon', 'stop'], { timeoutMs: 60_000 }).catch(() => undefined);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    }
    this.proc = null;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(dirname(this.stateDir), { recursive: true, force: true });
  }

  configStateDir(configPath: string): string {
    return join(this.stateDir, 'configs', sha256(configPath));
  }

  readLogFile(configPath: string, file: string): string {
    const p = join(this.configStateDir(configPath), 'logs', file);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }
}

import { createHash } from 'node:crypto';

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Whether a pid is alive (and not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Fields of /proc/<pid>/stat that supervision tests check, or null when the pid is gone. */
export function procStat(pid: number): { state: string; ppid: number; pgid: number; sid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0] ?? '?', ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]) };
  } catch {
    return null;
  }
}

/** Zombie (Z-state) processes whose parent is `ppid`: children nobody reaped. */
export function zombieChildrenOf(ppid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s && s.ppid === ppid && s.state === 'Z') found.push(Number(entry));
  }
  return found;
}

/** Writes an executable file (a test's service script) and returns its path. */
export function writeScript(path: string, body: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body, { mode: 0o755 });
  return path;
}

/** Lines of a text file (none when it does not exist yet). */
export function fileLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

import { execFileSync } from 'node:child_process';

/** A local account used to run the CLI as someone other than root. */
export interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Returns the local user `name`, creating it (no home directory) and any missing `groups` first, and
 * adding it to `groups`. Users and groups are left in place: other tests and CI runs share them.
 */
export function ensureUser(name: string, groups: readonly string[] = []): TestUser {
  for (const g of groups) execFileSync('groupadd', ['-f', g]);
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  try {
    id('-u');
  } catch {
    execFileSync('useradd', ['-M', ...(groups.length > 0 ? ['-G', groups.join(',')] : []), name]);
  }
  for (const g of groups) execFileSync('usermod', ['-aG', g, name]);
  return { name, uid: id('-u'), gid: id('-g') };
}

/** gid of a group, or null when it does not exist. */
export function groupGid(name: string): number | null {
  try {
    return Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    return null;
  }
}

/**
 * Runs the built CLI as `user` with the user's supplementary groups (`setpriv --init-groups`; Node's
 * own `spawn({uid, gid})` drops them, which would hide `kepler` group membership).
 */
export function runCliAs(
  user: TestUser,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return runCommand(
    'setpriv',
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', process.execPath, CLI, ...args],
    {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', HOME: '/tmp', ...opts.env },
      timeoutMs: opts.timeoutMs,
    },
  );
}

/** Runs any command to completion and collects its output (a timeout kills it and rejects). */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd ?? REPO,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Resident set size of a live process in KiB (VmRSS from /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

// ---- real users and groups (privilege and access tests; the tests run as root) ------------------

import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';

/** The system python (pyenv shims under /root are not usable by other users, and are slow). */
export const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** A unique, valid user or group name: `kp_<8 hex>` (32 chars max for useradd). */
export function uniqueName(prefix = 'kp'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** uid, primary gid and group names of a user, from `id`. */
export function userIds(name: string): { uid: number; gid: number; groups: string[] } {
  const id = (flag: string) => execFileSync('id', [flag, name], { encoding: 'utf8' }).trim();
  return { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-Gn').split(/\s+/) };
}

/** The gid of a group from /etc/group (getent). */
export function groupId(name: string): number {
  const line = execFileSync('getent', ['group', name], { encoding: 'utf8' }).trim();
  return Number(line.split(':')[2]);
}

/** Creates a group (groupadd); the caller deletes it with deleteGroup. */
export function createGroup(name: string): number {
  execFileSync('groupadd', [name], { stdio: 'ignore' });
  return groupId(name);
}

/**
 * Creates a user without a home directory (useradd -M), shell /bin/sh, with its own primary group
 * and the supplementary `groups`; the caller deletes it with deleteUser.
 */
export function createUser(name: string, groups: readonly string[] = []): { uid: number; gid: number } {
  execFileSync(
    'useradd',
    ['-M', '-s', '/bin/sh', '-U', ...(groups.length ? ['-G', groups.join(',')] : []), name],
    {
      stdio: 'ignore',
    },
  );
  const { uid, gid } = userIds(name);
  return { uid, gid };
}

/** Deletes a user created by createUser (and its own group); ignores one that does not exist. */
export function deleteUser(name: string): void {
  try {
    execFileSync('userdel', [name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  deleteGroup(name);
}

export function deleteGroup(name: string): void {
  try {
    execFileSync('groupdel', [name], { stdio: 'ignore' });
  } catch {
    // already gone, or never created
  }
}

/**
 * The CI's fixed users: `keplertest` (in group `kepler`) and `keplerout` (not in it), created when
 * missing (scripts/test.sh does the same). They are shared and never deleted.
 */
export function ensureCiUsers(): { inGroup: TestUser; outside: TestUser } {
  return { inGroup: ensureUser('keplertest', ['kepler']), outside: ensureUser('keplerout') };
}

/**
 * Makes a TestDaemon's temp directories traversable by every user (mkdtemp creates them 0700), so
 * non-root CLIs can reach the socket and services running as other users can use the work directory.
 * The state directory itself keeps the modes the daemon gives it.
 */
export function openUpDirs(d: TestDaemon): void {
  chmodSync(dirname(d.stateDir), 0o755);
  chmodSync(d.workDir, 0o755);
}

/** Runs argv as `user` with its full group list (setpriv --init-groups), from `/`. */
export function runAs(
  user: string,
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const { uid, gid } = userIds(user);
  return runCommand('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...argv], {
    cwd: '/',
    env: { ...process.env, HOME: '/', ...opts.env },
  });
}

/** Runs the built CLI as `user` (with its supplementary groups) against a TestDaemon, in its work dir. */
export function cliAs(
  d: TestDaemon,
  user: TestUser,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return runCliAs(user, args, { cwd: d.workDir, env: { ...d.env, ...opts.env } });
}

/** Log lines of a service's log file with the leading timestamps removed. */
export function logLines(d: TestDaemon, configPath: string, file: string): string[] {
  return d
    .readLogFile(configPath, file)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\S+Z /, ''));
}
