// In-process: restart propagation along `restart: true` edges, and a dependency that ends while its
// dependent waits on it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitsWith, inTurn, runsUntilStopped } from './behaviours.js';
import { config, type RawService } from './configBuilder.js';
import type { FakeProcess } from './FakeProcess.js';
import { type Harness, type StatusEvent, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

/** The index (in h.events) of the first status event of `service` with `status` at or after `after`. */
function indexOf(service: string, status: string, after: number): number {
  return h.events.findIndex(
    (e, i) => i >= after && e.type === 'serviceStatusChanged' && e.service === service && e.status === status,
  );
}

describe('restart propagation', () => {
  const pair = (policy: 'no' | 'always') =>
    config()
      .service('a', { command: ['a'], restart: { policy, backoff: { initial: '1s' } } })
      .service('b', { command: ['b'], depends_on: { a: { condition: 'service_started', restart: true } } })
      .service('c', { command: ['c'], depends_on: { a: { condition: 'service_started' } } });

  async function startAll(policy: 'no' | 'always'): Promise<Record<string, number>> {
    h = await startHarness(pair(policy));
    await h.actor.start([]);
    const pids: Record<string, number> = {};
    for (const s of ['a', 'b', 'c']) pids[s] = (await h.waitForStatus(s, 'running')).pid!;
    return pids;
  }

  test('restarting A stops B (restart: true) and starts it again after A; C (no restart edge) is left alone', async () => {
    const before = await startAll('no');
    const mark = h.mark();
    expect(await h.actor.restart(['a'])).toEqual({ restarted: ['a'] });
    const b = await h.waitForStatus('b', 'running', { after: mark });
    const a = h.info('a');
    expect(a.pid).not.toBe(before.a);
    expect(b.pid).not.toBe(before.b);
    expect(h.platform.process(before.b!)!.signals).toEqual(['SIGTERM']);
    // B went down with A, and came back only after A was running again.
    expect(h.statusTrail('b', mark)).toEqual(['stopping', 'stopped', 'waiting', 'starting', 'running']);
    expect(indexOf('b', 'starting', mark)).toBeGreaterThan(indexOf('a', 'running', mark));
    // C only depends on A having started: untouched.
    expect(h.info('c').pid).toBe(before.c);
    expect(h.statusTrail('c', mark)).toEqual([]);
  });

  test("A's crash restart (policy always) restarts B too", async () => {
    const before = await startAll('always');
    const mark = h.mark();
    h.platform.process(before.a!)!.exit(1);
    const b = await h.waitForStatus('b', 'running', { after: mark });
    expect(b.pid).not.toBe(before.b);
    expect(h.info('a')).toMatchObject({ status: 'running', restarts: 1 });
    expect(indexOf('b', 'starting', mark)).toBeGreaterThan(indexOf('a', 'running', mark));
    expect(h.info('c').pid).toBe(before.c);
  });
});

describe('a dependency that ends while its dependent waits', () => {
  /** B waits for A to complete successfully; A is a job that runs until the test ends it. */
  const job = (policy: 'no' | 'on-failure') =>
    config()
      .service('a', { command: ['a'], restart: { policy, backoff: { initial: '1s' } } })
      .service('b', { command: ['b'], depends_on: { a: { condition: 'service_completed_successfully' } } });

  async function startWaiting(policy: 'no' | 'on-failure') {
    h = await startHarness(job(policy));
    await h.actor.start(['b']); // and, transitively, a
    const a = h.platform.process((await h.waitForStatus('a', 'running')).pid!)!;
    const waiting = await h.waitForStatus('b', 'waiting');
    expect(waiting.reason).toBe('waiting for a to complete successfully');
    return a;
  }

  test('A fails and will not restart: B fails, naming why, and is never spawned', async () => {
    const a = await startWaiting('no');
    a.exit(1);
    const b = await h.waitForStatus('b', 'failed');
    expect(b.reason).toBe(
      'dependency not satisfied: a exited with code 1 and will not restart (needed service_completed_successfully)',
    );
    expect(h.info('a')).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(h.platform.spawns('b')).toHaveLength(0);
  });

  test('A fails but will restart: B keeps waiting, and starts once A completes', async () => {
    const a = await startWaiting('on-failure');
    h.platform.onSpawn('a', inTurn(exitsWith(0)));
    const mark = h.mark();
    a.exit(1); // restarted at once (the first automatic restart), and the next run succeeds
    await h.waitForStatus('a', 'exited', { after: mark });
    await h.waitForStatus('b', 'running', { after: mark });
    expect(h.statusTrail('b', mark)).toEqual(['starting', 'running']); // never failed in between
    expect(h.info('a')).toMatchObject({ exitCode: 0, restarts: 1 });
    expect(h.platform.spawns('b')).toHaveLength(1);
  });

  test('A is stopped by the user: B fails (it can never complete now)', async () => {
    await startWaiting('no');
    await h.actor.stop(['a']);
    const b = await h.waitForStatus('b', 'failed');
    expect(b.reason).toMatch(/^dependency not satisfied: a was stopped .*and will not restart/);
    expect(h.platform.spawns('b')).toHaveLength(0);
  });

  test('with service_started, B waits through a launch hook of A and starts when A runs', async () => {
    h = await startHarness(
      config()
        .service('a', { command: ['a'], hooks: { pre_start: { command: ['prep'] } } })
        .service('b', { command: ['b'], depends_on: ['a'] }),
    );
    h.platform.onSpawn('prep', runsUntilStopped);
    await h.actor.start([]);
    const prep = await h.platform.waitForSpawn('prep');
    expect(h.statuses()).toEqual({ a: 'starting', b: 'waiting' });
    prep.exit(0);
    await h.waitForStatus('b', 'running');
    const events = h.statusEvents(undefined, 0) as StatusEvent[];
    const aRunning = events.findIndex((e) => e.service === 'a' && e.status === 'running');
    const bStarting = events.findIndex((e) => e.service === 'b' && e.status === 'starting');
    expect(bStarting).toBeGreaterThan(aRunning);
  });
});

test('a command health check runs through the platform; B (service_healthy) starts once A is healthy', async () => {
  h = await startHarness(
    config()
      .service('a', {
        command: ['a'],
        user: 'alice',
        environment: { TOKEN: 't' },
        healthcheck: { test: ['check', '--ready'], interval: '20ms', retries: 5 },
      })
      .service('b', { command: ['b'], depends_on: { a: { condition: 'service_healthy' } } }),
  );
  h.platform.onSpawn('check', inTurn(exitsWith(1), exitsWith(1), exitsWith(0)));
  await h.actor.start([]);
  await h.waitForStatus('b', 'running');
  const checks = h.platform.spawns('check');
  expect(checks.length).toBeGreaterThanOrEqual(3);
  // The probe runs as the service runs: its user, environment and marker.
  expect(checks[0]).toMatchObject({ argv: ['check', '--ready'], user: 'alice', marker: h.markerOf('a') });
  expect(checks[0]!.env.TOKEN).toBe('t');
  expect(h.info('a')).toMatchObject({ status: 'healthy', health: 'healthy' });
  expect(indexOf('b', 'starting', 0)).toBeGreaterThan(indexOf('a', 'healthy', 0));
});

describe('restart propagation: dependents stop first, and each restart counts', () => {
  /** db, and backend (`restart: true` on db) whose pre_stop hook the test holds, then lets finish. */
  const shop = (db: RawService['restart']) =>
    config()
      .service('db', { command: ['db'], restart: db })
      .service('backend', {
        command: ['backend'],
        depends_on: { db: { condition: 'service_started', restart: true } },
        hooks: { pre_stop: { command: ['backend-pre-stop'] } },
      });

  async function startShop(db: RawService['restart']): Promise<{ db: FakeProcess; backend: FakeProcess }> {
    h = await startHarness(shop(db));
    h.platform.onSpawn('backend-pre-stop', runsUntilStopped); // ends when the test says
    await h.actor.start([]);
    await h.waitForStatus('db', 'running');
    await h.waitForStatus('backend', 'running');
    return { db: h.platform.spawns('db')[0]!, backend: h.platform.spawns('backend')[0]! };
  }

  /** While backend's pre_stop runs, db is left alone (running, no signal); then the hook finishes. */
  async function holdBackendStop(db: FakeProcess): Promise<void> {
    const hook = await h.platform.waitForSpawn('backend-pre-stop');
    await h.holds(
      () => db.signals.length === 0 && h.info('db').status === 'running',
      'db untouched while backend stops',
      100,
    );
    hook.exit(0);
  }

  /** `service status` of each status event from `mark` on. */
  const trail = (mark: number) => h.statusEvents(undefined, mark).map((e) => `${e.service} ${e.status}`);

  /** The compose order: backend stopped, then db stopped, db running again, then backend started. */
  function expectDependentsFirst(mark: number, before: { db: FakeProcess; backend: FakeProcess }): void {
    const order = trail(mark);
    expect(order.indexOf('backend stopped')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('backend stopped')).toBeLessThan(order.indexOf('db stopping'));
    expect(order.indexOf('db running')).toBeLessThan(order.indexOf('backend starting'));
    // The platform was asked to stop backend's process first, and only then db's.
    expect(h.platform.stops.map((s) => s.pid)).toEqual([before.backend.pid, before.db.pid]);
    expect(before.backend.signals).toEqual(['SIGTERM']);
    expect(before.db.signals).toEqual(['SIGTERM']);
  }

  test('kepler restart db: backend has stopped before db begins to stop; both count the restart', async () => {
    const before = await startShop('no');
    const mark = h.mark();
    const restarted = h.actor.restart(['db']);
    await holdBackendStop(before.db);
    expect(await restarted).toEqual({ restarted: ['db'] });
    const backend = await h.waitForStatus('backend', 'running', { after: mark });
    expect(backend.pid).not.toBe(before.backend.pid);
    expectDependentsFirst(mark, before);
    expect(h.info('db').restarts).toBe(1);
    expect(backend.restarts).toBe(1);
    expect(h.actor.services.get('backend')!.state.lastCause).toMatchObject({
      what: 'restart',
      kind: 'dependency',
      detail: 'db restarts',
    });
  });

  test('a watch restart of db stops backend first too', async () => {
    const before = await startShop({ policy: 'on-failure', watch: ['*.txt'] });
    await h.waitFor(
      () => h.logLines.some((l) => l.includes('watching files of db')),
      'the watcher to be armed',
    );
    const mark = h.mark();
    writeFileSync(join(h.projectDir, 'schema.txt'), 'v2');
    await holdBackendStop(before.db);
    await h.waitForStatus('backend', 'running', { after: mark });
    expectDependentsFirst(mark, before);
    expect(h.info('db').restarts).toBe(1);
    expect(h.info('backend').restarts).toBe(1);
  });

  test("db's crash stops backend at once; db's restart does not wait for backend's stop", async () => {
    const before = await startShop('always'); // the first automatic restart is immediate
    const mark = h.mark();
    before.db.exit(1);
    const hook = await h.platform.waitForSpawn('backend-pre-stop');
    // db is already gone: it runs again while backend is still stopping.
    await h.waitForStatus('db', 'running', { after: mark });
    expect(h.info('backend').status).toBe('stopping');
    expect(trail(mark).indexOf('db restarting')).toBeLessThan(trail(mark).indexOf('backend stopping'));
    hook.exit(0);
    const backend = await h.waitForStatus('backend', 'running', { after: mark });
    expect(backend.pid).not.toBe(before.backend.pid);
    expect(trail(mark).indexOf('backend starting')).toBeGreaterThan(trail(mark).indexOf('db running'));
    expect(h.info('db').restarts).toBe(1);
    expect(backend.restarts).toBe(1);
  });
});
