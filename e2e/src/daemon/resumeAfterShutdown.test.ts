/**
 * Docker's rule for a daemon restart: `kepler daemon stop` stops every service, and the next daemon
 * starts again the `restart: always` services that ran (a new process), while `restart: no` ones stay
 * stopped.
 */
import { alive, TestDaemon } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-resume-after-shutdown');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

test(
  'after `kepler daemon stop` and a new daemon, the `always` service runs again with a new pid; the `no` one stays stopped',
  async () => {
    const config = d.writeConfig(
      `services:
  always:
    command: ["sleep", "300"]
    restart: always
  never:
    command: ["sleep", "300"]
    restart: "no"
`,
      'resume/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
    const before = {
      always: (await d.waitStatus(config, 'always', 'running')).pid as number,
      never: (await d.waitStatus(config, 'never', 'running')).pid as number,
    };

    await d.stop(); // `kepler daemon stop`
    expect([alive(before.always), alive(before.never)]).toEqual([false, false]);
    await d.start();

    // Right after the daemon's start: `always` is on its way back (no command named the config), `no` is not.
    const first = Object.fromEntries((await d.ps(config)).map((s) => [s.name, s.status]));
    expect(['waiting', 'starting', 'running']).toContain(first.always);
    expect(first.never).toBe('stopped');

    const again = await d.waitStatus(config, 'always', 'running');
    expect(again.pid).not.toBe(before.always);
    expect(alive(again.pid as number)).toBe(true);
    expect(await d.service(config, 'never')).toMatchObject({ status: 'stopped', pid: null });
  },
  T,
);
