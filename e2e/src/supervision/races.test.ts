import { join } from 'node:path';
import { alive, fileLines, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

/** Operations that overlap: a stop during a launch hook, a hook that leaves a child, a crash mid-stop. */
describe('overlapping operations', () => {
  const d = new TestDaemon('kepler-sup-races');
  beforeAll(() => d.start(), T);
  afterAll(() => d.cleanup(), T);

  test(
    'stop during a long pre_start ends the hook and leaves the service stopped; the config stays usable',
    async () => {
      const dir = join(d.workDir, 'prestart');
      const config = d.writeConfig(
        `services:
  slow:
    command: ["sleep", "300"]
    hooks:
      pre_start:
        run: "echo $$ > ${dir}/hook.pid; exec sleep 30"
`,
        'prestart/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const hookPid = Number(await waitFor(() => fileLines(join(dir, 'hook.pid'))[0], 'the hook to run'));
      const stop = await d.cli(['stop', '-f', config]);
      expect(stop.code).toBe(0);
      expect((await d.service(config, 'slow')).status).toBe('stopped');
      await waitFor(() => !alive(hookPid), 'the aborted hook to end');
      // Nothing is wedged: the service starts again (its hook runs again, and we stop it again).
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      await d.waitStatus(config, 'slow', 'starting');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
      expect((await d.service(config, 'slow')).status).toBe('stopped');
    },
    T,
  );

  test(
    'a hook that backgrounds a child does not hold up the launch',
    async () => {
      const config = d.writeConfig(
        `services:
  app:
    command: ["sleep", "300"]
    hooks:
      pre_start:
        run: "sleep 300 & echo started-helper"
`,
        'bghook/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '--wait', '--timeout', '20s', '-f', config])).code).toBe(0);
      expect((await d.service(config, 'app')).status).toBe('running');
      expect((await d.cli(['logs', '--raw', 'app', '-f', config])).stdout).toContain('started-helper');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );

  test(
    'a daemon crash in the middle of a stop: the new daemon finishes the stop',
    async () => {
      const dir = join(d.workDir, 'midstop');
      const config = d.writeConfig(
        `services:
  stubborn:
    command: ["sh", "-c", "trap 'echo term >> ${dir}/got' TERM; echo trapped; while true; do sleep 0.1; done"]
    stop_grace_period: 3s
`,
        'midstop/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
      const svc = await d.waitStatus(config, 'stubborn', 'running');
      const pid = svc.pid as number;
      await waitFor(
        async () => (await d.cli(['logs', '--raw', '-f', config])).stdout.includes('trapped'),
        'the trap',
      );
      const stopping = d.cli(['stop', '-f', config]);
      await waitFor(() => fileLines(join(dir, 'got')).length > 0, 'the TERM to arrive');
      await d.crash();
      await stopping;
      expect(alive(pid)).toBe(true);
      await d.start();
      // The restarted daemon adopts it and completes the stop (SIGKILL after the grace period).
      await d.waitStatus(config, 'stubborn', 'stopped', 20_000);
      await waitFor(() => !alive(pid), 'the service to be gone');
    },
    T,
  );
});
