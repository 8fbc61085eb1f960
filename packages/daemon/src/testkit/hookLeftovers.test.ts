// In-process: what hooks leave running ends with the stop; a stop-path hook that hangs is bounded.
import { ignoresSigterm } from './behaviours.js';
import { config } from './configBuilder.js';
import type { FakeProcess } from './FakeProcess.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

/** A hook that leaves a process carrying `marker` behind (`sleep 1000 &`), then exits 0. */
function leavesBehind(marker: () => string, left: FakeProcess[]): (p: FakeProcess) => void {
  return (p) => {
    left.push(h.platform.launchOutside(['sleep', '1000'], { marker: marker() }));
    p.exit(0);
  };
}

test('what global hooks leave running ends once every service is stopped, after global post_stop', async () => {
  h = await startHarness(
    config()
      .kepler({ hooks: { post_start: { command: ['gstart'] }, post_stop: { command: ['gstop'] } } })
      .service('api', { command: ['api'] }),
  );
  const left: FakeProcess[] = [];
  h.platform.onSpawn(
    'gstart',
    leavesBehind(() => h.markerOf('global'), left),
  );
  h.platform.onSpawn(
    'gstop',
    leavesBehind(() => h.markerOf('global'), left),
  );
  await h.actor.start([]);
  await h.waitFor(() => left.length === 1, 'the post_start leftover');
  // A stop of one service is not the end of the config: global leftovers stay.
  await h.actor.stop(['api']);
  expect(left[0]!.alive).toBe(true);
  await h.actor.start([]);
  await h.waitFor(() => left.length === 2, 'the second post_start leftover');
  await h.actor.stop([]);
  expect(h.platform.spawns('gstop')).toHaveLength(1);
  expect(left).toHaveLength(3);
  for (const p of left) expect(p.alive).toBe(false);
  expect(h.platform.stops.at(-1)).toMatchObject({ marker: h.markerOf('global'), signal: 'SIGTERM' });
});

test('a config without global hooks looks for no global leftovers', async () => {
  h = await startHarness(config().service('api', { command: ['api'] }));
  await h.actor.start([]);
  await h.waitForStatus('api', 'running');
  await h.actor.stop([]);
  expect(h.platform.stops.map((s) => s.marker)).toEqual([h.markerOf('api')]);
});

test("what a service's post_stop leaves running ends with the service's stop", async () => {
  h = await startHarness(
    config().service('api', { command: ['api'], hooks: { post_stop: { command: ['after'] } } }),
  );
  const left: FakeProcess[] = [];
  h.platform.onSpawn(
    'after',
    leavesBehind(() => h.markerOf('api'), left),
  );
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  await h.actor.stop(['api']);
  expect(left).toHaveLength(1);
  expect(left[0]!.alive).toBe(false);
  expect(h.info('api').status).toBe('stopped');
});

/** Waits until the hook's time limit is armed (the fake clock's timer of `ms`). */
function limitArmed(ms: number): Promise<boolean> {
  return h.waitFor(() => h.platform.clock.pending().includes(ms), `a ${ms} ms timer`);
}

test("a service's pre_stop that hangs is killed after stop_grace_period, and the stop goes on", async () => {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      stop_grace_period: '30s',
      hooks: { pre_stop: { command: ['drain'] } },
    }),
  );
  h.platform.onSpawn('drain', ignoresSigterm());
  await h.actor.start(['api']);
  const api = h.platform.process((await h.waitForStatus('api', 'running')).pid!)!;
  const stopped = h.actor.stop(['api']);
  const hook = await h.platform.waitForSpawn('drain');
  await limitArmed(30_000);
  h.platform.clock.advance(29_999);
  expect(hook.alive).toBe(true);
  h.platform.clock.advance(1);
  await stopped;
  expect(hook.signals).toEqual(['SIGKILL']);
  expect(api.alive).toBe(false);
  expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
  await h.waitForEvent(
    (e) => e.type === 'progress' && e.message === 'pre_stop hook ended after 30s (stop_grace_period)',
    'the progress line',
  );
  expect(h.storedLines('api')).toContain(
    'pre_stop: [kepler] pre_stop hook ended after 30s (stop_grace_period)',
  );
});

