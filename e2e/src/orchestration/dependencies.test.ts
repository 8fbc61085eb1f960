import { jest } from '@jest/globals';
import { alive, TestDaemon, waitFor } from '../testkit.js';
import { Scenario, WAIT_MS } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-deps');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

/** A long-running service that records its start (and, on SIGTERM, its stop) into the record file. */
const recorder = (name: string) =>
  `["sh", "-c", "trap 'echo ${name} stop >> $REC; exit 0' TERM; echo '${name} start' >> $REC; while true; do sleep 0.1; done"]`;

describe('dependency conditions', () => {
  test('service_started: the dependent waits while the dependency is still starting (pre_start)', async () => {
    const s = new Scenario(
      d,
      'started',
      `
services:
  a:
    command: ${recorder('a')}
    hooks:
      pre_start:
        run: "sleep 1; echo 'a pre_start-done' >> $REC"
  b:
    command: ${recorder('b')}
    depends_on:
      a:
        condition: service_started
`,
    );
    await s.ok(['start', '-d']);
    await s.waitLine('b start');
    await s.waitLine('a start');
    const lines = s.lines();
    expect(lines.indexOf('a pre_start-done')).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf('a pre_start-done')).toBeLessThan(lines.indexOf('b start'));
    await s.ok(['stop']);
  });

  test('service_healthy: the dependent starts only once the dependency is healthy', async () => {
    const s = new Scenario(
      d,
      'healthy',
      `
services:
  a:
    command: ["sh", "-c", "rm -f ready; sleep 1; echo 'a ready' >> $REC; touch ready; exec sleep 100"]
    healthcheck:
      test: ["test", "-f", "ready"]
      interval: 200ms
      retries: 100
  b:
    command: ["sh", "-c", "[ -f ready ] && echo 'b start-after-ready' >> $REC || echo 'b start-early' >> $REC; exec sleep 100"]
    depends_on:
      a:
        condition: service_healthy
`,
    );
    await s.ok(['start', '-d']);
    const waiting = await s.waitStatus('b', 'waiting');
    expect(waiting.reason).toMatch(/waiting for a to be healthy/);
    await s.waitLine(/^b start/);
    expect(s.lines()).toEqual(['a ready', 'b start-after-ready']);
    expect((await s.svc('a')).status).toBe('healthy');
    await s.ok(['stop']);
  });

  test('service_completed_successfully: waits for exit 0; a non-zero exit fails the dependent at once', async () => {
    const s = new Scenario(
      d,
      'completed',
      `
services:
  migrate:
    command: ["sh", "-c", "sleep 1; echo 'migrate done' >> $REC; exit 0"]
  app:
    command: ["sh", "-c", "echo 'app start' >> $REC; exec sleep 100"]
    depends_on:
      migrate:
        condition: service_completed_successfully
  broken:
    command: ["sh", "-c", "sleep 0.3; exit 4"]
  never:
    command: ["sleep", "100"]
    depends_on:
      broken:
        condition: service_completed_successfully
`,
    );
    await s.ok(['start', '-d']);
    await s.waitLine('app start');
    expect(s.lines()).toEqual(['migrate done', 'app start']);
    expect((await s.svc('migrate')).status).toBe('exited');
    // No timeout configured: only the "can never be satisfied" rule ends the wait.
    const never = await s.waitStatus('never', 'failed');
    expect(never.reason).toMatch(/broken exited with code 4 and will not restart/);
    expect(never.pid).toBeNull();
    await s.ok(['stop']);
  });

  test('service_unhealthy: starts the dependent only after healthy -> unhealthy', async () => {
    const s = new Scenario(
      d,
      'unhealthy',
      `
services:
  a:
    command: ["sh", "-c", "touch ok; exec sleep 100"]
    healthcheck:
      test: ["test", "-f", "ok"]
      interval: 200ms
      retries: 2
  alarm:
    command: ["sh", "-c", "echo 'alarm start' >> $REC; exec sleep 100"]
    depends_on:
      a:
        condition: service_unhealthy
  never_ok:
    command: ["sleep", "100"]
    healthcheck:
      test: ["false"]
      interval: 200ms
      retries: 1
  alarm2:
    command: ["sleep", "100"]
    depends_on:
      never_ok:
        condition: service_unhealthy
`,
    );
    await s.ok(['start', '-d']);
    const healthy = await s.waitStatus('a', 'healthy');
    // Healthy for several more checks (200 ms apart): the alarm keeps waiting.
    await waitFor(async () => Date.now() - Date.parse(healthy.started_at as string) > 1500, 'a few checks');
    expect((await s.svc('a')).status).toBe('healthy');
    expect((await s.svc('alarm')).status).toBe('waiting');
    expect(s.lines()).toEqual([]);
    const { rmSync } = await import('node:fs');
    rmSync(s.path('ok'));
    await s.waitStatus('a', 'unhealthy');
    await s.waitLine('alarm start');
    await s.waitStatus('alarm', 'running');
    // Unhealthy without ever having been healthy does not count.
    expect((await s.svc('never_ok')).status).toBe('unhealthy');
    expect((await s.svc('alarm2')).status).toBe('waiting');
    await s.ok(['stop']);
  });

  test('service_failed: exit_code filter with numbers, ranges and -1 for a signal', async () => {
    const s = new Scenario(
      d,
      'failed',
      `
services:
  job:
    command: ["sh", "-c", "sleep 0.5; exit 7"]
  killed:
    command: ["sh", "-c", "sleep 0.5; kill -9 $$"]
  on_range:
    command: ["sh", "-c", "echo 'on_range start' >> $REC; exec sleep 100"]
    depends_on:
      job:
        condition: service_failed
        exit_code: [5, "6:8"]
  on_other:
    command: ["sleep", "100"]
    depends_on:
      job:
        condition: service_failed
        exit_code: [1, "2:4"]
  on_signal:
    command: ["sh", "-c", "echo 'on_signal start' >> $REC; exec sleep 100"]
    depends_on:
      killed:
        condition: service_failed
        exit_code: [-1]
  on_any:
    command: ["sh", "-c", "echo 'on_any start' >> $REC; exec sleep 100"]
    depends_on:
      job:
        condition: service_failed
`,
    );
    await s.ok(['start', '-d']);
    await s.waitStatus('on_range', 'running');
    await s.waitStatus('on_signal', 'running');
    await s.waitStatus('on_any', 'running');
    const other = await s.waitStatus('on_other', 'failed');
    expect(other.reason).toMatch(
      /job exited with code 7 and will not restart.*service_failed with exit code in \[1, 2:4\]/,
    );
    expect((await s.svc('killed')).signal).toBe('SIGKILL');
    expect(s.lines().sort()).toEqual(['on_any start', 'on_range start', 'on_signal start']);
    await s.ok(['stop']);
  });

  test('service_failed: a dependency that succeeds can never fail, so the dependent fails', async () => {
    const s = new Scenario(
      d,
      'failed-never',
      `
services:
  job:
    command: ["sh", "-c", "sleep 0.3; exit 0"]
  cleanup:
    command: ["sleep", "100"]
    depends_on:
      job:
        condition: service_failed
`,
    );
    await s.ok(['start', '-d']);
    const c = await s.waitStatus('cleanup', 'failed');
    expect(c.reason).toMatch(/will not restart/);
  });

  test('service_stopped: waits while the dependency runs; a user stop or an exit with a matching code satisfies it', async () => {
    const s = new Scenario(
      d,
      'stopped',
      `
services:
  a:
    command: ["sleep", "100"]
  after_a:
    command: ["sh", "-c", "echo 'after_a start' >> $REC; exec sleep 100"]
    depends_on:
      a:
        condition: service_stopped
  job:
    command: ["sh", "-c", "sleep 0.3; exit 3"]
  after_job:
    command: ["sh", "-c", "echo 'after_job start' >> $REC; exec sleep 100"]
    depends_on:
      job:
        condition: service_stopped
        exit_code: ["1:3"]
  not_zero:
    command: ["sleep", "100"]
    depends_on:
      job:
        condition: service_stopped
        exit_code: [0]
`,
    );
    await s.ok(['start', '-d']);
    await s.waitStatus('after_job', 'running');
    const nz = await s.waitStatus('not_zero', 'failed');
    expect(nz.reason).toMatch(/will not restart/);
    await s.waitStatus('a', 'running');
    expect((await s.svc('after_a')).status).toBe('waiting');
    await s.ok(['stop', 'a']);
    await s.waitLine('after_a start');
    await s.waitStatus('after_a', 'running');
    await s.ok(['stop']);
  });
});

