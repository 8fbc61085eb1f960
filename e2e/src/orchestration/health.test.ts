import { readFileSync, rmSync } from 'node:fs';
import { jest } from '@jest/globals';
import { alive, TestDaemon, waitFor } from '../testkit.js';
import { freePort, Scenario, type Svc, WAIT_MS } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-health');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

/** Polls `ps --json` of one service, keeping every sample, until `until` holds for one. */
async function sample(s: Scenario, name: string, until: (x: Svc) => boolean, what: string): Promise<Svc[]> {
  const seen: Svc[] = [];
  await waitFor(
    async () => {
      const x = await s.svc(name);
      seen.push(x);
      return until(x);
    },
    what,
    { timeoutMs: WAIT_MS, intervalMs: 30 },
  );
  return seen;
}

/** A file's non-empty lines; none when it does not exist yet. */
function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('health transitions', () => {
  test('running -> healthy -> unhealthy after `retries` failures -> healthy; ps shows it', async () => {
    const s = new Scenario(
      d,
      'transitions',
      `
services:
  app:
    command: ["sleep", "100"]
    healthcheck:
      test: ["sh", "-c", "if [ -f ok ]; then echo all-good; else echo no-ok-file; exit 1; fi"]
      # 600 ms: 'healthy with 1 or 2 failures' lasts ~1.2 s, several ps round trips even on a loaded
      # machine (at 300 ms a busy CI host could miss the window between two samples).
      interval: 600ms
      retries: 3
`,
    );
    s.write('ok');
    await s.ok(['start', '-d']);
    const healthy = await s.waitStatus('app', 'healthy');
    expect(healthy.health).toBe('healthy');
    expect(healthy.health_failures).toBe(0);
    expect(healthy.last_health_output).toBe('all-good');

    const table = await s.ok(['ps']);
    expect(table.stdout).toMatch(/HEALTH/);
    expect(table.stdout).toMatch(/app\s+healthy\s+\d+.*healthy/);

    rmSync(s.path('ok'));
    const samples = await sample(s, 'app', (x) => x.status === 'unhealthy', 'app to become unhealthy');
    // Still healthy with 1 and 2 failures; unhealthy from the third on.
    for (const x of samples.filter((y) => y.status === 'healthy'))
      expect(x.health_failures as number).toBeLessThan(3);
    const first = samples.at(-1)!;
    expect(first.health_failures as number).toBeGreaterThanOrEqual(3);
    expect(first.health).toBe('unhealthy');
    expect(first.last_health_output).toBe('no-ok-file');
    expect(samples.some((x) => x.status === 'healthy' && (x.health_failures as number) > 0)).toBe(true);

    s.write('ok');
    const back = await s.waitStatus('app', 'healthy');
    expect(back.health_failures).toBe(0);
    expect(back.pid).toBe(healthy.pid);
    await s.ok(['stop']);
  });

  test('the failure counter resets when the service restarts', async () => {
    const s = new Scenario(
      d,
      'reset',
      `
services:
  app:
    command: ["sleep", "100"]
    healthcheck:
      test: ["test", "-f", "ok"]
      interval: 400ms
      retries: 3
`,
    );
    await s.ok(['start', '-d']);
    const bad = await s.waitSvc(
      'app',
      (x) => x.status === 'unhealthy' && (x.health_failures as number) >= 4,
      'a long failure streak',
    );
    await s.ok(['restart', '-d', 'app']);
    const fresh = await s.waitSvc('app', (x) => x.pid !== bad.pid && x.status === 'running', 'to run again');
    expect(fresh.health_failures as number).toBeLessThan(3);
    // A new streak of `retries` failures is needed before it is unhealthy again.
    const samples = await sample(s, 'app', (x) => x.status === 'unhealthy', 'unhealthy again');
    for (const x of samples.filter((y) => y.status === 'running'))
      expect(x.health_failures as number).toBeLessThan(3);
    await s.ok(['stop']);
  });

  test('a check slower than `timeout` fails and its process is killed', async () => {
    const s = new Scenario(
      d,
      'timeout',
      `
services:
  app:
    command: ["sleep", "100"]
    healthcheck:
      test: ["sh", "-c", "echo $$ >> checkpids; sleep 30"]
      interval: 200ms
      timeout: 500ms
      retries: 1
`,
    );
    await s.ok(['start', '-d']);
    const un = await s.waitStatus('app', 'unhealthy');
    expect(un.last_health_output).toMatch(/timed out after 500 ms/);
    const { readFileSync } = await import('node:fs');
    const firstPid = Number(readFileSync(s.path('checkpids'), 'utf8').split('\n')[0]);
    await waitFor(() => !alive(firstPid), 'the timed-out check to be killed');
    await s.ok(['stop']);
  });

  test('what a check leaves running in the background ends with the service (stop leaves nothing)', async () => {
    const s = new Scenario(
      d,
      'probe-children',
      `
services:
  app:
    command: ["sleep", "100"]
    healthcheck:
      test: ["sh", "-c", "sleep 300 & echo $! >> probe-children; exit 0"]
      interval: 200ms
`,
    );
    await s.ok(['start', '-d']);
    await s.waitStatus('app', 'healthy');
    const { readFileSync } = await import('node:fs');
    const children = () =>
      readFileSync(s.path('probe-children'), 'utf8').split('\n').filter(Boolean).map(Number);
    await waitFor(() => children().length >= 3, 'three checks to leave a child behind');
    const pids = children();
    expect(pids.filter((p) => alive(p)).length).toBeGreaterThan(0);
    await s.ok(['stop']);
    await s.waitStatus('app', 'stopped');
    expect(children().filter((p) => alive(p))).toEqual([]);
  });

  test('start_period: failures inside it do not count, failures after it do', async () => {
    const s = new Scenario(
      d,
      'start-period',
      `
services:
  app:
    command: ["sleep", "100"]
    healthcheck:
      test: ["sh", "-c", "date +%s%3N >> $REC; exit 1"]
      interval: 200ms
      retries: 1
      start_period: 2s
`,
    );
    await s.ok(['start', '-d']);
    const seen: Array<Svc & { at: number }> = [];
    await waitFor(
      async () => {
        const x = await s.svc('app');
        seen.push({ ...x, at: Date.now() });
        return x.status === 'unhealthy';
      },
      'app to become unhealthy after its start period',
      { timeoutMs: WAIT_MS, intervalMs: 50 },
    );
    const started = Date.parse(seen.at(-1)!.started_at as string);
    const grace = started + 1800;
    // Checks ran inside the period (with retries: 1 each would have been enough) and did not count.
    expect(s.lines().filter((t) => Number(t) < grace).length).toBeGreaterThanOrEqual(3);
    const early = seen.filter((x) => x.at < grace);
    expect(early.length).toBeGreaterThan(0);
    for (const x of early) {
      expect(x.status).toBe('running');
      expect(x.health_failures).toBe(0);
    }
    await s.ok(['stop']);
  });
});

