/**
 * What the systemd unit (packaging/systemd/kepler.service) relies on, end to end:
 * - SIGTERM to the daemon stops every service gracefully (they get their stop signal, not SIGKILL)
 *   and the daemon exits 0 (so `Restart=on-failure` does not fire on a clean stop);
 * - `Type=notify`: `kepler daemon start` (foreground, as ExecStart runs it) sends READY=1 to
 *   $NOTIFY_SOCKET only once the socket answers, with MAINPID= naming the daemon (the CLI's child,
 *   hence `NotifyAccess=all`), and STOPPING=1 when it shuts down; SIGTERM to the CLI reaches the
 *   daemon and the CLI exits 0.
 * A python3 unix datagram receiver stands in for systemd.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, CLI, PY, procStat, runCli, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

/** Waits for a child's exit: `{code, signal}`. */
function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  }
  return new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
}

describe('SIGTERM to the daemon', () => {
  const d = new TestDaemon('kepler-e2e-sigterm');
  beforeAll(() => d.start(), T);
  afterAll(() => d.cleanup(), T);

  test(
    'stops services gracefully and exits 0',
    async () => {
      const graceful = join(d.workDir, 'graceful');
      const config = d.writeConfig(
        `services:
  app:
    command: ["sh", "-c", "trap 'echo TERM > ${graceful}; exit 0' TERM; sleep 600 & wait"]
`,
        'sigterm.kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config])).code).toBe(0);
      const pid = (await d.service(config, 'app')).pid as number;
      expect(alive(pid)).toBe(true);
      const proc = d.proc;
      if (!proc) throw new Error('no daemon');
      const exited = exitOf(proc);
      proc.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(alive(pid)).toBe(false);
      expect(readFileSync(graceful, 'utf8')).toBe('TERM\n'); // its stop signal, not a SIGKILL
      // Clean exit: no stale socket or pid file for the next start.
      expect(existsSync(d.socket)).toBe(false);
      expect(existsSync(join(d.stateDir, 'kepler.pid'))).toBe(false);
    },
    T,
  );
});

/**
 * Prints a JSON line per datagram: the text, the sender's credential pid, whether the Kepler socket
 * accepted a connection and what `kepler daemon status` exited with at that moment.
 */
const RECEIVER = `
import json, socket, struct, subprocess, sys
notify, kepler_sock, node, cli = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(notify)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"listening": True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, 1024)
    pids = [struct.unpack("iII", d[:12])[0] for l, t, d in anc if t == socket.SCM_CREDENTIALS]
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(kepler_sock)
        accepted = True
    except OSError:
        accepted = False
    finally:
        c.close()
    status = subprocess.run([node, cli, "daemon", "status"], capture_output=True).returncode if accepted else None
    print(json.dumps({"msg": msg.decode(), "sender": pids[0] if pids else None, "accepted": accepted, "status": status}), flush=True)
`;

interface Datagram {
  msg: string;
  sender: number | null;
  accepted: boolean;
  status: number | null;
}

describe('Type=notify readiness through `kepler daemon start`', () => {
  let base: string;
  let receiver: ChildProcess | null = null;
  let cli: ChildProcess | null = null;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'kepler-e2e-notify-'));
  }, T);
  afterAll(async () => {
    if (cli && cli.exitCode === null) {
      const gone = exitOf(cli);
      cli.kill('SIGKILL');
      await gone;
    }
    receiver?.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }, T);

  test(
    'READY=1 only once the socket answers, MAINPID is the daemon, SIGTERM exits 0',
    async () => {
      const stateDir = join(base, 'state');
      const notifySocket = join(base, 'notify.sock');
      const keplerSocket = join(stateDir, 'kepler.sock');
      const env = { ...process.env, KEPLER_DAEMON_PATH: stateDir, NO_COLOR: '1' };
      receiver = spawn(PY, ['-c', RECEIVER, notifySocket, keplerSocket, process.execPath, CLI], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let buffered = '';
      receiver.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const p of parts) if (p.trim() !== '') lines.push(JSON.parse(p) as Record<string, unknown>);
      });
      await waitFor(() => lines.some((l) => l.listening === true), 'the notify receiver to listen');

      let daemonErr = '';
      cli = spawn(process.execPath, [CLI, 'daemon', 'start'], {
        env: { ...env, NOTIFY_SOCKET: notifySocket },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      cli.stderr?.on('data', (c: Buffer) => {
        daemonErr += c.toString();
      });
      const datagrams = () =>
        lines.filter((l): l is Record<string, unknown> & Datagram => typeof l.msg === 'string');
      const ready = await waitFor(
        () => datagrams().find((l) => l.msg.split('\n').includes('READY=1')),
        'READY=1 from the daemon',
        { timeoutMs: 30_000 },
      ).catch((e: Error) => {
        throw new Error(`${e.message}\ndaemon stderr: ${daemonErr}`);
      });
      // Sent after the socket listens and answers the protocol.
      expect(ready.accepted).toBe(true);
      expect(ready.status).toBe(0);
      // MAINPID= hands systemd the daemon, the CLI's child (hence NotifyAccess=all in the unit).
      const mainPid = Number(/(?:^|\n)MAINPID=(\d+)/.exec(ready.msg)?.[1]);
      expect(mainPid).not.toBe(cli.pid);
      expect(procStat(mainPid)?.ppid).toBe(cli.pid);
      const status = await runCli(['daemon', 'status'], { env: { KEPLER_DAEMON_PATH: stateDir } });
      expect(status.stdout).toContain(String(mainPid));
      // No READY=1 before the socket was up: every datagram so far found it answering.
      expect(datagrams().every((l) => l.accepted)).toBe(true);

      // A service, then systemd's stop signal to the unit's main process (the CLI forwards it).
      const workDir = join(base, 'work');
      mkdirSync(workDir);
      writeFileSync(join(workDir, 'kepler.yaml'), 'services:\n  app:\n    command: ["sleep", "600"]\n');
      const started = await runCli(['start', '-d', '--wait', '--timeout', '30s'], {
        cwd: workDir,
        env: { KEPLER_DAEMON_PATH: stateDir },
      });
      expect(started.code).toBe(0);
      const ps = await runCli(['ps', '--json'], { cwd: workDir, env: { KEPLER_DAEMON_PATH: stateDir } });
      const servicePid = (JSON.parse(ps.stdout) as Array<{ pid: number }>)[0]?.pid ?? -1;
      expect(alive(servicePid)).toBe(true);

      const exited = exitOf(cli);
      cli.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(alive(servicePid)).toBe(false);
      expect(alive(mainPid)).toBe(false);
      await waitFor(() => datagrams().some((l) => l.msg.split('\n').includes('STOPPING=1')), 'STOPPING=1');
    },
    T,
  );
});
