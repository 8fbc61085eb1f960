// In-process: `kepler up` applies a plan through the config's queue and the services' transitions.
import { exitsWith, runsUntilStopped } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

const stack = (apiPort: string) =>
  config()
    .service('db', { command: ['db'] })
    .service('api', {
      command: ['api'],
      depends_on: ['db'],
      environment: { PORT: apiPort },
      hooks: { pre_stop: { command: ['api-pre-stop'] }, pre_start: { command: ['api-pre-start'] } },
    })
    .service('worker', { command: ['worker'], depends_on: { api: { restart: true } } })
    .service('viewer', { command: ['viewer'], depends_on: ['api'] });

test('recreates what changed and its restart: true dependents, keeps the rest running', async () => {
  h = await startHarness(stack('80'));
  for (const name of ['db', 'api', 'worker', 'viewer']) h.platform.onSpawn(name, runsUntilStopped);
  for (const hook of ['api-pre-stop', 'api-pre-start']) h.platform.onSpawn(hook, exitsWith(0));
  await h.actor.start([]);
  const pid = async (n: string) => (await h.waitForStatus(n, 'running')).pid;
  const before = {
    db: await pid('db'),
    api: await pid('api'),
    worker: await pid('worker'),
    viewer: await pid('viewer'),
  };
  const mark = h.mark();

  const next = await stack('81').build(h.projectDir);
  const dry = await h.actor.up(next, [], { dryRun: true });
  expect(dry.plan.services.map((c) => c.action)).toEqual(['unchanged', 'recreate', 'restart', 'unchanged']);
  expect(h.actor.baked).not.toBe(next);
  expect(h.statusEvents(undefined, mark)).toEqual([]);

  const r = await h.actor.up(next, []);
  expect(r.started.sort()).toEqual(['api', 'worker']);
  expect(r.alreadyRunning.sort()).toEqual(['db', 'viewer']);
  expect(h.actor.baked).toBe(next);
  await h.waitFor(() => h.info('api').pid !== before.api && h.info('api').status === 'running', 'api again');
  await h.waitFor(() => h.info('worker').status === 'running', 'worker again');
  expect(h.info('db').pid).toBe(before.db);
  expect(h.info('viewer').pid).toBe(before.viewer);
  expect(h.info('worker').pid).not.toBe(before.worker);
  // Stopped and started again with its hooks, through legal transitions only.
  expect(h.statusTrail('api', mark)).toEqual(['stopping', 'stopped', 'waiting', 'starting', 'running']);
  expect(h.platform.spawns('api-pre-stop')).toHaveLength(1);
  expect(h.platform.spawns('api-pre-start')).toHaveLength(2);
  expect(h.statusTrail('db', mark)).toEqual([]);
  expect(h.platform.process(before.api!)?.signals).toEqual(['SIGTERM']);
});

test('noStart (the ad-hoc config): swaps the snapshot in, starts nothing, keeps what it does not touch', async () => {
  h = await startHarness(
    config()
      .service('a', { command: ['a'] })
      .service('b', { command: ['b'] }),
  );
  for (const name of ['a', 'b', 'c']) h.platform.onSpawn(name, runsUntilStopped);
  await h.actor.start(['a']);
  const a = (await h.waitForStatus('a', 'running')).pid;
  const mark = h.mark();

  const next = await config()
    .service('a', { command: ['a'] })
    .service('c', { command: ['c'] })
    .build(h.projectDir);
  const r = await h.actor.up(next, [], { noStart: true });
  expect(r.plan.services.map((c) => [c.service, c.action])).toEqual([
    ['a', 'unchanged'],
    ['c', 'create'],
    ['b', 'remove'],
  ]);
  expect(r.started).toEqual([]);
  expect(h.actor.baked).toBe(next);
  expect(h.info('a').pid).toBe(a);
  expect(h.info('c').status).toBe('stopped');
  expect(h.platform.spawns('c')).toHaveLength(0);
  expect(h.statusEvents(undefined, mark)).toEqual([]);
});
