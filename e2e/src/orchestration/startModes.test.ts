import { existsSync } from 'node:fs';
import { jest } from '@jest/globals';
import { TestDaemon, waitFor } from '../testkit.js';
import { Scenario, spawnCli } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-modes');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const ESC = '\x1b';

/** A health check that passes only from its Nth run on (counts its runs in a file). */
const passAfter = (n: number, file = 'checks') =>
  `["sh", "-c", "c=$(cat ${file} 2>/dev/null || echo 0); c=$((c+1)); echo $c > ${file}; [ $c -ge ${n} ]"]`;

describe('start -d', () => {
  test('returns 0 at once while a dependency is still waiting', async () => {
    const s = new Scenario(
      d,
      'detach',
      `
services:
  a:
    command: ["sleep", "100"]
    healthcheck:
      test: ["test", "-f", "go"]
      interval: 200ms
      retries: 1000
  b:
    command: ["sleep", "100"]
    depends_on:
      a:
        condition: service_healthy
`,
    );
    const r = await s.ok(['start', '-d']);
    expect(r.stdout).toMatch(/Starting a/);
    expect(r.stdout).toMatch(/Starting b/);
    // Returned while b still waits (the check cannot pass before the test creates `go`).
    expect((await s.svc('b')).status).toBe('waiting');
    s.write('go');
    await s.waitStatus('b', 'running');
    await s.ok(['stop']);
  });
});

