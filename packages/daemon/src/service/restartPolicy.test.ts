import {
  backoffDelayMs,
  decideRestart,
  describeExit,
  nextRestart,
  type RestartInput,
} from './restartPolicy.js';

const backoff = { initialMs: 100, multiplier: 2, maxMs: 1000, resetAfterMs: 10_000 };
const crash = { code: 1, signal: null, own: true };
const clean = { code: 0, signal: null, own: true };

function decide(over: Partial<RestartInput>) {
  return decideRestart({
    exit: crash,
    policy: 'always',
    desired: 'run',
    consecutiveCrashes: 0,
    ranMs: 50,
    backoff,
    maxRetries: null,
    ...over,
  });
}

test('backoff: the first restart at once, then exponential up to the maximum', () => {
  expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, backoff))).toEqual([0, 100, 200, 400, 800, 1000]);
});

test('how an exit is described, and which exits count as failed runs', () => {
  expect(describeExit(crash)).toEqual({ failedRun: true, how: 'exited with code 1' });
  expect(describeExit(clean)).toEqual({ failedRun: false, how: 'exited with code 0' });
  expect(describeExit({ code: null, signal: 'SIGKILL', own: true })).toEqual({
    failedRun: true,
    how: 'killed by SIGKILL',
  });
  // An adopted process's exit status is unknown: it counts as failed.
  expect(describeExit({ code: null, signal: null, own: false })).toEqual({
    failedRun: true,
    how: 'ended (exit status unknown: adopted after a daemon restart)',
  });
});

test('policy no, or a service nobody wants running: no restart; failed or exited', () => {
  expect(decide({ policy: 'no' })).toEqual({
    restart: false,
    status: 'failed',
    reason: 'exited with code 1',
  });
  expect(decide({ policy: 'no', exit: clean })).toEqual({ restart: false, status: 'exited', reason: null });
  expect(decide({ desired: 'stop' })).toMatchObject({ restart: false, status: 'failed' });
});

test('on-failure restarts failed runs only; always restarts clean exits too', () => {
  expect(decide({ policy: 'on-failure', exit: clean })).toMatchObject({ restart: false, status: 'exited' });
  expect(decide({ policy: 'on-failure' })).toMatchObject({ restart: true });
  expect(decide({ policy: 'always', exit: clean })).toEqual({
    restart: true,
    delayMs: 0,
    consecutiveCrashes: 1,
    reason: 'exited with code 0; restarting',
  });
});

test('crashes in a row back off; a run that outlasted reset_after starts the count over', () => {
  expect(decide({ consecutiveCrashes: 3 })).toEqual({
    restart: true,
    delayMs: 400,
    consecutiveCrashes: 4,
    reason: 'exited with code 1; restarting in 400 ms',
  });
  expect(decide({ consecutiveCrashes: 3, ranMs: 10_000 })).toMatchObject({
    delayMs: 0,
    consecutiveCrashes: 1,
  });
  expect(decide({ consecutiveCrashes: 9 })).toMatchObject({ delayMs: 1000 });
});

test('max_retries: after N restarts in a row the service stays failed; a long run starts the count over', () => {
  expect(decide({ maxRetries: 3, consecutiveCrashes: 2 })).toMatchObject({
    restart: true,
    consecutiveCrashes: 3,
  });
  expect(decide({ maxRetries: 3, consecutiveCrashes: 3 })).toEqual({
    restart: false,
    status: 'failed',
    reason: 'gave up after 3 restarts (exited with code 1)',
  });
  // A clean exit under `always` gives up too, and stays failed.
  expect(decide({ maxRetries: 1, consecutiveCrashes: 1, exit: clean })).toEqual({
    restart: false,
    status: 'failed',
    reason: 'gave up after 1 restart (exited with code 0)',
  });
  expect(decide({ maxRetries: 0 })).toMatchObject({
    restart: false,
    reason: 'gave up after 0 restarts (exited with code 1)',
  });
  expect(decide({ maxRetries: 3, consecutiveCrashes: 3, ranMs: 10_000 })).toMatchObject({ restart: true });
  // Unlimited by default.
  expect(decide({ consecutiveCrashes: 500 })).toMatchObject({ restart: true });
});

test('an unhealthy restart counts and backs off like a crash', () => {
  const count = { consecutiveCrashes: 1, ranMs: 50, backoff, maxRetries: 2 };
  expect(nextRestart(count, 'unhealthy')).toEqual({
    restart: true,
    delayMs: 100,
    consecutiveCrashes: 2,
    reason: 'unhealthy; restarting in 100 ms',
  });
  expect(nextRestart({ ...count, consecutiveCrashes: 2 }, 'unhealthy')).toMatchObject({
    restart: false,
    reason: 'gave up after 2 restarts (unhealthy)',
  });
});