describe('dependency timeouts', () => {
  test('per-edge timeout fails the dependent with the reason; kepler.timeout is the fallback', async () => {
    const s = new Scenario(
      d,
      'timeouts',
      `
kepler:
  timeout: 2s
services:
  never_healthy:
    command: ["sleep", "100"]
    healthcheck:
      test: ["false"]
      interval: 200ms
      retries: 1000
  edge:
    command: ["sleep", "100"]
    depends_on:
      never_healthy:
        condition: service_healthy
        timeout: 1s
  fallback:
    command: ["sleep", "100"]
    depends_on:
      never_healthy:
        condition: service_healthy
`,
    );
    await s.ok(['start', '-d']);
    const edge = await s.waitStatus('edge', 'failed');
    expect(edge.reason).toMatch(/timed out after 1s.*never_healthy.*healthy/);
    const fallback = await s.waitStatus('fallback', 'failed');
    expect(fallback.reason).toMatch(/timed out after 2s.*never_healthy.*healthy/);
    // The edge timeout came first, the global one later.
    expect(Date.parse(edge.stopped_at as string)).toBeLessThan(Date.parse(fallback.stopped_at as string));
    expect((await s.svc('never_healthy')).status).toBe('running');
    await s.ok(['stop']);
  });

  test('a satisfied dependency cancels the timeout', async () => {
    const s = new Scenario(
      d,
      'timeout-met',
      `
services:
  a:
    command: ["sh", "-c", "sleep 0.3; touch ready; exec sleep 100"]
    healthcheck:
      test: ["test", "-f", "ready"]
      interval: 100ms
  b:
    command: ["sleep", "100"]
    depends_on:
      a:
        condition: service_healthy
        timeout: 2s
`,
    );
    await s.ok(['start', '-d']);
    const b = await s.waitStatus('b', 'running');
    // Past the timeout, b still runs (the timer was cleared when it launched).
    await waitFor(async () => Date.now() - Date.parse(b.started_at as string) > 2500, 'the timeout to pass', {
      timeoutMs: WAIT_MS,
    });
    const later = await s.svc('b');
    expect(later.status).toBe('running');
    expect(later.pid).toBe(b.pid);
    await s.ok(['stop']);
  });
});

