// In-process: oneshot and forking services, and stop_command.
import { join } from 'node:path';
import type { Behaviour } from './behaviours.js';
import { exitsWith, ignoresSigterm } from './behaviours.js';
import { config } from './configBuilder.js';
import type { FakeProcess } from './FakeProcess.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

describe('type: oneshot', () => {
  const gated = (restart: 'no' | 'always' = 'no') =>
    config()
      .service('migrate', { command: ['migrate'], type: 'oneshot', restart })
      .service('web', { command: ['web'], depends_on: ['migrate'] });

  test('gates its dependent until it exits 0, and ends exited (never restarted, even with always)', async () => {
    h = await startHarness(gated('always'));
    h.platform.onSpawn('migrate', () => undefined);
    await h.actor.start(['migrate', 'web']);
    const migrate = await h.platform.waitForSpawn('migrate');
    await h.waitForStatus('web', 'waiting');
    expect(h.platform.spawns('web')).toHaveLength(0);
    migrate.exit(0);
    await h.waitForStatus('web', 'running');
    expect(h.info('migrate')).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(h.platform.spawns('migrate')).toHaveLength(1);
  });

  test('a failing oneshot fails its dependent: the condition can never be met', async () => {
    h = await startHarness(gated());
    h.platform.onSpawn('migrate', exitsWith(3));
    await h.actor.start(['migrate', 'web']);
    const web = await h.waitForStatus('web', 'failed');
    expect(web.reason).toContain('migrate');
    expect(h.info('migrate')).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(h.platform.spawns('web')).toHaveLength(0);
  });
});

describe('type: forking', () => {
  const forking = (extra: Record<string, unknown> = {}) =>
    config().service('db', {
      command: ['dbctl', 'start'],
      type: 'forking',
      pid_file: 'db.pid',
      restart: 'on-failure',
      ...extra,
    });
  const pidFile = () => join(h.projectDir, 'db.pid');

  /** The start command forks a daemon that writes its pid file, then exits 0. */
  const daemonises: Behaviour = (launcher) => {
    const daemon = h.platform.forkFrom(launcher);
    h.platform.writeFile(pidFile(), `${daemon.pid}\n`);
    launcher.exit(0);
  };

  async function running(): Promise<FakeProcess> {
    const info = await h.waitForStatus('db', 'running');
    return h.platform.process(info.pid!)!;
  }

  test('supervises the pid its pid file names: a kill restarts it, a stop signals the daemon', async () => {
    h = await startHarness(forking());
    h.platform.onSpawn('dbctl', daemonises);
    await h.actor.start(['db']);
    const first = await running();
    expect(first.spec).toBeNull(); // the daemon, not the start command
    expect(first.marker).toBe(h.markerOf('db'));

    const mark = h.mark();
    first.kill('SIGKILL');
    await h.waitForStatus('db', 'restarting', { after: mark });
    await h.waitForStatus('db', 'running', { after: mark });
    const second = await running();
    expect(second.pid).not.toBe(first.pid);
    expect(h.statusEvents('db', mark)[0]?.reason).toContain('killed by SIGKILL');

    await h.actor.stop(['db']);
    expect(second.signals).toEqual(['SIGTERM']);
    expect(h.platform.stops.at(-1)).toMatchObject({ pid: second.pid, marker: h.markerOf('db') });
    expect(h.info('db')).toMatchObject({ status: 'stopped', pid: null });
  });

  test('is adopted after a daemon restart and still supervised', async () => {
    h = await startHarness(forking({ restart: 'no' }));
    h.platform.onSpawn('dbctl', daemonises);
    await h.actor.start(['db']);
    const daemon = await running();
    const mark = await h.restartDaemon();
    await h.waitForStatus('db', 'running');
    expect(h.info('db').pid).toBe(daemon.pid);
    daemon.kill('SIGKILL');
    await h.waitForStatus('db', 'failed', { after: mark });
  });

  test('a daemon crash while it waits for the pid file: the next daemon takes over what that start left', async () => {
    h = await startHarness(forking());
    h.platform.onSpawn('dbctl', () => undefined);
    await h.actor.start(['db']);
    const launcher = await h.platform.waitForSpawn('dbctl');
    let daemon: FakeProcess | null = null;
    await h.restartDaemon({
      whileDown: () => {
        daemon = h.platform.forkFrom(launcher);
        h.platform.writeFile(pidFile(), `${daemon.pid}\n`);
        launcher.exit(0);
      },
    });
    const info = await h.waitForStatus('db', 'running');
    expect(info.pid).toBe(daemon!.pid);
    expect(h.platform.spawns('dbctl')).toHaveLength(1); // not started a second time
    daemon!.kill('SIGKILL');
    await h.waitFor(() => h.platform.spawns('dbctl').length === 2, 'the restart policy');
  });

  test('a pid file that never appears fails the start after start_timeout, leaving nothing', async () => {
    h = await startHarness(forking({ start_timeout: '2s' }));
    h.platform.onSpawn('dbctl', () => undefined); // never daemonises, never exits
    await h.actor.start(['db']);
    const launcher = await h.platform.waitForSpawn('dbctl');
    await h.waitFor(() => h.platform.clock.pending().includes(50), 'the pid file poll');
    h.platform.clock.advance(2_000);
    const info = await h.waitForStatus('db', 'failed');
    expect(info.reason).toBe(`pid file ${pidFile()} did not appear within 2s (start_timeout)`);
    expect(launcher.alive).toBe(false);
  });

  test('a stop while it waits for the pid file ends the start: stopped, the start command stopped', async () => {
    h = await startHarness(forking());
    h.platform.onSpawn('dbctl', () => undefined);
    await h.actor.start(['db']);
    const launcher = await h.platform.waitForSpawn('dbctl');
    await h.waitFor(() => h.platform.clock.pending().includes(50), 'the pid file poll');
    const stopped = h.actor.stop(['db']);
    h.platform.clock.advance(50); // the next look sees the stop
    await stopped;
    expect(h.info('db')).toMatchObject({ status: 'stopped', pid: null });
    expect(launcher.signals).toEqual(['SIGTERM']);
  });

  test('a pid file left by an earlier run is not taken for this start', async () => {
    h = await startHarness(forking({ start_timeout: '1s' }));
    const old = h.platform.launchOutside(['old-db']); // alive, but started before this start
    h.platform.writeFile(pidFile(), `${old.pid}\n`);
    h.platform.onSpawn('dbctl', exitsWith(0));
    await h.actor.start(['db']);
    await h.waitFor(() => h.platform.clock.pending().includes(50), 'the pid file poll');
    h.platform.clock.advance(1_000);
    expect((await h.waitForStatus('db', 'failed')).reason).toBe(
      `pid file ${pidFile()} names pid ${old.pid}, which this start did not launch (left by an earlier run?)`,
    );
    expect(old.signals).toEqual([]);
  });

  test('a start command that exits non-zero, or a pid file naming a dead process, fails at once', async () => {
    h = await startHarness(forking({ restart: 'no' }));
    h.platform.onSpawn('dbctl', exitsWith(1));
    await h.actor.start(['db']);
    expect((await h.waitForStatus('db', 'failed')).reason).toBe(
      'the start command exited with code 1 before its pid file named a running process',
    );
    h.platform.onSpawn('dbctl', (launcher) => {
      h.platform.writeFile(pidFile(), '2999999\n');
      launcher.exit(0);
    });
    const mark = h.mark();
    await h.actor.start(['db']);
    expect((await h.waitForStatus('db', 'failed', { after: mark })).reason).toBe(
      `pid file ${pidFile()} names pid 2999999, which is not running`,
    );
  });
});

