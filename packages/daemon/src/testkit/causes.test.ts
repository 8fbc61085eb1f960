// In-process: what `inspect` reads of a service's runtime state (service/serviceState.ts): the last
// exit, why it last restarted or failed, since when it has its status, and that these survive a
// daemon restart. Each is recorded by the transition it caused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitsWith, failsToSpawn, inTurn, prints, runsUntilStopped } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

const state = (service: string) => h.actor.services.get(service)!.state;

test('a crash that fails the service: the exit and the cause, with times', async () => {
  h = await startHarness(config().service('api', { command: ['api'], restart: { policy: 'no' } }));
  h.platform.onSpawn('api', exitsWith(4));
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'failed');
  const s = state('api');
  expect(s.lastExit).toEqual({ code: 4, signal: null, at: s.stoppedAt });
  expect(s.lastCause).toEqual({
    what: 'failure',
    kind: 'crash',
    detail: 'exited with code 4',
    at: expect.any(String),
  });
  expect(s.statusSince).toEqual(expect.any(String));
});

test('a crash the policy restarts: the cause is a restart; the exit stays through the next launch', async () => {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      restart: { policy: 'on-failure', backoff: { initial: '10s', reset_after: '1h' } },
    }),
  );
  h.platform.onSpawn('api', runsUntilStopped);
  await h.actor.start(['api']);
  const first = await h.platform.waitForSpawn('api');
  await h.waitForStatus('api', 'running');
  first.kill('SIGKILL');
  await h.platform.waitForSpawn('api', { after: 1 });
  await h.waitForStatus('api', 'running');
  const s = state('api');
  // The launch cleared exitCode and signal; the last exit is kept for the post-mortem.
  expect(s.signal).toBeNull();
  expect(s.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
  expect(s.lastCause).toMatchObject({ what: 'restart', kind: 'crash', detail: 'killed by SIGKILL' });
  expect(h.actor.services.get('api')!.backoff()).toEqual({
    consecutiveCrashes: 1,
    delayMs: null,
    restartAt: null,
  });

  // The second crash in a row waits 10 s: the backoff says so until the restart.
  h.platform.spawns('api')[1]!.exit(2);
  await h.waitForStatus('api', 'restarting');
  const backoff = h.actor.services.get('api')!.backoff();
  expect(backoff).toEqual({
    consecutiveCrashes: 2,
    delayMs: 10_000,
    restartAt: new Date(h.platform.clock.now() + 10_000).toISOString(),
  });
  h.platform.clock.advance(10_000);
  await h.waitForStatus('api', 'running');
  expect(h.actor.services.get('api')!.backoff().delayMs).toBeNull();
});

test('a user restart, a dependency restart, a failed hook and a failed spawn each name their kind', async () => {
  h = await startHarness(
    config()
      .service('db', { command: ['db'] })
      .service('api', {
        command: ['api'],
        depends_on: { db: { condition: 'service_started', restart: true } },
      })
      .service('prep', { command: ['prep'], hooks: { pre_start: { command: ['prep-hook'] } } })
      .service('ghost', { command: ['ghost'] }),
  );
  for (const cmd of ['db', 'api', 'prep']) h.platform.onSpawn(cmd, runsUntilStopped);
  h.platform.onSpawn('prep-hook', exitsWith(1));
  h.platform.onSpawn('ghost', failsToSpawn('ghost: command not found'));
  await h.actor.start(['db', 'api']);
  await h.waitForStatus('api', 'running');
  await h.actor.restart(['db']);
  await h.waitFor(
    () => state('api').lastCause?.kind === 'dependency' && state('api').status === 'running',
    'api back',
  );
  expect(state('db').lastCause).toMatchObject({ what: 'restart', kind: 'user', detail: 'restart requested' });
  expect(state('db').lastExit).toMatchObject({ signal: 'SIGTERM' });
  expect(state('api').lastCause).toMatchObject({
    what: 'restart',
    kind: 'dependency',
    detail: 'db restarts',
  });

  await h.actor.start(['prep', 'ghost']);
  await h.waitForStatus('prep', 'failed');
  await h.waitForStatus('ghost', 'failed');
  expect(state('prep').lastCause).toMatchObject({ what: 'failure', kind: 'hook' });
  expect(state('ghost').lastCause).toMatchObject({
    what: 'failure',
    kind: 'spawn',
    detail: expect.stringContaining('not found'),
  });
});

test('the last exit, the cause and the status time survive a daemon restart', async () => {
  h = await startHarness(config().service('api', { command: ['api'], restart: { policy: 'no' } }));
  h.platform.onSpawn('api', exitsWith(7));
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'failed');
  const before = { ...state('api') };
  await h.restartDaemon();
  const after = state('api');
  expect(after.lastExit).toEqual(before.lastExit);
  expect(after.lastCause).toEqual(before.lastCause);
  expect(after.statusSince).toBe(before.statusSince);
});

test('a restart by restart.watch names the changed file', async () => {
  h = await startHarness(
    config().service('api', { command: ['api'], restart: { policy: 'always', watch: ['*.txt'] } }),
  );
  h.platform.onSpawn('api', runsUntilStopped);
  await h.actor.start(['api']);
  await h.waitForStatus('api', 'running');
  await h.waitFor(
    () => h.logLines.some((l) => l.includes('watching files of api')),
    'the watcher to be armed',
  );
  writeFileSync(join(h.projectDir, 'a.txt'), 'v1');
  await h.platform.waitForSpawn('api', { after: 1 });
  await h.waitFor(
    () => state('api').status === 'running' && state('api').lastCause?.kind === 'watch',
    'the watch restart',
  );
  expect(state('api').lastCause).toMatchObject({
    what: 'restart',
    kind: 'watch',
    detail: expect.stringContaining('a.txt changed'),
  });
});

test('on_unhealthy: restart is recorded as a health restart; start_timeout as a health failure', async () => {
  h = await startHarness(
    config()
      .service('api', {
        command: ['api'],
        healthcheck: { test: ['check'], interval: '20ms', retries: 1, on_unhealthy: 'restart' },
      })
      .service('slow', {
        command: ['slow'],
        healthcheck: { test: ['slow-check'], interval: '20ms', retries: 1, start_timeout: '5s' },
      }),
  );
  h.platform.onSpawn('check', inTurn(exitsWith(0), prints(['refused'], exitsWith(1)), exitsWith(0)));
  h.platform.onSpawn('slow-check', exitsWith(1));
  await h.actor.start([]);
  await h.platform.waitForSpawn('api', { after: 1 });
  await h.waitForStatus('api', 'healthy');
  expect(state('api').lastCause).toMatchObject({ what: 'restart', kind: 'health' });
  expect(state('api').healthResults.map((r) => r.ok)).toContain(false);

  await h.waitForStatus('slow', 'unhealthy');
  h.platform.clock.advance(5_000);
  await h.waitForStatus('slow', 'failed');
  expect(state('slow').lastCause).toMatchObject({ what: 'failure', kind: 'health' });
  expect(state('slow').lastCause?.detail).toMatch(/start_timeout/);
});
