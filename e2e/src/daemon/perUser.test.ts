// Issue 14 rows 1 and 2: a user who is not root and not in the `kepler` group gets a daemon of their
// own, started by the first command that needs it. Black-box: the built CLI run as a real non-root user
// with a home directory (setpriv), its state in a temporary XDG_STATE_HOME that user owns.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, CLI, type CliResult, runCommand, waitFor, writeScript } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;
/** The user scripts/test.sh creates: not root, not in `kepler`, with a home directory. */
const USER = 'keplerhome';
const STARTED = /^Started the Kepler daemon \(pid (\d+)\)$/m;

let uid: number;
let gid: number;
let base: string;
let work: string;
let xdg: string;
let config: string;
/** Every daemon pid a test saw start: killed at the end if a test left one running. */
const daemons = new Set<number>();

beforeAll(() => {
  try {
    execFileSync('id', [USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', USER], { stdio: 'ignore' });
  }
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  base = mkdtempSync(join(tmpdir(), 'kepler-e2e-peruser-'));
  chmodSync(base, 0o755);
  xdg = join(base, 'xdg');
  work = join(base, 'work');
  for (const dir of [xdg, work]) {
    mkdirSync(dir);
    chownSync(dir, uid, gid);
  }
  config = join(work, 'kepler.yaml');
  writeScript(
    config,
    [
      'services:',
      '  web:',
      '    command: ["sleep", "300"]',
      '    healthcheck: { test: ["sh", "-c", "id -u > health.uid"], interval: 500ms }',
      '    hooks:',
      '      pre_start: { run: "id -u > hook.uid" }',
      '  as_root:',
      '    command: ["sleep", "300"]',
      '    user: root',
      '',
    ].join('\n'),
  );
  chownSync(config, uid, gid);
});

afterAll(async () => {
  await kepler(['daemon', 'stop']).catch(() => undefined);
  await kepler(['daemon', 'stop'], racing()).catch(() => undefined);
  for (const pid of daemons) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(base, { recursive: true, force: true });
}, T);

/** The user's own state directory: what the rule picks for them. */
const stateDir = () => join(xdg, 'kepler');

/** Runs the built CLI as the user (its own groups), in the work dir, with auto-start on unless `env` says. */
async function kepler(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await runCommand(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', process.execPath, CLI, ...args],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH,
        HOME: `/home/${USER}`,
        XDG_STATE_HOME: xdg,
        // Output files beside the state, removed with it (the default is /dev/shm/kepler-<uid>).
        KEPLER_OUTPUT_DIR: join(xdg, 'output'),
        NO_COLOR: '1',
        KEPLER_NO_AUTOSTART: '',
        ...env,
      },
    },
  );
  const started = STARTED.exec(r.stderr);
  if (started) daemons.add(Number(started[1]));
  return r;
}

