// Issue 14 rows 4, 5, 8, 9 as a user sees them: priority order of starts and stops, a soft dependency
// that fails, a restart limit giving up, a service restarted after turning unhealthy, a start timeout,
// and bad input refused at bake with file:line:col.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { alive, TestDaemon, waitFor } from '../testkit.js';
import { Scenario, type Svc, WAIT_MS } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-policy');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const ms = (s: Svc) => Date.parse(s.started_at as string);

test('priority: lower starts first and stops last, in hook order and spawn times; depends_on wins', async () => {
  // pre_start runs at the start of a launch and post_stop at the end of a stop: the record file shows
  // the order exactly (a launch begins only once every lower-priority service has been spawned).
  const svc = (name: string, more = '') => `
  ${name}:
    command: ["sleep", "300"]${more}
    hooks:
      pre_start: {run: "echo start-${name} >> $REC"}
      post_stop: {run: "echo stop-${name} >> $REC"}`;
  const s = new Scenario(
    d,
    'priority',
    `services:${[
      svc('web', '\n    priority: 10'),
      svc('api'),
      svc('db', '\n    priority: -5'),
      svc('cache', '\n    priority: 20\n    depends_on: [migrate]'),
      svc('migrate', '\n    priority: 30'),
    ].join('')}\n`,
  );
  await s.ok(['start', '-d', '--wait']);
  // migrate (30) goes with cache (20), which depends on it: before cache, after web (10).
  expect(s.lines()).toEqual(['start-db', 'start-api', 'start-web', 'start-migrate', 'start-cache']);
  const ps = Object.fromEntries((await s.ps()).map((x) => [x.name as string, x]));
  const spawned = ['db', 'api', 'web', 'migrate', 'cache'].map((n) => ms(ps[n]!));
  expect([...spawned].sort((a, b) => a - b)).toEqual(spawned);

  const mark = s.lines().length;
  await s.ok(['stop']);
  expect(s.lines().slice(mark)).toEqual(['stop-cache', 'stop-migrate', 'stop-web', 'stop-api', 'stop-db']);
});

test('ps shows what a service held back by priority waits for, below the table', async () => {
  // db's pre_start holds its launch until the test creates $DIR/go: web (priority 0) waits for it.
  const s = new Scenario(
    d,
    'prioritywait',
    `
services:
  db:
    command: ["sleep", "300"]
    priority: -10
    hooks:
      pre_start: {run: "while [ ! -f $DIR/go ]; do sleep 0.05; done"}
  web:
    command: ["sleep", "300"]
`,
  );
  await s.ok(['start', '-d']);
  await s.waitStatus('web', 'waiting');
  const table = (await s.ok(['ps'])).stdout;
  expect(table).toMatch(/^web\s+waiting\s+-/m);
  expect(table).toContain('web: waiting for db (priority -10) to start first\n');
  writeFileSync(join(s.dir, 'go'), '');
  await s.waitStatus('web', 'running');
  expect((await s.ok(['ps'])).stdout).not.toContain('waiting for db');
  await s.ok(['stop']);
});

test('a soft dependency that fails: the dependent starts anyway and ps shows the unmet edge', async () => {
  const s = new Scenario(
    d,
    'soft',
    `
services:
  db:
    command: ["sh", "-c", "sleep 0.3; exit 3"]
    healthcheck:
      test: ["false"]
      interval: 100ms
      retries: 100
  web:
    command: ["sleep", "300"]
    depends_on:
      db:
        condition: service_healthy
        required: false
`,
  );
  await s.ok(['start', '-d']);
  const web = await s.waitStatus('web', 'running');
  expect((await s.svc('db')).status).toBe('failed');
  expect(web.unmet_dependencies).toEqual([
    { service: 'db', reason: 'db exited with code 3 and will not restart (needed service_healthy)' },
  ]);
  const table = await s.ok(['ps']);
  expect(table.stdout).toContain(
    'web: without soft dependency db: db exited with code 3 and will not restart (needed service_healthy)',
  );
  // inspect's service row is ps's row: the unmet edge shows there too.
  const inspected = JSON.parse((await s.ok(['inspect', 'web', '--json'])).stdout) as {
    service: { unmet_dependencies?: unknown };
  };
  expect(inspected.service.unmet_dependencies).toEqual(web.unmet_dependencies);
  await s.ok(['stop']);
});

