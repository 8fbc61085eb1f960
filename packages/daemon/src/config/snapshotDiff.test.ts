import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BakedConfig } from '@kepler/config';
import type { UpPlan } from '@kepler/protocol';
import { config, type RawService } from '../testkit/configBuilder.js';
import { diffSnapshots, planChanges } from './snapshotDiff.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Bakes the services (and `kepler:` block) in one temp dir, so paths compare equal across bakes. */
function bakeIn(dir: string, services: Record<string, RawService>, kepler?: object): Promise<BakedConfig> {
  const b = config();
  for (const [name, raw] of Object.entries(services)) b.service(name, raw);
  if (kepler) b.kepler(kepler);
  return b.build(dir);
}

async function plan(
  before: Record<string, RawService>,
  after: Record<string, RawService>,
  kepler: { before?: object; after?: object } = {},
): Promise<UpPlan> {
  const dir = mkdtempSync(join(tmpdir(), 'kepler-diff-'));
  dirs.push(dir);
  const a = await bakeIn(dir, before, kepler.before);
  const b = await bakeIn(dir, after, kepler.after);
  return diffSnapshots(a, b);
}

/** `name action reasons` per service, as the CLI prints them. */
function lines(p: UpPlan): string[] {
  return p.services.map((c) => [c.service, c.action, c.reasons.join('; ')].join(' ').trim());
}

const api: RawService = { command: ['api'], environment: { PORT: '80', KEEP: '1', OLD: 'x' } };

test('nothing changed: every service unchanged, no plan to apply', async () => {
  const p = await plan({ api, db: { command: ['db'] } }, { api, db: { command: ['db'] } });
  expect(lines(p)).toEqual(['api unchanged', 'db unchanged']);
  expect(planChanges(p)).toBe(false);
});

test('command and environment: keys added, changed and removed, sorted within each kind', async () => {
  const p = await plan(
    { api },
    { api: { command: ['api', '--v2'], environment: { PORT: '81', KEEP: '1', DEBUG: '1', A: 'a' } } },
  );
  expect(lines(p)).toEqual(['api recreate command; environment: +A, +DEBUG, ~PORT, -OLD']);
  expect(planChanges(p)).toBe(true);
});

test('healthcheck fields read as in the file; added and removed checks', async () => {
  const hc = { test: ['true'], interval: '10s', retries: 3 };
  const p = await plan(
    { api: { ...api, healthcheck: hc }, db: { command: ['db'] }, web: { command: ['w'], healthcheck: hc } },
    {
      api: { ...api, healthcheck: { ...hc, interval: '5s', retries: 5 } },
      db: { command: ['db'], healthcheck: hc },
      web: { command: ['w'] },
    },
  );
  expect(lines(p)).toEqual([
    'api recreate healthcheck.interval 10s -> 5s; healthcheck.retries 3 -> 5',
    'db recreate healthcheck added',
    'web recreate healthcheck removed',
  ]);
});

test('depends_on, hooks, user, limits, logs, stop signal and grace', async () => {
  const p = await plan(
    { db: { command: ['db'] }, api: { command: ['api'], hooks: { pre_start: { run: 'a' } } } },
    {
      db: { command: ['db'] },
      api: {
        command: ['api'],
        depends_on: ['db'],
        hooks: { pre_start: { run: 'b' }, post_stop: { run: 'c' } },
        user: '1000',
        limits: { max_fds: 64 },
        logs: { timestamp: false },
        stop_signal: 'SIGINT',
        stop_grace_period: '2s',
      },
    },
  );
  expect(lines(p)).toEqual([
    'db unchanged',
    'api recreate depends_on: +db; hooks: +post_stop, ~pre_start; user (none) -> 1000; limits.max_fds none -> 64; ' +
      'logs.timestamp true -> false; stop_signal SIGTERM -> SIGINT; stop_grace_period 10s -> 2s',
  ]);
});

test('restart: true dependents of a recreated service restart, transitively; others stay', async () => {
  const before = {
    api,
    worker: { command: ['w'], depends_on: { api: { restart: true } } },
    reporter: { command: ['r'], depends_on: { worker: { restart: true } } },
    viewer: { command: ['v'], depends_on: ['api'] },
  };
  const p = await plan(before, { ...before, api: { ...api, command: ['api2'] } });
  expect(lines(p)).toEqual([
    'api recreate command',
    'worker restart depends on api (restart: true)',
    'reporter restart depends on worker (restart: true)',
    'viewer unchanged',
  ]);
});