describe('restart propagation', () => {
  const yaml = `
services:
  a:
    command: ["sh", "-c", "echo 'a start' >> $REC; sleep 0.5; touch ready; echo 'a ready' >> $REC; exec sleep 100"]
    restart: always
    hooks:
      # Before the spawn: the first check runs as soon as the process exists.
      pre_start:
        run: rm -f ready
    healthcheck:
      test: ["test", "-f", "ready"]
      interval: 100ms
      retries: 100
  b:
    command: ${recorder('b')}
    depends_on:
      a:
        condition: service_healthy
        restart: true
  c:
    command: ["sleep", "100"]
    depends_on:
      a:
        condition: service_started
`;

  async function startAndSettle(s: Scenario): Promise<{ a: number; b: number; c: number }> {
    await s.ok(['start', '-d', '--wait']);
    const b = await s.waitStatus('b', 'running');
    return {
      a: (await s.svc('a')).pid as number,
      b: b.pid as number,
      c: (await s.svc('c')).pid as number,
    };
  }

  /** After a's restart: b was stopped, then started again only once a was ready again. */
  async function expectPropagated(s: Scenario, before: { a: number; b: number; c: number }) {
    const b = await s.waitSvc(
      'b',
      (x) => x.status === 'running' && x.pid !== before.b,
      'to run with a new pid',
    );
    expect(alive(before.b)).toBe(false);
    // The second run's own line: the first run's `b start` is already in the record.
    const lines = await waitFor(
      () => (s.lines().filter((l) => l === 'b start').length >= 2 ? s.lines() : null),
      "b's second start line",
      { timeoutMs: WAIT_MS },
    );
    const bStarts = lines.flatMap((l, i) => (l === 'b start' ? [i] : []));
    const aReadies = lines.flatMap((l, i) => (l === 'a ready' ? [i] : []));
    expect(bStarts).toHaveLength(2);
    expect(aReadies).toHaveLength(2);
    const bStop = lines.indexOf('b stop');
    expect(bStop).toBeGreaterThan(bStarts[0]!);
    expect(bStop).toBeLessThan(bStarts[1]!);
    expect(aReadies[1]!).toBeLessThan(bStarts[1]!);
    // c has no `restart: true`: untouched.
    expect((await s.svc('c')).pid).toBe(before.c);
    return b;
  }

  test('a crash restart of the dependency stops the dependent, waits, restarts it', async () => {
    const s = new Scenario(d, 'propagate-crash', yaml);
    const before = await startAndSettle(s);
    process.kill(before.a, 'SIGKILL');
    await expectPropagated(s, before);
    expect((await s.svc('a')).restarts).toBe(1);
    await s.ok(['stop']);
  });

  test('a user restart of the dependency propagates too', async () => {
    const s = new Scenario(d, 'propagate-user', yaml);
    const before = await startAndSettle(s);
    await s.ok(['restart', '-d', 'a']);
    await expectPropagated(s, before);
    await s.ok(['stop']);
  });
});