test('with stop_grace_period: 0 a pre_stop runs (bounded by the default grace), not killed at once', async () => {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      stop_grace_period: '0s',
      hooks: { pre_stop: { command: ['drain'] } },
    }),
  );
  h.platform.onSpawn('drain', ignoresSigterm());
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  const stopped = h.actor.stop(['api']);
  const hook = await h.platform.waitForSpawn('drain');
  await limitArmed(10_000);
  h.platform.clock.advance(0);
  expect(hook.alive).toBe(true);
  hook.exit(0);
  await stopped;
  expect(hook.signals).toEqual([]);
  expect(h.info('api').status).toBe('stopped');
});

test.each([
  { timeout: '5s', ms: 5_000, message: 'post_stop hook ended after 5s (kepler.timeout)' },
  {
    timeout: undefined,
    ms: 10_000,
    message: 'post_stop hook ended after 10s (the default stop grace period)',
  },
])(
  'a global post_stop that hangs is killed after kepler.timeout ($timeout), else the default grace',
  async (c) => {
    const hooks = { post_stop: { command: ['gstop'] } };
    h = await startHarness(
      config()
        .kepler(c.timeout === undefined ? { hooks } : { timeout: c.timeout, hooks })
        .service('api', { command: ['api'] }),
    );
    h.platform.onSpawn('gstop', ignoresSigterm());
    await h.actor.start([]);
    await h.waitForStatus('api', 'running');
    const stopped = h.actor.stop([]);
    const hook = await h.platform.waitForSpawn('gstop');
    await limitArmed(c.ms);
    h.platform.clock.advance(c.ms);
    await stopped;
    expect(hook.alive).toBe(false);
    expect(h.info('api').status).toBe('stopped');
    await h.waitForEvent((e) => e.type === 'progress' && e.message === c.message, 'the progress line');
  },
);

test("a service's pre_restart that hangs is killed after stop_grace_period, and the restart goes on", async () => {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      stop_grace_period: '20s',
      hooks: { pre_restart: { command: ['announce'] } },
    }),
  );
  h.platform.onSpawn('announce', ignoresSigterm());
  await h.actor.start(['api']);
  const before = (await h.waitForStatus('api', 'running')).pid!;
  const restarted = h.actor.restart(['api']);
  const hook = await h.platform.waitForSpawn('announce');
  await limitArmed(20_000);
  h.platform.clock.advance(20_000);
  await restarted;
  expect(hook.signals).toEqual(['SIGKILL']);
  const after = await h.waitFor(() => {
    const info = h.info('api');
    return info.status === 'running' && info.pid !== before ? info.pid : null;
  }, 'api running again with a new pid');
  expect(after).not.toBe(before);
  await h.waitForEvent(
    (e) => e.type === 'progress' && e.message === 'pre_restart hook ended after 20s (stop_grace_period)',
    'the progress line',
  );
});

test('a global pre_cleanup that hangs is killed after kepler.timeout, and stop --clean goes on', async () => {
  h = await startHarness(
    config()
      .kepler({ timeout: '5s', hooks: { pre_cleanup: { command: ['wipe'] } } })
      .service('api', { command: ['api'] }),
  );
  h.platform.onSpawn('wipe', ignoresSigterm());
  await h.actor.start([]);
  await h.waitForStatus('api', 'running');
  const stopped = h.actor.stop([], { clean: true });
  const hook = await h.platform.waitForSpawn('wipe');
  await limitArmed(5_000);
  h.platform.clock.advance(5_000);
  expect((await stopped).cleaned).toBe(true);
  expect(hook.alive).toBe(false);
});

test('hooks off the stop path (post_start) get no time limit', async () => {
  h = await startHarness(
    config().service('api', { command: ['api'], hooks: { post_start: { command: ['warm'] } } }),
  );
  await h.actor.start(['api']);
  await h.platform.waitForSpawn('warm');
  await h.waitForStatus('api', 'running');
  expect(h.platform.clock.pending()).toEqual([]);
});