test('max_retries and on-failure:N: after N restarts the service stays failed, saying it gave up', async () => {
  const s = new Scenario(
    d,
    'retries',
    `
services:
  flappy:
    command: ["sh", "-c", "exit 1"]
    restart:
      policy: always
      max_retries: 2
      backoff: {initial: 100ms}
  compose:
    command: ["sh", "-c", "exit 4"]
    restart: on-failure:1
`,
  );
  await s.ok(['start', '-d']);
  const flappy = await s.waitStatus('flappy', 'failed');
  expect(flappy).toMatchObject({ reason: 'gave up after 2 restarts (exited with code 1)', restarts: 2 });
  const compose = await s.waitStatus('compose', 'failed');
  expect(compose).toMatchObject({ reason: 'gave up after 1 restart (exited with code 4)', restarts: 1 });
  const table = await s.ok(['ps']);
  expect(table.stdout).toMatch(/flappy\s+failed \(gave up after 2 restarts/);
});

test('on_unhealthy: restart: a new process, pre_restart and post_restart ran; start_timeout fails a slow one', async () => {
  const s = new Scenario(
    d,
    'unhealthy',
    `
services:
  app:
    command: ["sleep", "300"]
    healthcheck:
      test: ["sh", "-c", "test ! -f $DIR/sick"]
      interval: 200ms
      retries: 1
      on_unhealthy: restart
    hooks:
      pre_restart: {run: "echo pre-restart >> $REC"}
      post_restart: {run: "echo post-restart >> $REC"}
  slow:
    command: ["sleep", "300"]
    healthcheck:
      test: ["false"]
      interval: 200ms
      retries: 1000
      start_timeout: 1s
`,
  );
  await s.ok(['start', '-d']);
  const before = await s.waitStatus('app', 'healthy');
  s.write('sick');
  await s.waitLine('pre-restart');
  rmSync(s.path('sick'));
  const after = await s.waitSvc(
    'app',
    (x) => x.status === 'healthy' && x.pid !== before.pid,
    'healthy again with a new pid',
  );
  expect(after.restarts as number).toBeGreaterThanOrEqual(1);
  await s.waitLine('post-restart');
  await waitFor(() => !alive(before.pid as number), 'the old process to be gone', { timeoutMs: WAIT_MS });

  const slow = await s.waitStatus('slow', 'failed');
  expect(slow.reason).toBe('not healthy within 1s (healthcheck.start_timeout)');
  await waitFor(() => !alive(slow.pid as number), 'the slow process to be gone', { timeoutMs: WAIT_MS });
  await s.ok(['stop']);
});

test('bad input is refused at bake with file:line:col naming the key', async () => {
  const s = new Scenario(
    d,
    'bad',
    [
      'services:',
      '  a:',
      '    command: ["true"]',
      '    priority: 1.5',
      '    restart: on-failure:x',
      '    healthcheck:',
      '      on_unhealthy: restart',
      '  b:',
      '    command: ["true"]',
      '    restart: {policy: always, max_retries: -1}',
      '',
    ].join('\n'),
  );
  const r = await s.cli(['config']);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toEqual(
    expect.arrayContaining([
      'kepler.yaml:4:15 services.a.priority: expected an integer, got the number 1.5',
      'kepler.yaml:5:14 services.a.restart: "x" in "on-failure:x" is not a whole number of restarts (e.g. on-failure:3)',
      'kepler.yaml:7:21 services.a.healthcheck.on_unhealthy: on_unhealthy needs a health check (test, http or tcp), and this one has none',
      'kepler.yaml:10:44 services.b.restart.max_retries: must be at least 0, got -1',
    ]),
  );
});
