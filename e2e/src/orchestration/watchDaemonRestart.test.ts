import { mkdirSync } from 'node:fs';
import { jest } from '@jest/globals';
import { TestDaemon, waitFor } from '../testkit.js';
import { Scenario, type Svc, WAIT_MS } from './helpers.js';

// `restart.watch` after the daemon was killed and started again (issue 10, defects 1 and 2).
jest.setTimeout(120_000);

const d = new TestDaemon('kepler-e2e-watch-restart');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const yaml = `
services:
  api:
    command: ["sleep", "300"]
    working_dir: ./api
    restart:
      policy: always
      watch: ["src/**/*.js"]
`;

function setup(name: string): Scenario {
  const s = new Scenario(d, name, yaml);
  mkdirSync(s.path('api/src'), { recursive: true });
  return s;
}

/** How many times the daemon (this run of it) logged that it armed a watcher for `s`'s api. */
function armedCount(s: Scenario): number {
  return d.log.split('\n').filter((l) => l.includes(`${s.config}: watching files of api: src/**/*.js in`))
    .length;
}

/**
 * Waits until the daemon logs api's watcher armed for the `armed`-th time (its initial scan done),
 * changes a watched file, and returns api's entry once it runs with a pid other than `pid`.
 */
async function restartedByWatch(s: Scenario, pid: unknown, armed: number): Promise<Svc> {
  await waitFor(() => armedCount(s) >= armed, `api's watcher to be armed (${armed})`, { timeoutMs: WAIT_MS });
  s.write('api/src/index.js', `// edited at ${Date.now()}`);
  return s.waitSvc('api', (x) => x.status === 'running' && x.pid !== pid, `to restart (pid was ${pid})`);
}

/** Kills the daemon with SIGKILL and starts a new one on the same state directory. */
async function restartDaemon(): Promise<void> {
  await d.crash();
  await d.start();
}

test('an adopted service is watched again after a daemon crash, and after stop and start', async () => {
  const s = setup('adopted');
  await s.ok(['start', '-d', '--wait']);
  const before = await s.svc('api');
  await restartDaemon();
  // Adopted: the very same process, watched again (defect 2).
  const adopted = await s.waitStatus('api', 'running');
  expect(adopted.pid).toBe(before.pid);
  const afterChange = await restartedByWatch(s, adopted.pid, 1);
  // Stopped and started again by hand: watched again by a new watcher.
  await s.ok(['stop', 'api']);
  await s.ok(['start', '-d', '--wait', 'api']);
  const started = await s.svc('api');
  expect(started.pid).not.toBe(afterChange.pid);
  await restartedByWatch(s, started.pid, 2);
  await s.ok(['stop']);
  expect(d.log).not.toMatch(/internal error/);
});

test('a service first watched after a daemon restart, once its FIFOs were checked, is watched (defect 1)', async () => {
  // Nothing watched is adopted, so the watcher is first armed by this start, right after the start
  // checked the service's FIFOs: the case where the daemon's lazy import of the watcher used to fail.
  const s = setup('fresh');
  await s.ok(['start', '-d', '--wait']);
  await s.ok(['stop']);
  await restartDaemon();
  await s.ok(['start', '-d', '--wait', 'api']);
  const started = await s.svc('api');
  await restartedByWatch(s, started.pid, 1);
  await s.ok(['stop']);
  expect(d.log).not.toMatch(/internal error/);
});
