import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { TestDaemon, waitFor } from '../testkit.js';
import { Scenario, type Svc, WAIT_MS } from './helpers.js';

jest.setTimeout(120_000);

const d = new TestDaemon('kepler-e2e-watch');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

/** Longer than the watcher's debounce plus a restart: "nothing happened" is judged over this. */
const QUIET_MS = 2_000;

const yaml = `
services:
  app:
    command: ["sh", "-c", "echo 'app spawn' >> $REC; exec sleep 100"]
    working_dir: ./app
    restart:
      policy: always
      watch:
        - "**/*.txt"
        - "conf/[abc].cfg"
        - "conf/[!x]?.ini"
    hooks:
      pre_restart:
        run: "echo 'app pre_restart' >> $REC"
      post_restart:
        run: "echo 'app post_restart' >> $REC"
`;

function setup(name: string): Scenario {
  const s = new Scenario(d, name, yaml);
  mkdirSync(s.path('app/src/deep'), { recursive: true });
  mkdirSync(s.path('app/conf'), { recursive: true });
  mkdirSync(s.path('app/node_modules/pkg'), { recursive: true });
  mkdirSync(s.path('app/.git'), { recursive: true });
  s.write('app/src/existing.txt', 'v1');
  return s;
}

/** Waits until `restarts` exceeds `from` and the service runs again; returns its entry. */
function restarted(s: Scenario, from: number): Promise<Svc> {
  return s.waitSvc(
    'app',
    (x) => (x.restarts as number) > from && x.status === 'running',
    `to restart (from ${from})`,
  );
}

/** Holds while `restarts` stays at `count` for QUIET_MS (a negative check needs a window). */
async function staysAt(s: Scenario, count: number): Promise<void> {
  const until = Date.now() + QUIET_MS;
  await waitFor(
    async () => {
      const x = await s.svc('app');
      if (x.restarts !== count) throw new Error(`restarted: ${x.restarts} != ${count}`);
      return Date.now() > until;
    },
    `restarts to stay at ${count}`,
    { timeoutMs: QUIET_MS + WAIT_MS },
  );
}

/** The watcher needs its initial scan: touch a matching file until the first restart happens. */
async function firstRestart(s: Scenario): Promise<Svc> {
  let n = 0;
  return waitFor(
    async () => {
      const x = await s.svc('app');
      if ((x.restarts as number) > 0 && x.status === 'running') return x;
      s.write('app/src/probe.txt', `attempt ${n++}`);
      return null;
    },
    'a first watch restart',
    { timeoutMs: WAIT_MS, intervalMs: 1500 },
  );
}

test('create, change and delete of a matching file each restart the service, with the restart hooks', async () => {
  const s = setup('cud');
  await s.ok(['start', '-d', '--wait']);
  const first = await firstRestart(s);
  let count = first.restarts as number;
  await s.waitLine('app post_restart');

  s.write('app/src/deep/created.txt', 'new'); // create
  let x = await restarted(s, count);
  count = x.restarts as number;
  s.write('app/src/existing.txt', 'v2'); // change
  x = await restarted(s, count);
  count = x.restarts as number;
  rmSync(s.path('app/src/existing.txt')); // delete
  x = await restarted(s, count);
  count = x.restarts as number;
  s.write('app/conf/b.cfg'); // [abc]
  x = await restarted(s, count);
  count = x.restarts as number;
  s.write('app/conf/y1.ini'); // [!x]?
  x = await restarted(s, count);
  count = x.restarts as number;
  await staysAt(s, count);

  const pre = s.lines().filter((l) => l === 'app pre_restart').length;
  expect(pre).toBe(count);
  // post_restart of the last restart too (the first restart's line is already in the record).
  const postRestarts = () => s.lines().filter((l) => l === 'app post_restart').length;
  await waitFor(() => postRestarts() === count, `post_restart ${count} times`, { timeoutMs: WAIT_MS });
  await s.ok(['stop']);
});

test('a burst of 20 changes gives exactly one restart', async () => {
  const s = setup('burst');
  await s.ok(['start', '-d', '--wait']);
  const first = await firstRestart(s);
  const count = first.restarts as number;
  await staysAt(s, count);
  for (let i = 0; i < 20; i++) writeFileSync(s.path(`app/src/burst-${i % 5}.txt`), `change ${i}`);
  await restarted(s, count);
  await staysAt(s, count + 1);
  await s.ok(['stop']);
});

test('non-matching files, node_modules and .git do nothing', async () => {
  const s = setup('ignored');
  await s.ok(['start', '-d', '--wait']);
  const first = await firstRestart(s);
  const count = first.restarts as number;
  await staysAt(s, count);
  s.write('app/src/code.js', 'x');
  s.write('app/notes.md', 'x');
  s.write('app/conf/x1.ini', 'x'); // excluded by [!x]
  s.write('app/conf/d.cfg', 'x'); // not in [abc]
  s.write('app/node_modules/pkg/readme.txt', 'x');
  s.write('app/.git/info.txt', 'x');
  await staysAt(s, count);
  await s.ok(['stop']);
});

test('watching pauses while the service is stopped and resumes on start', async () => {
  const s = setup('paused');
  await s.ok(['start', '-d', '--wait']);
  await firstRestart(s);
  await s.ok(['stop']);
  const stopped = await s.svc('app');
  s.write('app/src/while-stopped.txt', 'x');
  const until = Date.now() + QUIET_MS;
  await waitFor(
    async () => {
      const x = await s.svc('app');
      if (x.status !== 'stopped' || x.restarts !== stopped.restarts)
        throw new Error(`changed: ${JSON.stringify(x)}`);
      return Date.now() > until;
    },
    'the service to stay stopped',
    { timeoutMs: QUIET_MS + WAIT_MS },
  );
  await s.ok(['start', '-d', '--wait']);
  const running = await s.svc('app');
  const again = await waitFor(
    async () => {
      const x = await s.svc('app');
      if ((x.restarts as number) > (running.restarts as number) && x.status === 'running') return x;
      s.write('app/src/after-start.txt', String(Date.now()));
      return null;
    },
    'a watch restart after start',
    { timeoutMs: WAIT_MS, intervalMs: 1500 },
  );
  expect(again.pid).not.toBe(running.pid);
  await s.ok(['stop']);
});