describe('restart propagation order (docker compose: dependents stop first)', () => {
  // backend's pre_stop and its own stop take a while: db must not begin to stop meanwhile.
  const yaml = `
services:
  db:
    command: ${recorder('db')}
    hooks:
      pre_stop:
        run: echo 'db pre_stop' >> $REC
      post_stop:
        run: echo 'db post_stop' >> $REC
  backend:
    command: ["sh", "-c", "trap 'sleep 0.3; echo backend stop >> $REC; exit 0' TERM; echo 'backend start' >> $REC; while true; do sleep 0.1; done"]
    depends_on:
      db:
        condition: service_started
        restart: true
    hooks:
      pre_start:
        run: sleep 1
      pre_stop:
        run: sleep 0.3; echo 'backend pre_stop' >> $REC
`;

  test('kepler restart db: backend stops before db stops; db starts before backend; --wait covers backend', async () => {
    const s = new Scenario(d, 'propagate-order', yaml);
    await s.ok(['start', '-d', '--wait']);
    const first = await s.waitStatus('backend', 'running');
    const mark = s.lines().length;
    const restarted = await s.ok(['restart', '-d', 'db']);
    expect(restarted.stdout).toBe('Restarting db\nRestarting backend\n');
    const lines = (await s.waitLineAfter(mark, 'backend start')).slice(mark);
    expect(lines).toEqual([
      'backend pre_stop',
      'backend stop',
      'db pre_stop',
      'db stop',
      'db post_stop',
      'db start',
      'backend start',
    ]);
    const second = await s.waitSvc(
      'backend',
      (x) => x.status === 'running' && x.pid !== first.pid,
      'to run again',
    );
    expect(second.restarts).toBe(1);

    // --wait returns only once backend runs again (its pre_start takes a second), and counts it.
    const r = await s.ok(['restart', '-d', '--wait', 'db']);
    expect(r.stdout).toMatch(/2 services ready/);
    const third = await s.svc('backend');
    expect(third).toMatchObject({ status: 'running', restarts: 2 });
    expect(third.pid).not.toBe(second.pid);
    expect(alive(second.pid as number)).toBe(false);
    await s.ok(['stop']);
  });
});

describe('startup order', () => {
  test('independent satisfied services start in parallel', async () => {
    const slow = (n: string) => `
  ${n}:
    command: ["sleep", "100"]
    hooks:
      pre_start:
        run: "echo '${n} begin '$(date +%s%N) >> $REC; sleep 1; echo '${n} end '$(date +%s%N) >> $REC"`;
    const s = new Scenario(d, 'parallel', `services:${slow('p1')}${slow('p2')}${slow('p3')}\n`);
    await s.ok(['start', '-d', '--wait']);
    const lines = s.lines();
    const at = (kind: string) =>
      lines.filter((l) => l.split(' ')[1] === kind).map((l) => Number(l.split(' ')[2]));
    expect(at('begin')).toHaveLength(3);
    expect(at('end')).toHaveLength(3);
    // All three were inside their pre_start at the same moment: every begin precedes every end.
    expect(Math.max(...at('begin'))).toBeLessThan(Math.min(...at('end')));
    await s.ok(['stop']);
  });

  test('`start SERVICE` starts its transitive dependencies only; stop-all stops dependents first', async () => {
    const s = new Scenario(
      d,
      'transitive',
      `
services:
  db:
    command: ${recorder('db')}
  api:
    command: ${recorder('api')}
    depends_on: [db]
  web:
    command: ${recorder('web')}
    depends_on:
      api:
        condition: service_started
  other:
    command: ${recorder('other')}
`,
    );
    await s.ok(['start', '-d', '--wait', 'web']);
    for (const n of ['db', 'api', 'web']) await s.waitStatus(n, 'running');
    expect((await s.svc('other')).status).toBe('stopped');
    await s.waitLine('web start');
    // service_started orders the spawns (each waits for its dependency to be running); the lines the
    // three shells then write may land in any order.
    expect([...s.lines()].sort()).toEqual(['api start', 'db start', 'web start']);
    const spawnedAt = async (n: string) => Date.parse((await s.svc(n)).started_at as string);
    expect(await spawnedAt('db')).toBeLessThanOrEqual(await spawnedAt('api'));
    expect(await spawnedAt('api')).toBeLessThanOrEqual(await spawnedAt('web'));
    await s.ok(['stop']);
    expect(s.lines().slice(3)).toEqual(['web stop', 'api stop', 'db stop']);
    for (const n of ['db', 'api', 'web']) expect((await s.svc(n)).status).toBe('stopped');
  });
});
