// In-process: what a daemon restart keeps of the restart policy's state (state.json's
// consecutive_crashes, restart_delay_ms and restart_at): a backoff wait is waited out, not cut short,
// and the restart counter that max_retries and the backoff read goes on from where it was.
import { exitsWith, inTurn, runsUntilStopped } from './behaviours.js';
import { config } from './configBuilder.js';
import { type Harness, persistedEntry, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

const BACKOFF = { initial: '10s', multiplier: 2, max: '1m', reset_after: '5s' };

/** api crashes twice (at once, then a 10 s wait): returns once it waits out that backoff. */
async function crashTwice(restart: Record<string, unknown> = {}): Promise<void> {
  h = await startHarness(
    config().service('api', {
      command: ['api'],
      restart: { policy: 'always', backoff: BACKOFF, ...restart },
    }),
  );
  h.platform.onSpawn('api', exitsWith(1));
  await h.actor.start(['api']);
  await h.waitForEvent(
    (e) => e.type === 'serviceStatusChanged' && /in 10000 ms/.test(e.reason ?? ''),
    'a 10 s backoff',
  );
}

const backoff = () => h.actor.services.get('api')!.backoff();

/** Loads api as an earlier daemon left it: restarting after a 10 s backoff, due `dueInMs` from now. */
async function loadWaiting(dueInMs: number): Promise<void> {
  const due = (at: Harness) => new Date(at.platform.clock.now() + dueInMs).toISOString();
  h = await startHarness(
    config().service('api', { command: ['api'], restart: { policy: 'always', backoff: BACKOFF } }),
    {
      state: (at) => ({
        services: {
          api: persistedEntry('restarting', {
            desired: 'run',
            restarts: 2,
            exit_code: 1,
            spawns: 2,
            reason: 'exited with code 1; restarting in 10000 ms',
            consecutive_crashes: 2,
            restart_delay_ms: 10_000,
            restart_at: due(at),
          }),
        },
      }),
    },
  );
}

describe('a backoff wait survives a daemon restart', () => {
  test('the next daemon shows the same wait and launches only when it ends; the backoff goes on growing', async () => {
    await crashTwice();
    const before = h.info('api');
    const wait = backoff();
    expect(before).toMatchObject({ status: 'restarting', pid: null, restarts: 2 });
    expect(wait).toMatchObject({ consecutiveCrashes: 2, delayMs: 10_000 });

    h.platform.clock.advance(4000);
    const mark = await h.restartDaemon();
    // Still waiting, as ps and inspect showed it: no status change, nothing spawned.
    expect(h.info('api')).toEqual(before);
    expect(backoff()).toEqual(wait);
    expect(h.statusTrail('api', mark)).toEqual([]);
    expect(h.platform.clock.pending()).toEqual([6000]); // the rest of the wait, not all of it
    h.platform.clock.advance(5999);
    expect(h.platform.spawns('api')).toHaveLength(2);

    h.platform.clock.advance(1);
    await h.platform.waitForSpawn('api', { after: 2 });
    // The third crash in a row: the backoff level was kept (20 s, not the first wait again).
    await h.waitForEvent(
      (e) => e.type === 'serviceStatusChanged' && /in 20000 ms/.test(e.reason ?? ''),
      'a 20 s backoff',
      { after: mark },
    );
    expect(h.statusTrail('api', mark)).toEqual(['starting', 'running', 'restarting']);
    expect(backoff()).toMatchObject({ consecutiveCrashes: 3, delayMs: 20_000 });
  });

  test('a wait that ended while no daemon ran: launched at once, without waiting on dependencies', async () => {
    await crashTwice();
    h.platform.onSpawn('api', runsUntilStopped);
    const mark = await h.restartDaemon({ whileDown: () => h.platform.clock.advance(15_000) });
    await h.platform.waitForSpawn('api', { after: 2 });
    await h.waitForStatus('api', 'running');
    expect(h.statusTrail('api', mark)).toEqual(['starting', 'running']);
    expect(backoff()).toEqual({ consecutiveCrashes: 2, delayMs: null, restartAt: null });
  });

  test('a stop during the resumed wait ends it: nothing is launched when it would have ended', async () => {
    await crashTwice();
    await h.restartDaemon();
    await h.actor.stop(['api']);
    expect(h.info('api')).toMatchObject({ status: 'stopped', pid: null });
    expect(h.platform.clock.pending()).toEqual([]);
    expect(backoff()).toEqual({ consecutiveCrashes: 2, delayMs: null, restartAt: null });
  });

  test('state.json names the wait: the rest of it is waited out, by the wall clock', async () => {
    // As an earlier daemon wrote it: restarting, due 3 s from now (a restart that was due 10 s after a crash).
    await loadWaiting(3000);
    expect(h.info('api')).toMatchObject({ status: 'restarting', reason: /in 10000 ms/ });
    expect(h.platform.clock.pending()).toEqual([3000]);
    h.platform.onSpawn('api', runsUntilStopped);
    h.platform.clock.advance(3000);
    await h.waitForStatus('api', 'running');
    expect(h.statusTrail('api')).toEqual(['starting', 'running']);
  });

  test('a wall clock set back since the wait began does not stretch it beyond its delay', async () => {
    // Due an hour from now by this clock: the clock went back an hour since the crash.
    await loadWaiting(3_600_000);
    expect(h.platform.clock.pending()).toEqual([10_000]);
    h.platform.onSpawn('api', runsUntilStopped);
    h.platform.clock.advance(10_000);
    await h.waitForStatus('api', 'running');
  });
});

describe('the restart counter survives a daemon restart', () => {
  test('max_retries counts the restarts before and after it: failed, saying it gave up', async () => {
    await crashTwice({ max_retries: 2 });
    const mark = await h.restartDaemon();
    h.platform.clock.advance(10_000);
    const failed = await h.waitForStatus('api', 'failed');
    expect(failed).toMatchObject({
      reason: 'gave up after 2 restarts (exited with code 1)',
      restarts: 2,
      pid: null,
    });
    expect(h.platform.spawns('api')).toHaveLength(3);
    expect(h.statusTrail('api', mark)).toEqual(['starting', 'running', 'failed']);
  });

  test('an adopted process that ends counts too; a user start then begins a fresh count', async () => {
    h = await startHarness(config().service('api', { command: ['api'], restart: 'on-failure:1' }));
    // Run 1 crashes (restarted at once: restart 1 of 1); run 2 lives through the daemon restart.
    h.platform.onSpawn('api', inTurn(exitsWith(1), runsUntilStopped));
    await h.actor.start(['api']);
    const second = await h.platform.waitForSpawn('api', { after: 1 });
    await h.waitForStatus('api', 'running');
    await h.restartDaemon();
    expect(h.info('api')).toMatchObject({ status: 'running', pid: second.pid, restarts: 1 });
    expect(backoff().consecutiveCrashes).toBe(1);

    second.exit(1);
    const failed = await h.waitForStatus('api', 'failed');
    expect(failed.reason).toBe(
      'gave up after 1 restart (ended (exit status unknown: adopted after a daemon restart))',
    );
    expect(h.platform.spawns('api')).toHaveLength(2);

    // `kepler start` resets the count, as before: a crash is restarted again.
    h.platform.onSpawn('api', inTurn(exitsWith(1), runsUntilStopped));
    await h.actor.start(['api']);
    await h.platform.waitForSpawn('api', { after: 3 });
    expect(await h.waitForStatus('api', 'running')).toMatchObject({ restarts: 2 });
    expect(backoff().consecutiveCrashes).toBe(1);
  });
});
