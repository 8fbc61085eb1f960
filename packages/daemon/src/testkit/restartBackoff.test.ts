// In-process: automatic restarts after crashes, their backoff, its reset, and a stop during a wait.
// The backoff is seconds long and driven by the fake clock: nothing restarts before the test moves
// time past the delay, so the delays are checked exactly and the tests take milliseconds.
import { exitsWith, inTurn, runsUntilStopped } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

const BACKOFF = { initial: '1s', multiplier: 2, max: '1m', reset_after: '5s' };

let h: Harness;
afterEach(() => h?.close());

/** `restarting` events' reasons for api, from index `after`. */
const restartReasons = (after = 0) =>
  h
    .statusEvents('api', after)
    .filter((e) => e.status === 'restarting')
    .map((e) => e.reason);

test('a crashing service restarts at once, then after growing delays; a run longer than reset_after restarts at once again', async () => {
  h = await startHarness(
    config().service('api', { command: ['api'], restart: { policy: 'always', backoff: BACKOFF } }),
  );
  h.platform.onSpawn('api', exitsWith(1));
  await h.actor.start(['api']);

  // Run 1 crashes: the first automatic restart is immediate (run 2), which crashes too: 1 s wait.
  await h.platform.waitForSpawn('api', { after: 1 });
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 1000 ms/.test(e.reason ?? ''),
    'a 1 s backoff',
  );
  expect(restartReasons()).toEqual([
    'exited with code 1; restarting',
    'exited with code 1; restarting in 1000 ms',
  ]);
  expect(h.info('api')).toMatchObject({ status: 'restarting', restarts: 2, exitCode: 1 });

  // Nothing before the delay has passed; run 3 right after it, then 2 s, then 4 s.
  h.platform.clock.advance(999);
  expect(h.platform.clock.pending()).toEqual([1000]); // not fired yet
  expect(h.platform.spawns('api')).toHaveLength(2);
  h.platform.clock.advance(1);
  await h.platform.waitForSpawn('api', { after: 2 });
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 2000 ms/.test(e.reason ?? ''),
    'a 2 s backoff',
  );
  h.platform.clock.advance(1999);
  expect(h.platform.clock.pending()).toEqual([2000]);
  expect(h.platform.spawns('api')).toHaveLength(3);
  h.platform.clock.advance(1);
  await h.platform.waitForSpawn('api', { after: 3 });
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 4000 ms/.test(e.reason ?? ''),
    'a 4 s backoff',
  );

  // Run 5 stays up longer than reset_after (5 s), then crashes: restarted at once, not after 8 s.
  h.platform.onSpawn('api', inTurn(runsUntilStopped, exitsWith(1)));
  h.platform.clock.advance(4000);
  const long = await h.platform.waitForSpawn('api', { after: 4 });
  await h.waitForStatus('api', 'running');
  h.platform.clock.advance(5000);
  const mark = h.mark();
  long.exit(1);
  await h.platform.waitForSpawn('api', { after: 5 });
  expect(restartReasons(mark)[0]).toBe('exited with code 1; restarting');
  // Run 6 crashed at once (the streak starts over): the next wait is the initial delay again.
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 1000 ms/.test(e.reason ?? ''),
    'a 1 s backoff',
    {
      after: mark,
    },
  );
  expect(h.info('api').restarts).toBe(6);
  const pids = h.platform.spawns('api').map((p) => p.pid);
  expect(new Set(pids).size).toBe(6);
});

test('on-failure does not restart after exit 0; no policy fails on a crash', async () => {
  h = await startHarness(
    config()
      .service('ok', { command: ['ok'], restart: { policy: 'on-failure', backoff: BACKOFF } })
      .service('crash', { command: ['crash'] }),
  );
  h.platform.onSpawn('ok', exitsWith(0));
  h.platform.onSpawn('crash', exitsWith(3));
  await h.actor.start([]);
  expect(await h.waitForStatus('ok', 'exited')).toMatchObject({ exitCode: 0, reason: null, restarts: 0 });
  expect(await h.waitForStatus('crash', 'failed')).toMatchObject({ exitCode: 3, restarts: 0 });
  expect(h.info('crash').reason).toMatch(/exited with code 3/);
  expect(h.platform.spawns('ok')).toHaveLength(1);
  expect(h.platform.spawns('crash')).toHaveLength(1);
});

test('a stop during a backoff wait ends it: stopped, and nothing is spawned when the delay passes', async () => {
  h = await startHarness(
    config().service('api', { command: ['api'], restart: { policy: 'always', backoff: BACKOFF } }),
  );
  h.platform.onSpawn('api', exitsWith(1));
  await h.actor.start(['api']);
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 1000 ms/.test(e.reason ?? ''),
    'a 1 s backoff',
  );
  expect(h.platform.clock.pending()).toContain(1000);

  const mark = h.mark();
  await h.actor.stop(['api']);
  expect(h.statusTrail('api', mark)).toEqual(['stopped']);
  expect(h.platform.clock.pending()).not.toContain(1000); // the restart timer is gone

  h.platform.clock.advance(60_000);
  await h.holds(() => h.platform.spawns('api').length === 2, 'no third spawn', 100);
  expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
});
