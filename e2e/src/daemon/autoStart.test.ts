// Issue 14 row 2, as root: a command that needs a daemon starts the one KEPLER_DAEMON_PATH names when
// none runs (root may start any daemon); KEPLER_NO_AUTOSTART=1 keeps the exit 2 and hint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, TestDaemon, waitFor } from '../testkit.js';

const T = 60_000;
const STARTED = /^Started the Kepler daemon \(pid (\d+)\)$/m;

/** Never started through the testkit: the CLI starts it. */
const d = new TestDaemon('kepler-e2e-autostart');
let started: number | null = null;
afterAll(async () => {
  if (started !== null && alive(started)) {
    await d.cli(['daemon', 'stop']).catch(() => undefined);
    if (alive(started)) process.kill(started, 'SIGKILL');
  }
  await d.cleanup();
}, T);

test(
  'root: ps starts the KEPLER_DAEMON_PATH daemon once, with one line on stderr',
  async () => {
    const off = await d.cli(['ps', '--all']);
    expect(off.code).toBe(2);
    expect(off.stderr).toBe(
      `Daemon is not running. Start it with: sudo KEPLER_DAEMON_PATH=${d.stateDir} kepler daemon start -d\n`,
    );
    expect(existsSync(d.socket)).toBe(false);

    const on = await d.cli(['ps', '--all'], { env: { KEPLER_NO_AUTOSTART: '' } });
    expect(on.code).toBe(0);
    const line = STARTED.exec(on.stderr);
    expect(line).not.toBeNull();
    started = Number(line?.[1]);
    expect(on.stderr).toBe(`Started the Kepler daemon (pid ${started})\n`);
    expect(alive(started)).toBe(true);
    expect(Number(readFileSync(join(d.stateDir, 'kepler.pid'), 'utf8'))).toBe(started);

    const status = await d.cli(['daemon', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      pid: started,
      daemon: { kind: 'env', reason: 'KEPLER_DAEMON_PATH is set' },
    });

    const stop = await d.cli(['daemon', 'stop']);
    expect(stop.code).toBe(0);
    await waitFor(() => !alive(started as number), 'the daemon to exit');
  },
  T,
);
