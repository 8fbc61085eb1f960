// In-process: stops that race a launch hook, a grace period, and a restart.watch change.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitsWith, ignoresSigterm, prints, runsUntilStopped } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

test("a service's output reaches its log through its output file, and a stop sends the stop signal", async () => {
  h = await startHarness(
    config().service('api', { command: ['api', '--port', '80'], stop_signal: 'SIGINT' }),
  );
  h.platform.onSpawn('api', prints(['listening']));
  await h.actor.start(['api']);
  const info = await h.waitForStatus('api', 'running');
  const proc = h.platform.process(info.pid!)!;
  expect(proc.argv).toEqual(['api', '--port', '80']);
  expect(proc.cwd).toBe(h.projectDir);
  proc.stderr('warming up\n');
  await h.actor.stop(['api']);
  expect(proc.signals).toEqual(['SIGINT']);
  expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null, signal: 'SIGINT' });
  // retention.on_stop clears the log by default: read before the stop in a second run
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  await h.waitFor(() => h.storedLines('api').includes('listening'), 'the line in the log');
});

describe('a stop during pre_start', () => {
  const svc = config().service('api', { command: ['api'], hooks: { pre_start: { command: ['prep'] } } });

  test('aborts the hook; the service ends stopped and is never spawned', async () => {
    h = await startHarness(svc);
    h.platform.onSpawn('prep', runsUntilStopped); // hangs until something ends it
    await h.actor.start(['api']);
    const hook = await h.platform.waitForSpawn('prep');
    expect(h.info('api').status).toBe('starting');

    const mark = h.mark();
    await h.actor.stop(['api']);
    expect(hook.signals).toEqual(['SIGTERM']);
    expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
    expect(h.statusTrail('api', mark)).toEqual(['stopped']);
    expect(h.platform.spawns('api')).toHaveLength(0);
  });

  test('a hook that ignores SIGTERM is killed after the abort grace', async () => {
    h = await startHarness(svc);
    h.platform.onSpawn('prep', ignoresSigterm());
    await h.actor.start(['api']);
    const hook = await h.platform.waitForSpawn('prep');
    const stopped = h.actor.stop(['api']);
    await h.waitFor(() => hook.signals.includes('SIGTERM'), 'the abort signal');
    expect(hook.alive).toBe(true);
    h.platform.clock.advance(h.platform.stops.at(-1)!.graceMs);
    await stopped;
    expect(hook.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(h.info('api').status).toBe('stopped');
    expect(h.platform.spawns('api')).toHaveLength(0);
  });

  test('a pre_start hook that fails fails the service', async () => {
    h = await startHarness(svc);
    h.platform.onSpawn('prep', exitsWith(2));
    await h.actor.start(['api']);
    const info = await h.waitForStatus('api', 'failed');
    expect(info.reason).toBe('pre_start hook exited with code 2');
    expect(h.platform.spawns('api')).toHaveLength(0);
  });
});

test('a process that ignores the stop signal is killed after stop_grace_period', async () => {
  h = await startHarness(config().service('api', { command: ['api'], stop_grace_period: '30s' }));
  h.platform.onSpawn('api', ignoresSigterm());
  await h.actor.start(['api']);
  const proc = h.platform.process((await h.waitForStatus('api', 'running')).pid!)!;
  const stopped = h.actor.stop(['api']);
  await h.waitFor(() => proc.signals.length === 1, 'SIGTERM');
  h.platform.clock.advance(29_999);
  expect(proc.alive).toBe(true);
  expect(h.info('api').status).toBe('stopping');
  h.platform.clock.advance(1);
  await stopped;
  expect(proc.signals).toEqual(['SIGTERM', 'SIGKILL']);
  expect(h.info('api')).toMatchObject({ status: 'stopped', signal: 'SIGKILL' });
});

describe('restart.watch and a stop', () => {
  const watched = config().service('api', {
    command: ['api'],
    restart: { policy: 'always', watch: ['*.txt'] },
    stop_grace_period: '30s',
  });

  /** Starts api and waits until its watcher has done its initial scan. */
  async function startWatched(): Promise<void> {
    h = await startHarness(watched);
    await h.actor.start(['api']);
    await h.waitForStatus('api', 'running');
    await h.waitFor(
      () => h.logLines.some((l) => l.includes('watching files of api')),
      'the watcher to be armed',
    );
  }

  test('a change while running restarts the service (the watcher works)', async () => {
    await startWatched();
    const first = h.platform.spawns('api')[0]!;
    writeFileSync(join(h.projectDir, 'a.txt'), 'v1');
    const second = await h.platform.waitForSpawn('api', { after: 1 });
    expect(first.signals).toEqual(['SIGTERM']);
    expect((await h.waitForStatus('api', 'running')).pid).toBe(second.pid);
    expect(h.info('api').restarts).toBe(1);
  });

  test('a change while the service is stopping does not restart it: it ends stopped', async () => {
    await startWatched();
    const proc = h.platform.spawns('api')[0]!;
    proc.ignore('SIGTERM'); // the stop lasts until the test ends the grace
    writeFileSync(join(h.projectDir, 'before.txt'), 'saved just before the stop');
    const mark = h.mark();
    const stopped = h.actor.stop(['api']);
    await h.waitForStatus('api', 'stopping', { after: mark });
    writeFileSync(join(h.projectDir, 'during.txt'), 'saved during the stop');
    // Longer than the watcher's debounce: a change it reported would have queued a restart by now.
    await h.holds(() => h.info('api').status === 'stopping', 'still stopping', 600);
    h.platform.clock.advance(30_000);
    await stopped;
    expect(proc.signals).toEqual(['SIGTERM', 'SIGKILL']);
    writeFileSync(join(h.projectDir, 'after.txt'), 'saved after the stop');
    await h.holds(
      () => h.info('api').status === 'stopped' && h.platform.spawns('api').length === 1,
      'stopped, never respawned',
      600,
    );
    expect(h.statusTrail('api', mark)).toEqual(['stopping', 'stopped']);
    expect(h.info('api').restarts).toBe(0);
  });
});
