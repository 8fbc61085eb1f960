// What hooks leave running ends with the stop, and a stop-path hook that hangs is ended after the grace.
import { existsSync, readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { alive, TestDaemon, waitFor } from '../testkit.js';
import { Scenario, WAIT_MS } from './helpers.js';

jest.setTimeout(120_000);

const d = new TestDaemon('kepler-e2e-hook-leftovers');
/** Every pid a hook wrote down: killed at the end if a failing test left it running. */
const seen: number[] = [];
beforeAll(() => d.start());
afterAll(async () => {
  for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await d.cleanup();
});

/** A service that runs until stopped. */
const LOOP = `["sh", "-c", "while true; do sleep 0.1; done"]`;

/** Waits until a hook has written its pid to `file` and that process runs. */
async function pidIn(s: Scenario, file: string): Promise<number> {
  const pid = await waitFor(
    () => {
      const path = s.path(file);
      const n = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : 0;
      return n > 1 ? n : null;
    },
    `a pid in ${file}`,
    { timeoutMs: WAIT_MS },
  );
  seen.push(pid);
  return pid;
}

/** Polls until none of `pids` is alive (the stop has returned: no wait should be needed). */
function allGone(pids: readonly number[], what: string): Promise<boolean> {
  return waitFor(() => pids.every((p) => !alive(p)), what, { timeoutMs: 10_000 });
}

test('what global hooks leave running (post_start, post_stop, setsid too) ends with `kepler stop`', async () => {
  const s = new Scenario(
    d,
    'global',
    `
kepler:
  hooks:
    post_start: { run: "sleep 1000 & echo $! > $DIR/post_start.pid" }
    post_stop: { run: "setsid sleep 1000 & echo $! > $DIR/post_stop.pid" }
services:
  app:
    command: ${LOOP}
`,
  );
  await s.ok(['start', '-d', '--wait']);
  const fromPostStart = await pidIn(s, 'post_start.pid');
  expect(alive(fromPostStart)).toBe(true);
  await s.ok(['stop']);
  expect((await s.svc('app')).status).toBe('stopped');
  // post_stop ran during that stop; the sweep after it ended both.
  const fromPostStop = await pidIn(s, 'post_stop.pid');
  await allGone([fromPostStart, fromPostStop], 'the global hooks leftovers to be gone');
});

test("what a service's hooks leave running (post_start, post_stop) ends with its own stop", async () => {
  const s = new Scenario(
    d,
    'service',
    `
services:
  app:
    command: ${LOOP}
    hooks:
      post_start: { run: "sleep 1000 & echo $! > $DIR/post_start.pid" }
      post_stop: { run: "setsid sleep 1000 & echo $! > $DIR/post_stop.pid" }
  other:
    command: ${LOOP}
`,
  );
  await s.ok(['start', '-d', '--wait']);
  const fromPostStart = await pidIn(s, 'post_start.pid');
  expect(alive(fromPostStart)).toBe(true);
  // A stop of the one service (not of all: no config-wide sweep follows).
  await s.ok(['stop', 'app']);
  expect((await s.svc('app')).status).toBe('stopped');
  const fromPostStop = await pidIn(s, 'post_stop.pid');
  await allGone([fromPostStart, fromPostStop], "the service hooks' leftovers to be gone");
  expect((await s.svc('other')).status).toBe('running');
  await s.ok(['stop']);
});

test('a pre_stop that hangs is ended after the grace period (service) and kepler.timeout (global)', async () => {
  const s = new Scenario(
    d,
    'hang',
    `
kepler:
  timeout: 1s
  hooks:
    pre_stop: { run: "echo $$ > $DIR/global.pid; exec sleep 1000" }
services:
  app:
    command: ${LOOP}
    stop_grace_period: 1s
    hooks:
      pre_stop: { run: "echo $$ > $DIR/app.pid; exec sleep 1000" }
`,
  );
  await s.ok(['start', '-d', '--wait']);
  const service = (await s.svc('app')).pid as number;
  seen.push(service);
  // Without the bound this stop would never return: the CLI's own deadline fails the test instead.
  const stopped = await s.cli(['stop'], { timeoutMs: 60_000 });
  expect(stopped.code).toBe(0);
  const globalHook = await pidIn(s, 'global.pid');
  const serviceHook = await pidIn(s, 'app.pid');
  expect(await s.svc('app')).toMatchObject({ status: 'stopped', pid: null });
  await allGone([globalHook, serviceHook, service], 'the hung hooks and the service to be gone');
  const logs = (await s.cli(['logs'])).stdout;
  expect(logs).toContain('[kepler] pre_stop hook ended after 1s (kepler.timeout)');
  expect(logs).toContain('[kepler] pre_stop hook ended after 1s (stop_grace_period)');
});

test('`kepler daemon stop` ends what global hooks left and is not held by a pre_stop that hangs', async () => {
  const own = new TestDaemon('kepler-e2e-hook-shutdown');
  await own.start();
  try {
    const s = new Scenario(
      own,
      'shutdown',
      `
kepler:
  hooks:
    post_start: { run: "sleep 1000 & echo $! > $DIR/post_start.pid" }
services:
  app:
    command: ${LOOP}
    stop_grace_period: 1s
    hooks:
      pre_stop: { run: "echo $$ > $DIR/pre_stop.pid; exec sleep 1000" }
`,
    );
    await s.ok(['start', '-d', '--wait']);
    const leftover = await pidIn(s, 'post_start.pid');
    const service = (await s.svc('app')).pid as number;
    seen.push(service);
    const r = await own.cli(['daemon', 'stop'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const hung = await pidIn(s, 'pre_stop.pid');
    await allGone([leftover, hung, service], 'everything the config ran to be gone after the shutdown');
  } finally {
    await own.cleanup();
  }
});