async function services(): Promise<Array<Record<string, unknown>>> {
  const r = await kepler(['ps', '--json'], { KEPLER_NO_AUTOSTART: '1' });
  if (r.code !== 0) throw new Error(`ps failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

function waitService(name: string, test: (s: Record<string, unknown>) => boolean) {
  return waitFor(async () => (await services()).find((s) => s.name === name && test(s)), `${name} in ps`, {
    timeoutMs: 20_000,
  });
}

/** The environment of the racing test: a state directory of its own. */
const racing = (): NodeJS.ProcessEnv => ({
  XDG_STATE_HOME: join(base, 'xdg2'),
  KEPLER_OUTPUT_DIR: join(base, 'xdg2', 'output'),
});

/** Live daemon processes whose log file is in `dir` (a daemon's command line names it). */
function daemonsIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !alive(Number(entry))) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(join(dir, 'daemon.log'))) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Real uid of a live process. */
function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

test(
  'with KEPLER_NO_AUTOSTART=1 nothing is started: exit 2 and the hint for your own daemon',
  async () => {
    const r = await kepler(['ps'], { KEPLER_NO_AUTOSTART: '1' });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('Daemon is not running. Start it with: kepler daemon start -d\n');
    expect(existsSync(join(stateDir(), 'kepler.sock'))).toBe(false);
    // Commands that only stop things never start a daemon, auto-start on or not.
    const stop = await kepler(['stop']);
    expect(stop.code).toBe(2);
    expect(stop.stderr).not.toMatch(STARTED);
    expect(existsSync(join(stateDir(), 'kepler.sock'))).toBe(false);
  },
  T,
);

test(
  'the first command that needs a daemon starts one of your own: 0600 socket, services as you, user: root refused',
  async () => {
    const r = await kepler(['start', '-d']);
    expect(r.code).toBe(0);
    const started = STARTED.exec(r.stderr);
    expect(started).not.toBeNull();
    expect(r.stderr.match(new RegExp(STARTED.source, 'gm'))).toHaveLength(1);
    const pid = Number(started?.[1]);
    expect(alive(pid)).toBe(true);
    expect(uidOf(pid)).toBe(uid);
    expect(Number(readFileSync(join(stateDir(), 'kepler.pid'), 'utf8'))).toBe(pid);

    const socket = statSync(join(stateDir(), 'kepler.sock'));
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);
    expect(socket.uid).toBe(uid);
    expect(statSync(stateDir()).mode & 0o777).toBe(0o700);

    // Its hooks and health checks run as the user too, and work as with the system daemon.
    const web = await waitService('web', (s) => s.status === 'healthy');
    expect(uidOf(web.pid as number)).toBe(uid);
    expect(readFileSync(join(work, 'hook.uid'), 'utf8').trim()).toBe(String(uid));
    expect(readFileSync(join(work, 'health.uid'), 'utf8').trim()).toBe(String(uid));
    const refused = await waitService('as_root', (s) => s.status === 'failed');
    expect(refused.reason).toBe(`user: root: a per-user daemon runs services only as its own user (${USER})`);
    expect(refused.pid).toBeNull();

    // Running now: a second command connects without starting anything.
    const again = await kepler(['ps']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(STARTED);
  },
  T,
);

test(
  'daemon status shows which daemon the rule chose and how services are contained',
  async () => {
    const human = await kepler(['daemon', 'status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`  state dir:  ${stateDir()}\n`);
    expect(human.stdout).toContain('  daemon:     per-user (not root and not in the kepler group)\n');
    // The user's cgroup (the test's, root's) is not delegated to them.
    expect(human.stdout).toContain('  processes:  process groups + marker sweep\n');
    const json = JSON.parse((await kepler(['daemon', 'status', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      running: true,
      state_dir: stateDir(),
      daemon: { kind: 'user', reason: 'not root and not in the kepler group' },
      containment: 'process-groups',
    });
  },
  T,
);

test(
  'a per-user daemon killed with SIGKILL is started again by the next command and adopts the service',
  async () => {
    const before = await waitService('web', (s) => s.status === 'healthy');
    const oldPid = Number(readFileSync(join(stateDir(), 'kepler.pid'), 'utf8'));
    process.kill(oldPid, 'SIGKILL');
    await waitFor(() => !alive(oldPid), 'the daemon to die');
    expect(alive(before.pid as number)).toBe(true);

    const r = await kepler(['ps', '--json']);
    expect(r.code).toBe(0);
    const started = STARTED.exec(r.stderr);
    expect(started).not.toBeNull();
    expect(Number(started?.[1])).not.toBe(oldPid);
    const web = (JSON.parse(r.stdout) as Array<Record<string, unknown>>).find((s) => s.name === 'web');
    expect(web).toMatchObject({ pid: before.pid });
    expect(['running', 'healthy']).toContain(web?.status);

    // `daemon stop` stops it and the services with it.
    const stop = await kepler(['daemon', 'stop']);
    expect(stop.code).toBe(0);
    expect(stop.stderr).not.toMatch(STARTED);
    await waitFor(() => !alive(before.pid as number), 'the service to be stopped');
    expect(alive(Number(started?.[1]))).toBe(false);
  },
  T,
);

test(
  'kepler run as the user: the service runs as them, in their ad-hoc config; --user root is refused naming the flag',
  async () => {
    const r = await kepler(['run', '-d', '--name', 'nap', '--', 'sleep', '300']);
    expect(r.code).toBe(0);
    const rows = async () => {
      const ps = await kepler(['ps', '--all', '--json']);
      return JSON.parse(ps.stdout) as Array<Record<string, unknown>>;
    };
    const nap = await waitFor(
      async () => (await rows()).find((s) => s.name === 'nap' && s.status === 'running'),
      'nap running',
    );
    expect(nap.config).toBe(join(stateDir(), 'adhoc', `${uid}.yaml`));
    expect(uidOf(nap.pid as number)).toBe(uid);

    const root = await kepler(['run', '-d', '--user', 'root', '--', 'true']);
    expect(root.code).toBe(1);
    expect(root.stderr).toBe(`--user root: a per-user daemon runs services only as its own user (${USER})\n`);

    const rm = await kepler(['rm', 'nap']);
    expect(rm.stdout).toBe('Stopped nap\nRemoved nap\n');
    await waitFor(() => !alive(nap.pid as number), 'nap to end');
    expect((await kepler(['daemon', 'stop'])).code).toBe(0);
  },
  T,
);

test(
  'commands racing to start the daemon start one: one line, one daemon, every command answered',
  async () => {
    const env = racing();
    const dir = join(env.XDG_STATE_HOME as string, 'kepler');
    mkdirSync(env.XDG_STATE_HOME as string);
    chownSync(env.XDG_STATE_HOME as string, uid, gid);
    const results = await Promise.all([1, 2, 3].map(() => kepler(['ps', '--all'], env)));
    for (const r of results) expect(r).toMatchObject({ code: 0 });
    const lines = results.flatMap((r) => r.stderr.match(new RegExp(STARTED.source, 'gm')) ?? []);
    expect(lines).toHaveLength(1);
    const pid = Number(STARTED.exec(lines[0] as string)?.[1]);
    expect(Number(readFileSync(join(dir, 'kepler.pid'), 'utf8'))).toBe(pid);
    // The losers' daemons gave up (the start lock): only the winner is left.
    await waitFor(() => daemonsIn(dir).length === 1, 'the other daemons to exit');
    expect(daemonsIn(dir)).toEqual([pid]);
    expect((await kepler(['daemon', 'stop'], env)).code).toBe(0);
    expect(daemonsIn(dir)).toEqual([]);
  },
  T,
);

/** The cgroup2 mount, when root may create cgroups in it (else the delegation test is skipped). */
function writableCgroup2(): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0 || !line.slice(sep + 3).startsWith('cgroup2 ')) continue;
    const mount = line.split(' ')[4] as string;
    const probe = join(mount, `kepler-e2e-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
      return mount;
    } catch {
      return null;
    }
  }
  return null;
}

