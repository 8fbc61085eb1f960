// In-process: `priority` (start and stop order), soft dependencies (`required: false`), restart
// limits (`max_retries`, `on-failure:N`) and health actions (`on_unhealthy: restart`, `start_timeout`).
// Backoffs and start timeouts run on the fake clock: the tests move time, nothing sleeps.
import { exitsWith, failsToSpawn, inTurn, runsUntilStopped } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

/** The service (argv[0]) of each process spawned so far, hooks and probes included, in spawn order. */
const spawned = () => h.platform.spawns().map((p) => p.argv[0]);
/** The services the stop requests went to, in order. */
const stopped = () => h.platform.stops.map((s) => h.platform.process(s.pid)?.argv[0]);

describe('priority', () => {
  test('lower starts first and stops last; a service waits while a lower one is starting; equal ones start together', async () => {
    h = await startHarness(
      config()
        .service('web', { command: ['web'], priority: 2 })
        .service('cache', { command: ['cache'], priority: 2 })
        .service('db', { command: ['db'], priority: -1, hooks: { pre_start: { command: ['prep'] } } })
        .service('api', { command: ['api'] }),
    );
    h.platform.onSpawn('prep', runsUntilStopped);
    await h.actor.start([]);
    const prep = await h.platform.waitForSpawn('prep');
    await h.holds(() => spawned().length === 1, 'nothing else spawns while db is starting', 50);
    expect(h.info('api')).toMatchObject({
      status: 'waiting',
      reason: 'waiting for db (priority -1) to start first',
    });
    prep.exit(0);
    for (const s of ['db', 'api', 'web', 'cache']) await h.waitForStatus(s, 'running');
    expect(spawned().slice(0, 3)).toEqual(['prep', 'db', 'api']);
    expect(new Set(spawned().slice(3))).toEqual(new Set(['web', 'cache']));

    await h.actor.stop([]);
    // Highest first; equal priorities in reverse source order, as without priorities.
    expect(stopped()).toEqual(['cache', 'web', 'api', 'db']);
  });

  test('depends_on wins: a dependency goes no later than its most urgent dependent', async () => {
    h = await startHarness(
      config()
        .service('worker', { command: ['worker'], priority: 1 })
        .service('db', { command: ['db'], priority: 5 })
        .service('api', { command: ['api'], priority: 0, depends_on: ['db'] }),
    );
    await h.actor.start([]);
    for (const s of ['db', 'api', 'worker']) await h.waitForStatus(s, 'running');
    expect(spawned()).toEqual(['db', 'api', 'worker']);
    await h.actor.stop([]);
    expect(stopped()).toEqual(['worker', 'api', 'db']);
  });

  test('without priorities the orders are as before: source order, reverse on stop', async () => {
    h = await startHarness(
      config()
        .service('a', { command: ['a'] })
        .service('b', { command: ['b'] }),
    );
    await h.actor.start([]);
    await h.waitForStatus('b', 'running');
    await h.actor.stop([]);
    expect(stopped()).toEqual(['b', 'a']);
  });
});

describe('soft dependencies', () => {
  test('a soft dependency that fails: the dependent starts anyway and ps shows the unmet edge', async () => {
    h = await startHarness(
      config()
        .service('db', { command: ['db'] })
        .service('web', { command: ['web'], depends_on: { db: { required: false } } })
        .service('api', { command: ['api'], depends_on: ['db'] }),
    );
    h.platform.onSpawn('db', failsToSpawn('db: command not found'));
    await h.actor.start([]);
    const web = await h.waitForStatus('web', 'running');
    expect(web.unmetDependencies).toEqual([
      { service: 'db', reason: 'db failed and will not restart (needed service_started)' },
    ]);
    // The hard edge fails its dependent, as before.
    expect((await h.waitForStatus('api', 'failed')).reason).toMatch(/^dependency not satisfied: db failed/);
    expect(h.info('db').unmetDependencies).toBeUndefined();
    await h.waitForEvent(
      (e) => e.type === 'progress' && /starting without a soft dependency: db failed/.test(e.message),
      'the progress line',
    );
  });

  test('a soft edge that times out: the dependent starts without it; met again, ps shows nothing', async () => {
    h = await startHarness(
      config()
        .service('db', { command: ['db'], healthcheck: { test: ['check'], interval: '20ms', retries: 1000 } })
        .service('web', {
          command: ['web'],
          depends_on: { db: { condition: 'service_healthy', required: false, timeout: '100ms' } },
        }),
    );
    h.platform.onSpawn('check', exitsWith(1));
    await h.actor.start([]);
    const web = await h.waitForStatus('web', 'running');
    expect(web.unmetDependencies).toEqual([{ service: 'db', reason: 'waiting for db to be healthy' }]);
    h.platform.onSpawn('check', exitsWith(0));
    await h.waitForStatus('db', 'healthy');
    expect(h.info('web').unmetDependencies).toBeUndefined();
  });
});