describe('start -d --wait', () => {
  test('returns 0 once the startup cluster is ready, never early, and counts deferred services', async () => {
    const s = new Scenario(
      d,
      'wait-ok',
      `
services:
  a:
    command: ["sleep", "100"]
    healthcheck:
      test: ${passAfter(4)}
      interval: 200ms
      retries: 100
  b:
    command: ["sleep", "100"]
    healthcheck:
      test: ${passAfter(3, 'checks_b')}
      interval: 200ms
      retries: 100
    depends_on:
      a:
        condition: service_healthy
  job:
    command: ["sh", "-c", "sleep 0.5; exit 0"]
  after_job:
    command: ["sleep", "100"]
    depends_on:
      job:
        condition: service_completed_successfully
  alarm:
    command: ["sleep", "100"]
    depends_on:
      a:
        condition: service_unhealthy
  alarm_follower:
    command: ["sleep", "100"]
    depends_on: [alarm]
`,
    );
    // Colour allowed (no NO_COLOR): stdout is a pipe, so the progress must still be plain lines.
    const r = await d.cli(['-f', s.config, 'start', '-d', '--wait'], {
      cwd: s.dir,
      env: { NO_COLOR: '', FORCE_COLOR: undefined, TERM: 'xterm-256color' },
    });
    expect(r.code).toBe(0);
    // At return time, every startup-cluster service is at its target.
    const ps = Object.fromEntries((await s.ps()).map((x) => [x.name as string, x]));
    expect(ps.a?.status).toBe('healthy');
    expect(ps.b?.status).toBe('healthy');
    expect(ps.job?.status).toBe('exited');
    expect(ps.job?.exit_code).toBe(0);
    expect(ps.after_job?.status).toBe('running');
    expect(ps.alarm?.status).toBe('waiting');
    expect(ps.alarm_follower?.status).toBe('waiting');
    expect(r.stdout).toMatch(/4 services ready/);
    expect(r.stdout).toMatch(/2 deferred services continue in the background/);
    // Plain progress lines on a pipe.
    expect(r.stdout).toMatch(/^b: waiting \(waiting for a to be healthy\)$/m);
    expect(r.stdout).not.toContain(ESC);
    await s.ok(['stop']);
  });

  test('exits 1 with the failing service, its reason and its last log lines', async () => {
    const s = new Scenario(
      d,
      'wait-fail',
      `
services:
  slow:
    command: ["sleep", "100"]
    healthcheck:
      test: ["test", "-f", "never"]
      interval: 200ms
      retries: 1000
  bad:
    command: ["sh", "-c", "echo 'line one'; echo 'line two' >&2; sleep 0.3; exit 3"]
  hookfail:
    command: ["sleep", "100"]
    depends_on:
      slow:
        condition: service_healthy
        timeout: 10s
`,
    );
    const r = await s.cli(['start', '-d', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad failed: exited with code 3/);
    expect(r.stderr).toMatch(/Last log lines of bad/);
    expect(r.stderr).toMatch(/line one/);
    expect(r.stderr).toMatch(/line two/);
    // Not reported as ready: slow never became healthy.
    expect(r.stdout).not.toMatch(/ready/);
    await s.ok(['stop']);

    const h = new Scenario(
      d,
      'wait-fail-hook',
      `
services:
  svc:
    command: ["sleep", "100"]
    hooks:
      pre_start:
        run: "echo 'cannot prepare'; exit 5"
`,
    );
    const hr = await h.cli(['start', '-d', '--wait']);
    expect(hr.code).toBe(1);
    expect(hr.stderr).toMatch(/svc failed: pre_start hook exited with code 5/);
    expect(hr.stderr).toMatch(/svc\.pre_start.*cannot prepare/);
  });

  test('a dependency timeout inside the cluster fails the wait with the reason', async () => {
    const s = new Scenario(
      d,
      'wait-dep-timeout',
      `
services:
  a:
    command: ["sleep", "100"]
    healthcheck:
      test: ["false"]
      interval: 200ms
      retries: 1000
  b:
    command: ["sleep", "100"]
    depends_on:
      a:
        condition: service_healthy
        timeout: 1s
`,
    );
    const r = await s.cli(['start', '-d', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/b failed: .*timed out after 1s/);
    await s.ok(['stop']);
  });

  test('--timeout: exits 1 naming the service still pending', async () => {
    const s = new Scenario(
      d,
      'wait-timeout',
      `
services:
  slow:
    command: ["sleep", "100"]
    healthcheck:
      test: ["false"]
      interval: 200ms
      retries: 1000
`,
    );
    const r = await s.cli(['start', '-d', '--wait', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Startup timed out after 1s waiting for slow \((running|unhealthy)/);
    // The service keeps running: a --wait timeout is the caller giving up, not a stop.
    expect((await s.svc('slow')).status).toMatch(/running|unhealthy/);
    await s.ok(['stop']);
  });

  test('the per-edge `wait` override moves a service in or out of the startup cluster', async () => {
    const s = new Scenario(
      d,
      'wait-override',
      `
services:
  batch:
    command: ["sleep", "100"]
  report:
    command: ["sleep", "100"]
    depends_on:
      batch:
        condition: service_completed_successfully
        wait: false
`,
    );
    const r = await s.ok(['start', '-d', '--wait']);
    expect(r.stdout).toMatch(/1 service ready/);
    expect(r.stdout).toMatch(/1 deferred service continues in the background/);
    expect((await s.svc('report')).status).toBe('waiting');
    await s.ok(['stop']);

    const t = new Scenario(
      d,
      'wait-override-true',
      `
services:
  a:
    command: ["sleep", "100"]
    healthcheck:
      test: ["true"]
      interval: 200ms
  watcher:
    command: ["sleep", "100"]
    depends_on:
      a:
        condition: service_unhealthy
        wait: true
`,
    );
    const w = await t.cli(['start', '-d', '--wait', '--timeout', '2s']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/Startup timed out after 2s waiting for watcher \(waiting/);
    await t.ok(['stop']);
  });

  test('flag errors name the flag', async () => {
    const s = new Scenario(d, 'usage', 'services:\n  a:\n    command: ["sleep", "100"]\n');
    for (const cmd of ['start', 'restart']) {
      const w = await s.cli([cmd, '--wait']);
      expect(w.code).toBe(1);
      expect(w.stderr).toMatch(/--wait requires -d/);
      expect(w.stderr).not.toMatch(/\n\s+at /);
      const t = await s.cli([cmd, '-d', '--timeout', '5s']);
      expect(t.code).toBe(1);
      expect(t.stderr).toMatch(/--timeout requires --wait/);
    }
    // Nothing was started by the rejected commands: the config was not even loaded.
    const ps = await s.cli(['ps', '--json']);
    expect(JSON.parse(ps.stdout)).toEqual([]);
    expect(ps.stderr).toMatch(/is not loaded/);
    expect(existsSync(d.configStateDir(s.config))).toBe(false);
  });

  test('Ctrl+C while waiting exits 130 and leaves the services starting', async () => {
    const s = new Scenario(
      d,
      'wait-sigint',
      `
services:
  slow:
    command: ["sleep", "100"]
    healthcheck:
      test: ["false"]
      interval: 200ms
      retries: 1000
`,
    );
    const cli = spawnCli(s, ['start', '-d', '--wait']);
    const svc = await s.waitStatus('slow', 'running');
    await waitFor(() => /slow: running/.test(cli.stdout), 'the running progress line');
    cli.signal('SIGINT');
    expect(await cli.wait(10_000)).toBe(130);
    expect(cli.stderr).toMatch(/Interrupted/);
    const after = await s.svc('slow');
    expect(after.status).toBe('running');
    expect(after.pid).toBe(svc.pid);
    await s.ok(['stop']);
  });

  test('restart -d --wait returns once the restarted services are ready again', async () => {
    const s = new Scenario(
      d,
      'restart-wait',
      `
services:
  a:
    command: ["sleep", "100"]
    hooks:
      pre_start:
        run: rm -f checks
    healthcheck:
      test: ${passAfter(3)}
      interval: 200ms
      retries: 100
`,
    );
    await s.ok(['start', '-d', '--wait']);
    const before = await s.svc('a');
    expect(before.status).toBe('healthy');
    const r = await s.ok(['restart', '-d', '--wait']);
    expect(r.stdout).toMatch(/1 service ready/);
    const after = await s.svc('a');
    expect(after.pid).not.toBe(before.pid);
    expect(after.status).toBe('healthy');
    expect(after.restarts).toBe(1);
    await s.ok(['stop']);
  });
});
