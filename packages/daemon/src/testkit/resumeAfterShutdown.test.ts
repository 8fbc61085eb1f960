// In-process: docker's rule for a daemon restart. The daemon's shutdown (daemon stop/restart, SIGTERM:
// ConfigRegistry.stopEverything -> actor.stopAll({ shutdown: true })) stops every service; the next
// daemon starts again, as `kepler start` would, the `restart: always` ones that were wanted then.
// Services with `no` or `on-failure`, and ones a user stopped before the shutdown, stay stopped.
import { exitsWith } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

/** The pids of `service`'s processes, in spawn order. */
const pids = (service: string) => h.platform.spawns(service).map((p) => p.pid);

test('a running `always` service is started again by the next daemon; `no` and `on-failure` stay stopped', async () => {
  h = await startHarness(
    config()
      .service('always', { command: ['always'], restart: 'always' })
      .service('never', { command: ['never'], restart: 'no' })
      .service('onfail', { command: ['onfail'], restart: 'on-failure:3' }),
  );
  await h.actor.start([]);
  for (const s of ['always', 'never', 'onfail']) await h.waitForStatus(s, 'running');

  await h.actor.stopAll({ shutdown: true });
  expect(h.statuses()).toEqual({ always: 'stopped', never: 'stopped', onfail: 'stopped' });
  // Not relaunched while the daemon shuts down.
  expect(h.actor.services.get('always')!.desired).toBe('stop');

  const mark = await h.restartDaemon();
  const back = await h.waitForStatus('always', 'running', { after: mark });
  expect(h.statusTrail('always', mark)).toEqual(['waiting', 'starting', 'running']);
  expect(pids('always')).toHaveLength(2);
  expect(back.pid).toBe(pids('always')[1]);
  expect(back.pid).not.toBe(pids('always')[0]);
  expect(h.actor.services.get('always')!.desired).toBe('run');
  for (const s of ['never', 'onfail']) {
    expect(h.info(s)).toMatchObject({ status: 'stopped', pid: null });
    expect(h.actor.services.get(s)!.desired).toBe('stop');
    expect(h.platform.spawns(s)).toHaveLength(1);
  }

  // The mark was used once: a daemon restart without a shutdown (a crash) adopts, then a user stop
  // and another shutdown leave it stopped for good.
  await h.restartDaemon();
  expect(h.info('always')).toMatchObject({ status: 'running', pid: back.pid });
  await h.actor.stop(['always']);
  await h.actor.stopAll({ shutdown: true });
  await h.restartDaemon();
  expect(h.info('always')).toMatchObject({ status: 'stopped', pid: null });
  expect(h.actor.services.get('always')!.desired).toBe('stop');
  expect(pids('always')).toHaveLength(2);
});

test('an `always` service the user stopped before the shutdown stays stopped', async () => {
  h = await startHarness(config().service('api', { command: ['api'], restart: 'always' }));
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  await h.actor.stop(['api']);

  await h.actor.stopAll({ shutdown: true });
  const mark = await h.restartDaemon();
  expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
  expect(h.actor.services.get('api')!.desired).toBe('stop');
  expect(h.statusEvents('api', mark)).toEqual([]);
  expect(h.platform.spawns('api')).toHaveLength(1);
});

test('the start goes the way of `kepler start`: dependencies first, global and service hooks', async () => {
  h = await startHarness(
    config()
      .kepler({ hooks: { pre_start: { command: ['global-pre'] } } })
      .service('db', { command: ['db'] })
      .service('web', {
        command: ['web'],
        restart: 'always',
        depends_on: ['db'],
        hooks: { pre_start: { command: ['web-pre'] } },
      }),
  );
  for (const hook of ['global-pre', 'web-pre']) h.platform.onSpawn(hook, exitsWith(0));
  await h.actor.start(['web']);
  await h.waitForStatus('web', 'running');
  await h.actor.stopAll({ shutdown: true });

  const mark = await h.restartDaemon();
  await h.waitForStatus('web', 'running', { after: mark });
  // `web` needs `db`: started with it, as `kepler start web` does, and before it.
  expect(h.info('db').status).toBe('running');
  const [db, web] = [h.platform.spawns('db')[1]!, h.platform.spawns('web')[1]!];
  expect(db.pid).toBeLessThan(web.pid);
  expect(h.platform.spawns('global-pre')).toHaveLength(2);
  expect(h.platform.spawns('web-pre')).toHaveLength(2);
});

test('an `always` service waiting out a restart backoff at the shutdown is started again', async () => {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      restart: { policy: 'always', backoff: { initial: '10s', multiplier: 2, max: '1m' } },
    }),
  );
  const crashing = h.platform.onSpawn('api', exitsWith(1));
  await h.actor.start(['api']);
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 10000 ms/.test(e.reason ?? ''),
    'a 10 s backoff',
  );
  await h.actor.stopAll({ shutdown: true });
  expect(h.info('api').status).toBe('stopped');
  const before = h.platform.spawns('api').length;

  crashing(); // runs from now on
  const mark = await h.restartDaemon();
  await h.waitForStatus('api', 'running', { after: mark });
  expect(h.platform.spawns('api')).toHaveLength(before + 1);
});