const cgroup2 = writableCgroup2();

(cgroup2 === null ? test.skip : test)(
  'inside a cgroup subtree delegated to the user, the per-user daemon contains its services in cgroups',
  async () => {
    // What systemd's user@UID.service delegation gives a user: a cgroup whose directory,
    // cgroup.procs, cgroup.threads and cgroup.subtree_control are theirs, with their processes in it.
    const delegated = join(cgroup2 as string, `kepler-e2e-delegated-${process.pid}`);
    mkdirSync(delegated);
    for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) {
      chownSync(join(delegated, f), uid, gid);
    }
    const env = {
      XDG_STATE_HOME: join(base, 'xdg3'),
      KEPLER_OUTPUT_DIR: join(base, 'xdg3', 'output'),
    };
    mkdirSync(env.XDG_STATE_HOME);
    chownSync(env.XDG_STATE_HOME, uid, gid);
    try {
      // The CLI (and so the daemon it starts) runs inside the delegated cgroup.
      const r = await runCommand(
        'sh',
        [
          '-c',
          'echo "$$" > "$1" && shift && exec "$@"',
          'sh',
          join(delegated, 'cgroup.procs'),
          'setpriv',
          `--reuid=${uid}`,
          `--regid=${gid}`,
          '--init-groups',
          process.execPath,
          CLI,
          'start',
          '-d',
        ],
        {
          cwd: work,
          env: {
            PATH: process.env.PATH,
            HOME: `/home/${USER}`,
            NO_COLOR: '1',
            KEPLER_NO_AUTOSTART: '',
            ...env,
          },
        },
      );
      const started = STARTED.exec(r.stderr);
      if (started) daemons.add(Number(started[1]));
      expect(r.code).toBe(0);
      expect(started).not.toBeNull();
      const status = JSON.parse((await kepler(['daemon', 'status', '--json'], env)).stdout);
      expect(status).toMatchObject({ daemon: { kind: 'user' }, containment: 'cgroups' });
      const web = await waitFor(async () => {
        const r = await kepler(['ps', '--json'], { ...env, KEPLER_NO_AUTOSTART: '1' });
        return (JSON.parse(r.stdout) as Array<Record<string, unknown>>).find(
          (s) => s.name === 'web' && s.pid !== null,
        );
      }, 'web started');
      const membership = readFileSync(`/proc/${web.pid}/cgroup`, 'utf8');
      expect(membership).toContain(`/kepler-e2e-delegated-${process.pid}/kepler/KEPLER_SERVICE_ID_`);
      expect((await kepler(['daemon', 'stop'], env)).code).toBe(0);
      expect(readdirSync(join(delegated, 'kepler')).filter((n) => n.startsWith('KEPLER_'))).toEqual([]);
    } finally {
      await kepler(['daemon', 'stop'], env).catch(() => undefined);
      for (const dir of [join(delegated, 'kepler'), delegated]) {
        await waitFor(() => {
          if (existsSync(dir)) rmdirSync(dir);
          return true;
        }, `${dir} to be removed`).catch(() => undefined);
      }
    }
  },
  T,
);
