// Issue 3: the daemon's lifecycle and security, black-box: the built daemon and CLI, a real socket in a
// temporary KEPLER_DAEMON_PATH, real users for the permission checks.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  alive,
  CLI,
  DAEMON,
  ensureUser,
  groupGid,
  procStat,
  runCli,
  runCliAs,
  runCommand,
  sha256,
  TestDaemon,
  type TestUser,
  waitFor,
} from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;
/** The not-running hint for a CLI whose KEPLER_DAEMON_PATH is `stateDir` (sudo drops the variable). */
const notRunning = (stateDir: string) =>
  `Daemon is not running. Start it with: sudo KEPLER_DAEMON_PATH=${stateDir} kepler daemon start -d`;

let member: TestUser;
let outsider: TestUser;
let keplerGid: number;
// Users first (they create the `kepler` group), then the daemon, so it finds the group at start-up.
const d = new TestDaemon('kepler-e2e-daemon');
beforeAll(async () => {
  member = ensureUser('keplertest', ['kepler']);
  outsider = ensureUser('keplerout');
  keplerGid = groupGid('kepler') as number;
  // mkdtemp makes the base 0700: the non-root users must be able to reach the state directory.
  chmodSync(dirname(d.stateDir), 0o755);
  await d.start();
}, T);
afterAll(() => d.cleanup(), T);

/** A temp dir whose parents other users may traverse; removed at the end of the file. */
const bases: string[] = [];
function traversableBase(): string {
  const base = mkdtempSync(join(tmpdir(), 'kepler-e2e-dl-'));
  chmodSync(base, 0o755);
  bases.push(base);
  return base;
}

/** pids of daemons detached by `daemon start -d` in these tests: killed if a test left one running. */
const detached = new Set<number>();
afterAll(async () => {
  for (const pid of detached) {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const b of bases) rmSync(b, { recursive: true, force: true });
}, T);

function pidFileOf(stateDir: string): number {
  return Number(readFileSync(join(stateDir, 'kepler.pid'), 'utf8').trim());
}