describe('restart limits', () => {
  test('max_retries: after N restarts in a row it stays failed, saying it gave up', async () => {
    h = await startHarness(
      config().service('api', {
        command: ['api'],
        restart: { policy: 'always', max_retries: 2, backoff: { initial: '1s' } },
      }),
    );
    h.platform.onSpawn('api', exitsWith(1));
    await h.actor.start(['api']);
    // Run 1 crashes: restarted at once; run 2 crashes: 1 s backoff; run 3 crashes: no third restart.
    await h.waitForEvent(
      (e) => e.type === 'serviceStatusChanged' && /in 1000 ms/.test(e.reason ?? ''),
      'a 1 s backoff',
    );
    h.platform.clock.advance(1000);
    const info = await h.waitForStatus('api', 'failed');
    expect(info).toMatchObject({ reason: 'gave up after 2 restarts (exited with code 1)', restarts: 2 });
    h.platform.clock.advance(60_000);
    await h.holds(() => h.platform.spawns('api').length === 3, 'no fourth spawn', 50);
  });

  test("compose's on-failure:N caps on-failure the same way", async () => {
    h = await startHarness(config().service('api', { command: ['api'], restart: 'on-failure:1' }));
    h.platform.onSpawn('api', exitsWith(3));
    await h.actor.start(['api']);
    expect((await h.waitForStatus('api', 'failed')).reason).toBe(
      'gave up after 1 restart (exited with code 3)',
    );
    expect(h.platform.spawns('api')).toHaveLength(2);
  });
});

describe('health actions', () => {
  test('on_unhealthy: restart goes through the restart path: hooks, a new process, restart: true dependents', async () => {
    h = await startHarness(
      config()
        .service('api', {
          command: ['api'],
          healthcheck: { test: ['check'], interval: '20ms', retries: 1, on_unhealthy: 'restart' },
          hooks: { pre_restart: { command: ['pre-restart'] }, post_restart: { command: ['post-restart'] } },
        })
        .service('web', {
          command: ['web'],
          depends_on: { api: { condition: 'service_started', restart: true } },
        }),
    );
    h.platform.onSpawn('pre-restart', exitsWith(0));
    h.platform.onSpawn('post-restart', exitsWith(0));
    h.platform.onSpawn('check', inTurn(exitsWith(0), exitsWith(1), exitsWith(0)));
    await h.actor.start([]);
    const first = await h.platform.waitForSpawn('api');
    await h.platform.waitForSpawn('api', { after: 1 });
    await h.platform.waitForSpawn('post-restart');
    const api = await h.waitForStatus('api', 'healthy');
    expect(api.pid).not.toBe(first.pid);
    expect(api.restarts).toBe(1);
    expect(first.signals).toEqual(['SIGTERM']);
    expect(h.statusTrail('api')).toEqual([
      'waiting',
      'starting',
      'running',
      'healthy',
      'unhealthy',
      'stopping',
      'stopped',
      'restarting',
      'starting',
      'running',
      'healthy',
    ]);
    const order = spawned().filter((n) => n !== 'check');
    expect(order.indexOf('pre-restart')).toBeLessThan(order.lastIndexOf('api'));
    expect(order.indexOf('post-restart')).toBeGreaterThan(order.lastIndexOf('api'));
    await h.platform.waitForSpawn('web', { after: 1 }); // the restart: true dependent followed
  });

  test('unhealthy restarts count against max_retries', async () => {
    h = await startHarness(
      config().service('api', {
        command: ['api'],
        restart: { policy: 'no', max_retries: 1, backoff: { initial: '1s' } },
        healthcheck: { test: ['check'], interval: '20ms', retries: 1, on_unhealthy: 'restart' },
      }),
    );
    h.platform.onSpawn('check', exitsWith(1));
    await h.actor.start([]);
    await h.platform.waitForSpawn('api', { after: 1 });
    const info = await h.waitForStatus('api', 'failed');
    expect(info.reason).toBe('gave up after 1 restart (unhealthy)');
    expect(h.platform.spawns('api')).toHaveLength(2);
  });

  test('start_timeout: a service not healthy within it is stopped and fails with that reason', async () => {
    h = await startHarness(
      config().service('api', {
        command: ['api'],
        healthcheck: { test: ['check'], interval: '20ms', retries: 1000, start_timeout: '5s' },
      }),
    );
    h.platform.onSpawn('check', exitsWith(1));
    await h.actor.start([]);
    const proc = await h.platform.waitForSpawn('api');
    await h.waitForStatus('api', 'running');
    h.platform.clock.advance(4999);
    await h.holds(() => h.info('api').status === 'running', 'still running before the limit', 30);
    h.platform.clock.advance(1);
    const info = await h.waitForStatus('api', 'failed');
    expect(info.reason).toBe('not healthy within 5s (healthcheck.start_timeout)');
    expect(proc.signals).toEqual(['SIGTERM']);
  });
});