describe('health across a daemon crash', () => {
  test('an adopted service that stays healthy (or unhealthy) does not run its health hooks again', async () => {
    const s = new Scenario(
      d,
      'adopted-hooks',
      `
services:
  good:
    command: ["sleep", "300"]
    healthcheck: { test: "echo p >> $DIR/good.probes", interval: 200ms }
    hooks:
      post_healthcheck_success: { run: echo good-healthy >> $REC }
  bad:
    command: ["sleep", "300"]
    healthcheck: { test: "echo p >> $DIR/bad.probes; false", interval: 200ms, retries: 1 }
    hooks:
      post_healthcheck_fail: { run: echo bad-unhealthy >> $REC }
`,
    );
    const probes = (name: string) => readLines(`${s.dir}/${name}.probes`).length;
    await s.ok(['start', '-d']);
    await s.waitLine('good-healthy');
    await s.waitLine('bad-unhealthy');
    await d.crash();
    await d.start();
    // Several probes of the adopted processes have run: enough for a hook to have fired.
    const good = probes('good');
    const bad = probes('bad');
    await waitFor(() => probes('good') >= good + 3 && probes('bad') >= bad + 3, 'probes after the adoption');
    expect((await s.svc('good')).status).toBe('healthy');
    expect((await s.svc('bad')).status).toBe('unhealthy');
    expect(s.lines().sort()).toEqual(['bad-unhealthy', 'good-healthy']);
    await s.ok(['stop']);
  });
});

describe('http and tcp checks', () => {
  test('healthcheck.http passes on 2xx and fails on 404; healthcheck.tcp passes on connect', async () => {
    const [httpPort, tcpPort, closedPort] = [await freePort(), await freePort(), await freePort()];
    const listener = `import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${tcpPort})); s.listen(5); time.sleep(1000)`;
    const s = new Scenario(
      d,
      'http-tcp',
      `
services:
  web:
    command: ["python3", "-m", "http.server", "--bind", "127.0.0.1", "${httpPort}"]
    healthcheck:
      http: http://127.0.0.1:${httpPort}/
      interval: 200ms
      retries: 100
  web_missing:
    command: ["sleep", "100"]
    healthcheck:
      http: http://127.0.0.1:${httpPort}/no/such/page
      interval: 200ms
      retries: 2
    depends_on:
      web:
        condition: service_healthy
  tcp:
    command: ["python3", "-c", "${listener}"]
    healthcheck:
      tcp: 127.0.0.1:${tcpPort}
      interval: 200ms
      retries: 100
  tcp_closed:
    command: ["sleep", "100"]
    healthcheck:
      tcp: 127.0.0.1:${closedPort}
      interval: 200ms
      retries: 2
`,
    );
    await s.ok(['start', '-d']);
    const web = await s.waitStatus('web', 'healthy');
    expect(web.last_health_output).toMatch(/HTTP 200/);
    const missing = await s.waitStatus('web_missing', 'unhealthy');
    expect(missing.last_health_output).toMatch(/HTTP 404/);
    const tcp = await s.waitStatus('tcp', 'healthy');
    expect(tcp.last_health_output).toMatch(/connected/);
    const closed = await s.waitStatus('tcp_closed', 'unhealthy');
    expect(closed.last_health_output).toMatch(/ECONNREFUSED/);
    await s.ok(['stop']);
  });
});