describe('stop_command', () => {
  test('runs as the service, and a service it stopped gets no signal', async () => {
    h = await startHarness(
      config().service('api', {
        command: ['api'],
        user: 'alice',
        environment: { MODE: 'prod' },
        stop_command: ['apictl', 'stop'],
      }),
    );
    h.platform.onSpawn('api', ignoresSigterm());
    await h.actor.start(['api']);
    const api = h.platform.process((await h.waitForStatus('api', 'running')).pid!)!;
    h.platform.onSpawn('apictl', (ctl) => {
      api.exit(0);
      ctl.exit(0);
    });
    await h.actor.stop(['api']);
    const ctl = h.platform.spawns('apictl')[0]!;
    expect(ctl.argv).toEqual(['apictl', 'stop']);
    expect(ctl.user).toBe('alice');
    expect(ctl.env.MODE).toBe('prod');
    expect(api.signals).toEqual([]);
    expect(h.info('api')).toMatchObject({ status: 'stopped', exitCode: 0 });
  });

  test('gets the PORT the service was given, like the service and its hooks', async () => {
    h = await startHarness(
      config().service('api', { command: ['api'], port: 4321, stop_command: ['apictl', 'stop'] }),
    );
    await h.actor.start(['api']);
    const api = h.platform.process((await h.waitForStatus('api', 'running')).pid!)!;
    expect(api.env.PORT).toBe('4321');
    h.platform.onSpawn('apictl', (ctl) => {
      api.exit(0);
      ctl.exit(0);
    });
    await h.actor.stop(['api']);
    expect(h.platform.spawns('apictl')[0]!.env.PORT).toBe('4321');
  });

  test('one that does nothing: the stop signal follows after the grace, then SIGKILL', async () => {
    h = await startHarness(
      config().service('api', { command: ['api'], stop_command: 'true', stop_grace_period: '5s' }),
    );
    h.platform.onSpawn('api', ignoresSigterm());
    h.platform.onSpawn('sh', exitsWith(0));
    await h.actor.start(['api']);
    const api = h.platform.process((await h.waitForStatus('api', 'running')).pid!)!;
    const stopped = h.actor.stop(['api']);
    await h.platform.waitForSpawn('sh');
    await h.waitFor(() => h.platform.clock.pending().includes(5_000), 'the grace timer');
    expect(api.signals).toEqual([]);
    h.platform.clock.advance(5_000);
    await h.waitFor(() => api.signals.length === 1, 'the stop signal');
    expect(api.signals).toEqual(['SIGTERM']);
    h.platform.clock.advance(5_000);
    await stopped;
    expect(api.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });
});
