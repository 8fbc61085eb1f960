/**
 * Logs survive a daemon stop (`kepler daemon stop`, and SIGTERM as systemd sends it): the daemon's
 * shutdown stops every service, but that is no user's stop, so the default
 * `logs.retention.on_stop: clear` keeps their lines. The services come back stopped, not started
 * again. A user's `kepler stop` still clears them.
 */
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-logs-daemon-stopped');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

const CLEARED =
  'api: no stored output: it was cleared when the service stopped (logs.retention.on_stop: clear; set it to retain to keep the logs of stopped services)\n';

test(
  'lines written before a daemon stop or SIGTERM are still there after it starts again; a user stop clears them',
  async () => {
    // Each run prints its own line: `run <pid>`.
    const config = d.writeConfig(
      `services:
  api:
    command: ["sh", "-c", "echo run $$; exec sleep 300"]
`,
      join('daemonStopped', 'kepler.yaml'),
    );
    const lines = async () => (await d.cli(['logs', '--raw', '-f', config, 'api'])).stdout;
    const runs = async (n: number) =>
      waitFor(async () => ((await lines()).match(/^run \d+$/gm)?.length ?? 0) === n, `${n} runs' lines`);

    expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
    await runs(1);
    const first = await lines();

    // `kepler daemon stop` (d.stop), then a new daemon on the same state directory.
    await d.stop();
    await d.start();
    expect(await d.service(config, 'api')).toMatchObject({ status: 'stopped', pid: null });
    expect(await d.cli(['logs', '--raw', '-f', config, 'api'])).toEqual({
      code: 0,
      stdout: first,
      stderr: '',
    });

    // A second run, then SIGTERM to the daemon (systemd's stop): both runs' lines are kept.
    expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
    await runs(2);
    const both = await lines();
    expect(both.startsWith(first)).toBe(true);
    const daemon = d.proc!;
    const gone = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
    expect(daemon.exitCode).toBe(0);
    await d.start();
    expect(await d.service(config, 'api')).toMatchObject({ status: 'stopped', pid: null });
    expect(await lines()).toBe(both);

    // The user's stop follows on_stop: clear, as before.
    expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
    await runs(3);
    expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    expect(await d.cli(['logs', '-f', config, 'api'])).toEqual({ code: 0, stdout: '', stderr: CLEARED });
  },
  T,
);