test('a service added and one removed', async () => {
  const p = await plan({ api, old: { command: ['old'] } }, { api, cache: { command: ['c'] } });
  expect(lines(p)).toEqual(['api unchanged', 'cache create', 'old remove']);
});

test('the kepler: section names the services it affects', async () => {
  const p = await plan(
    { api, db: { command: ['db'], logs: { max_size: '1MB' } } },
    { api, db: { command: ['db'], logs: { max_size: '1MB' } } },
    {
      before: { logs: { max_size: '2MB' } },
      after: { logs: { max_size: '4MB' }, hooks: { pre_start: { run: 'x' } } },
    },
  );
  expect(lines(p)).toEqual(['api recreate logs.max_size 2MB -> 4MB', 'db unchanged']);
  expect(p.kepler).toEqual([
    'kepler.logs: affects api',
    'kepler.hooks: +pre_start: affects no running service (they run at the next start or stop of all)',
  ]);
});

test('an env_file whose contents changed, by the recorded hashes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kepler-diff-'));
  dirs.push(dir);
  const svc = { command: ['api'], env_file: '.env' };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, '.env'), 'A=1\n');
  const a = await bakeIn(dir, { api: svc });
  writeFileSync(join(dir, '.env'), 'A=2\n');
  const b = await bakeIn(dir, { api: svc });
  const file = join(dir, '.env');
  const p = diffSnapshots(a, b, { running: new Map([[file, 'h1']]), next: new Map([[file, 'h2']]) });
  expect(lines(p)).toEqual(['api recreate environment: ~A; env_file .env changed']);
});

test('priority, soft edges, max_retries, on_unhealthy and start_timeout; a snapshot baked before them reads as their defaults', async () => {
  const hc = { test: ['true'] };
  const p = await plan(
    { db: { command: ['db'] }, api: { command: ['api'], depends_on: ['db'], healthcheck: hc } },
    {
      db: { command: ['db'], priority: -1, restart: 'on-failure:3' },
      api: {
        command: ['api'],
        depends_on: { db: { required: false } },
        healthcheck: { ...hc, on_unhealthy: 'restart', start_timeout: '20s' },
      },
    },
  );
  expect(lines(p)).toEqual([
    'db recreate restart no -> on-failure; restart.max_retries none -> 3; priority 0 -> -1',
    'api recreate depends_on: ~db; healthcheck.on_unhealthy keep -> restart; healthcheck.start_timeout none -> 20s',
  ]);

  const dir = mkdtempSync(join(tmpdir(), 'kepler-diff-'));
  dirs.push(dir);
  const services = {
    db: { command: ['db'] },
    api: { command: ['api'], depends_on: ['db'], healthcheck: hc },
  };
  const next = await bakeIn(dir, services);
  // The same config as an older daemon baked it: none of the keys above.
  const old = JSON.parse(JSON.stringify(next)) as {
    services: Record<string, Record<string, Record<string, unknown>>>;
  };
  for (const svc of Object.values(old.services)) {
    delete svc.priority;
    delete svc.restart!.maxRetries;
    for (const edge of Object.values(svc.dependsOn!)) delete (edge as Record<string, unknown>).required;
    if (svc.healthcheck) {
      delete svc.healthcheck.onUnhealthy;
      delete svc.healthcheck.startTimeoutMs;
    }
  }
  expect(lines(diffSnapshots(old as unknown as BakedConfig, next))).toEqual([
    'db unchanged',
    'api unchanged',
  ]);
});

test('type, pid_file, start_timeout and stop_command are change reasons', async () => {
  const p = await plan(
    { db: { command: ['db'] }, api: { command: ['api'] } },
    {
      db: { command: ['db'], type: 'forking', pid_file: '/run/db.pid', start_timeout: '5s' },
      api: { command: ['api'], stop_command: 'apictl stop' },
    },
  );
  expect(lines(p)).toEqual([
    'db recreate type simple -> forking; pid_file none -> /run/db.pid; start_timeout none -> 5s',
    'api recreate stop_command',
  ]);
});

describe('port and hostname (issue 15)', () => {
  it('a new port or hostname recreates the service', async () => {
    const p = await plan(
      { web: { command: ['web'], port: 8000 } as RawService, api: { command: ['api'] } },
      {
        web: { command: ['web'], port: 'auto' } as RawService,
        api: { command: ['api'], hostname: 'api.localhost' } as RawService,
      },
    );
    expect(lines(p)).toEqual([
      'web recreate port 8000 -> auto',
      'api recreate port (none) -> auto; hostname (none) -> api.localhost',
    ]);
  });
});
