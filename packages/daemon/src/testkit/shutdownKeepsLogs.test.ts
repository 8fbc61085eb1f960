// In-process: the daemon's shutdown (daemon stop/restart, SIGTERM: ConfigRegistry.stopEverything ->
// actor.stopAll({ shutdown: true })) stops every service as a stop does, hooks included, but it is no
// user's stop: the default logs.retention.on_stop: clear keeps the logs, so they survive the restart.
import { exitsWith, prints } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

test('a shutdown stops the service (post_stop runs) and keeps its log; a user stop afterwards clears it', async () => {
  h = await startHarness(
    config().service('api', { command: ['api'], hooks: { post_stop: { command: ['bye'] } } }),
  );
  h.platform.onSpawn('api', prints(['said before the shutdown']));
  h.platform.onSpawn('bye', exitsWith(0));
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  await h.waitFor(() => h.storedLines('api').includes('said before the shutdown'), 'the line in the log');

  await h.actor.stopAll({ shutdown: true });
  expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
  expect(h.actor.services.get('api')!.desired).toBe('stop');
  expect(h.platform.spawns('bye')).toHaveLength(1);
  expect(h.storedLines('api')).toEqual(['said before the shutdown']);

  // The next daemon: still stopped, not started again, and the line is there to read.
  await h.restartDaemon();
  expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
  expect(h.actor.services.get('api')!.desired).toBe('stop');
  expect(h.platform.spawns('api')).toHaveLength(1);
  expect(h.storedLines('api')).toEqual(['said before the shutdown']);

  // A user's stop still follows on_stop: clear.
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  await h.waitFor(() => h.storedLines('api').length === 2, "the second run's line");
  await h.actor.stop(['api']);
  expect(h.storedLines('api')).toEqual([]);
});

test('a shutdown while the service waits out a restart backoff keeps its log too', async () => {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      restart: { policy: 'always', backoff: { initial: '10s', multiplier: 2, max: '1m' } },
    }),
  );
  h.platform.onSpawn('api', prints(['crashing'], exitsWith(1)));
  await h.actor.start(['api']);
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 10000 ms/.test(e.reason ?? ''),
    'a 10 s backoff',
  );
  await h.actor.stopAll({ shutdown: true });
  expect(h.info('api').status).toBe('stopped');
  expect(h.storedLines('api')).toEqual(['crashing', 'crashing']);
});