/** Spawns the daemon binary directly (foreground) and resolves with its exit code and stderr. */
function runDaemonOnce(
  env: NodeJS.ProcessEnv,
  asUser?: TestUser,
): Promise<{ code: number | null; stderr: string; proc: ChildProcess }> {
  const [cmd, args] = asUser
    ? [
        'setpriv',
        [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--init-groups', process.execPath, DAEMON],
      ]
    : [process.execPath, [DAEMON]];
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd as string, args as string[], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the daemon did not exit by itself: ${stderr}`));
    }, 30_000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, proc });
    });
  });
}

describe('state directory, socket and pid file', () => {
  test('state dir 0770 root:kepler, socket 0660 root:kepler, pid file, umask 007', () => {
    const dir = statSync(d.stateDir);
    expect(dir.mode & 0o777).toBe(0o770);
    expect([dir.uid, dir.gid]).toEqual([0, keplerGid]);
    const sock = lstatSync(d.socket);
    expect(sock.isSocket()).toBe(true);
    expect(sock.mode & 0o777).toBe(0o660);
    expect([sock.uid, sock.gid]).toEqual([0, keplerGid]);
    expect(pidFileOf(d.stateDir)).toBe(d.pid);
    const umask = /^Umask:\s+(\d+)$/m.exec(readFileSync(`/proc/${d.pid}/status`, 'utf8'))?.[1];
    expect(umask).toBe('0007');
  });

  test(
    'a second daemon on the same state directory refuses, the first keeps serving',
    async () => {
      const r = await runDaemonOnce(d.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('already running');
      expect(r.stderr).toContain(String(d.pid));
      expect(pidFileOf(d.stateDir)).toBe(d.pid);
      expect((await d.cli(['daemon', 'status'])).code).toBe(0);
    },
    T,
  );

  test(
    'the daemon refuses to run as a non-root user: one line, exit 1',
    async () => {
      const base = traversableBase();
      const r = await runDaemonOnce({ KEPLER_DAEMON_PATH: join(base, 'state') }, outsider);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('root');
      expect(existsSync(join(base, 'state'))).toBe(false);
      // The CLI says so too, before spawning anything.
      const cli = await runCliAs(outsider, ['daemon', 'start', '-d'], {
        env: { KEPLER_DAEMON_PATH: join(base, 'state') },
      });
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/root/);
      expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    },
    T,
  );

  test(
    'a stale socket and pid file left by a SIGKILLed daemon are replaced on restart',
    async () => {
      const fresh = new TestDaemon('kepler-e2e-stale');
      try {
        await fresh.start();
        const oldPid = fresh.pid;
        await fresh.crash();
        expect(existsSync(fresh.socket)).toBe(true);
        expect(pidFileOf(fresh.stateDir)).toBe(oldPid);
        expect((await fresh.cli(['ps', '--all'])).stderr).toContain(notRunning(fresh.stateDir));
        await fresh.start();
        expect(fresh.pid).not.toBe(oldPid);
        expect(pidFileOf(fresh.stateDir)).toBe(fresh.pid);
        expect((await fresh.cli(['ps', '--all'])).code).toBe(0);
      } finally {
        await fresh.cleanup();
      }
    },
    T,
  );

  test(
    'a symlinked state directory is refused',
    async () => {
      const base = traversableBase();
      mkdirSync(join(base, 'real'));
      symlinkSync(join(base, 'real'), join(base, 'state'));
      const r = await runDaemonOnce({ KEPLER_DAEMON_PATH: join(base, 'state') });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/symbolic link/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(join(base, 'real', 'kepler.sock'))).toBe(false);
    },
    T,
  );

  test(
    'a symlinked socket path is refused',
    async () => {
      const base = traversableBase();
      const state = join(base, 'state');
      mkdirSync(state);
      symlinkSync(join(base, 'elsewhere.sock'), join(state, 'kepler.sock'));
      const r = await runDaemonOnce({ KEPLER_DAEMON_PATH: state });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/socket.*symbolic link/);
      expect(existsSync(join(base, 'elsewhere.sock'))).toBe(false);
      expect(lstatSync(join(state, 'kepler.sock')).isSymbolicLink()).toBe(true);
    },
    T,
  );
});

describe('daemon start -d / status / restart -d / stop', () => {
  test(
    'the full cycle through the CLI',
    async () => {
      const base = traversableBase();
      const env = { KEPLER_DAEMON_PATH: join(base, 'state') };
      const cli = (args: string[]) => runCli(args, { env, cwd: base });

      const notYet = await cli(['daemon', 'status']);
      expect(notYet.code).toBe(1);

      const started = await cli(['daemon', 'start', '-d']);
      expect(started.code).toBe(0);
      const pid = pidFileOf(env.KEPLER_DAEMON_PATH);
      detached.add(pid);
      expect(started.stdout).toContain(`pid ${pid}`);
      // It answers as soon as the command returns, and it is in its own session.
      expect(alive(pid)).toBe(true);
      expect(procStat(pid)?.sid).toBe(pid);
      expect(existsSync(join(env.KEPLER_DAEMON_PATH, 'daemon.log'))).toBe(true);
      expect(readFileSync(join(env.KEPLER_DAEMON_PATH, 'daemon.log'), 'utf8')).toContain('listening');

      const status = await cli(['daemon', 'status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`pid:        ${pid}`);
      expect(status.stdout).toMatch(/version:\s+\d+\.\d+\.\d+/);
      expect(status.stdout).toMatch(/uptime:/);

      // Starting again is a no-op that says so.
      const again = await cli(['daemon', 'start', '-d']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already running');
      expect(again.stderr).toBe('');
      // Addresses given to a daemon that already runs are not applied: it says so, and how to apply them.
      const withFlags = await cli(['daemon', 'start', '-d', '--proxy', '127.0.0.1:1']);
      expect(withFlags.code).toBe(0);
      expect(withFlags.stderr).toBe(
        'warning: --proxy: not applied; the running daemon keeps its settings (`kepler daemon restart --proxy 127.0.0.1:1` applies them)\n',
      );

      const restarted = await cli(['daemon', 'restart', '-d']);
      expect(restarted.code).toBe(0);
      const pid2 = pidFileOf(env.KEPLER_DAEMON_PATH);
      detached.add(pid2);
      expect(pid2).not.toBe(pid);
      expect(alive(pid)).toBe(false);
      expect((await cli(['daemon', 'status'])).stdout).toContain(`pid:        ${pid2}`);

      const stopped = await cli(['daemon', 'stop']);
      expect(stopped.code).toBe(0);
      expect(alive(pid2)).toBe(false);
      expect(existsSync(join(env.KEPLER_DAEMON_PATH, 'kepler.sock'))).toBe(false);
      const after = await cli(['daemon', 'status']);
      expect(after.code).toBe(1);
      expect(after.stdout).toContain('not running');
    },
    2 * T,
  );

  test(
    'start -d that cannot start fails with the reason and the log tail',
    async () => {
      const base = traversableBase();
      mkdirSync(join(base, 'real'));
      symlinkSync(join(base, 'real'), join(base, 'state'));
      const r = await runCli(['daemon', 'start', '-d'], { env: { KEPLER_DAEMON_PATH: join(base, 'state') } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('failed to start');
      expect(r.stderr).toMatch(/exited with code 1/);
      // The log tail carries the daemon's own reason.
      expect(r.stderr).toMatch(/symbolic link/);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      // Nothing was written through the link.
      expect(existsSync(join(base, 'real', 'daemon.log'))).toBe(false);
    },
    T,
  );

  test(
    'a bad proxy address names where it came from: --proxy or KEPLER_PROXY_ADDR',
    async () => {
      const state = join(traversableBase(), 'state');
      const flag = await runCli(['daemon', 'start', '-d', '--proxy', 'nonsense'], {
        env: { KEPLER_DAEMON_PATH: state },
      });
      expect(flag.code).toBe(1);
      expect(flag.stderr).toContain('--proxy: proxy address must be HOST:PORT or PORT, got "nonsense"');
      const env = await runCli(['daemon', 'start', '-d'], {
        env: { KEPLER_DAEMON_PATH: state, KEPLER_PROXY_ADDR: 'bad' },
      });
      expect(env.code).toBe(1);
      expect(env.stderr).toContain('KEPLER_PROXY_ADDR: proxy address must be HOST:PORT or PORT, got "bad"');
    },
    T,
  );

  test(
    'a daemon.log symlink planted in the state directory is not followed',
    async () => {
      const base = traversableBase();
      const state = join(base, 'state');
      mkdirSync(state);
      writeFileSync(join(base, 'victim'), 'untouched\n');
      symlinkSync(join(base, 'victim'), join(state, 'daemon.log'));
      const r = await runCli(['daemon', 'start', '-d'], { env: { KEPLER_DAEMON_PATH: state } });
      if (existsSync(join(state, 'kepler.pid'))) detached.add(pidFileOf(state));
      expect(r.code).toBe(1);
      expect(readFileSync(join(base, 'victim'), 'utf8')).toBe('untouched\n');
    },
    T,
  );

  test(
    'daemon stop stops every service of every config, then the daemon',
    async () => {
      const base = traversableBase();
      const state = join(base, 'state');
      const env = { KEPLER_DAEMON_PATH: state };
      const dirs = ['one', 'two'].map((n) => {
        const dir = join(base, n);
        mkdirSync(dir);
        return dir;
      });
      for (const dir of dirs) {
        writeFileSync(join(dir, 'kepler.yaml'), 'services:\n  sleeper:\n    command: ["sleep", "1000"]\n');
      }
      expect((await runCli(['daemon', 'start', '-d'], { env })).code).toBe(0);
      const daemonPid = pidFileOf(state);
      detached.add(daemonPid);
      const pids: number[] = [];
      for (const dir of dirs) {
        const r = await runCli(['start', '-d'], { env, cwd: dir });
        expect(r.code).toBe(0);
        const pid = await waitFor(
          async () => {
            const ps = await runCli(['ps', '--json'], { env, cwd: dir });
            const s = (JSON.parse(ps.stdout) as Array<{ status: string; pid: number | null }>)[0];
            return s?.status === 'running' ? s.pid : null;
          },
          'the service to run',
          { timeoutMs: 20_000 },
        );
        pids.push(pid);
      }
      const stopped = await runCli(['daemon', 'stop'], { env });
      expect(stopped.code).toBe(0);
      for (const pid of pids) expect(alive(pid)).toBe(false);
      expect(alive(daemonPid)).toBe(false);
      // What the services became is persisted: both stopped.
      for (const dir of dirs) {
        const hash = sha256(join(dir, 'kepler.yaml'));
        const st = JSON.parse(readFileSync(join(state, 'configs', hash, 'state.json'), 'utf8')) as {
          services: Record<string, { status: string; pid: number | null }>;
        };
        expect(st.services.sleeper?.status).toBe('stopped');
      }
    },
    2 * T,
  );
});

describe('the CLI against no daemon, and socket permissions', () => {
  test.each([
    [['ps']],
    [['ps', '--all']],
    [['start', '-d']],
    [['stop']],
    [['logs']],
    [['recreate']],
    [['prune']],
  ])(
    '%j without a daemon: the exact hint and exit 2',
    async (args) => {
      const base = traversableBase();
      writeFileSync(join(base, 'kepler.yaml'), 'services:\n  a:\n    command: ["true"]\n');
      const r = await runCli(args, { cwd: base, env: { KEPLER_DAEMON_PATH: join(base, 'none') } });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(notRunning(join(base, 'none')));
      expect(r.stdout).toBe('');
    },
    T,
  );

  test(
    'a user outside the kepler group gets the group hint and exit 2',
    async () => {
      const r = await runCliAs(outsider, ['ps', '--all'], { env: d.env, cwd: '/tmp' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Permission denied');
      expect(r.stderr).toContain('sudo usermod -aG kepler $USER');
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    },
    T,
  );

  test(
    'a member of the kepler group may use the CLI',
    async () => {
      const r = await runCliAs(member, ['ps', '--all', '--json'], { env: d.env, cwd: '/tmp' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
      const status = await runCliAs(member, ['daemon', 'status'], { env: d.env, cwd: '/tmp' });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`pid:        ${d.pid}`);
    },
    T,
  );

  test(
    'a member without the group in its session (plain uid/gid) is refused like an outsider',
    async () => {
      // Same user, but only its primary group: membership is what grants access, not the name.
      const r = await runCommand(
        'setpriv',
        [
          `--reuid=${member.uid}`,
          `--regid=${member.gid}`,
          '--clear-groups',
          process.execPath,
          CLI,
          'ps',
          '--all',
        ],
        { env: { ...process.env, ...d.env, NO_COLOR: '1' }, cwd: '/tmp' },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('sudo usermod -aG kepler $USER');
    },
    T,
  );
});

// Not covered: the `kepler` group missing (fallback to a root-only socket with a hint). Removing the
// group would break every other suite running on this machine at the same time.
