import { jest } from '@jest/globals';
import { alive, TestDaemon, waitFor } from '../testkit.js';
import { Scenario, spawnCli, WAIT_MS } from './helpers.js';

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
    // Nothing was started by the rejected commands.
    expect((await s.svc('a')).status).toBe('stopped');
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

describe('foreground start', () => {
  test('shows state changes and log lines, exits 0 by itself at quiescence', async () => {
    const s = new Scenario(
      d,
      'fg-ok',
      `
services:
  first:
    command: ["sh", "-c", "echo hello-from-first"]
  second:
    command: ["sh", "-c", "sleep 0.3; echo hello-from-second"]
    depends_on:
      first:
        condition: service_completed_successfully
`,
    );
    const cli = spawnCli(s, ['start']);
    const code = await cli.wait();
    expect(code).toBe(0);
    expect(cli.stdout).toMatch(/first\s+\| hello-from-first/);
    expect(cli.stdout).toMatch(/second\s+\| hello-from-second/);
    expect(cli.stdout).toMatch(/second\s+\* waiting/);
    expect(cli.stdout).toMatch(/first\s+\* exited/);
    expect(cli.stdout).toMatch(/second\s+\* exited/);
    expect(cli.stdout).not.toContain(ESC);
  });

  test('waits for post_exit hooks: their output is shown before the CLI exits', async () => {
    const s = new Scenario(
      d,
      'fg-post-exit',
      `
services:
  job:
    command: ["sh", "-c", "echo job-ran"]
    hooks:
      post_exit:
        run: sleep 0.5; echo post-exit-ran
`,
    );
    const cli = spawnCli(s, ['start']);
    expect(await cli.wait()).toBe(0);
    expect(cli.stdout).toMatch(/job\s+\| job-ran/);
    expect(cli.stdout).toMatch(/job\.post_exit\s+\| post-exit-ran/);
  });

  test('exits 1 at quiescence when a service failed, naming it', async () => {
    const s = new Scenario(
      d,
      'fg-fail',
      `
services:
  good:
    command: ["true"]
  bad:
    command: ["sh", "-c", "exit 2"]
  blocked:
    command: ["sleep", "100"]
    depends_on:
      bad:
        condition: service_completed_successfully
`,
    );
    const cli = spawnCli(s, ['start']);
    expect(await cli.wait()).toBe(1);
    expect(cli.stderr).toMatch(/bad failed: exited with code 2/);
    expect(cli.stderr).toMatch(/blocked failed: dependency not satisfied/);
  });

  test('a failing pre_start hook ends the foreground run with 1', async () => {
    const s = new Scenario(
      d,
      'fg-hookfail',
      `
services:
  prep:
    command: ["sleep", "100"]
    hooks:
      pre_start:
        run: "exit 3"
`,
    );
    const cli = spawnCli(s, ['start']);
    expect(await cli.wait()).toBe(1);
    expect(cli.stderr).toMatch(/prep failed: pre_start hook/);
  });

  test('a deferred service whose dependency can never satisfy it fails, so the foreground still ends', async () => {
    const s = new Scenario(
      d,
      'fg-deferred',
      `
services:
  job:
    command: ["sh", "-c", "sleep 0.3; exit 0"]
  on_fail:
    command: ["sleep", "100"]
    depends_on:
      job:
        condition: service_failed
`,
    );
    const cli = spawnCli(s, ['start']);
    expect(await cli.wait()).toBe(1);
    expect(cli.stderr).toMatch(/on_fail failed: .*will not restart/);
  });

  test('first SIGINT stops the services gracefully and waits; exit once they are stopped', async () => {
    const s = new Scenario(
      d,
      'fg-sigint',
      `
services:
  a:
    command: ["sh", "-c", "trap 'sleep 1; echo a-stopped >> $REC; exit 0' TERM; echo a-trapped; while true; do sleep 0.1; done"]
  b:
    command: ["sh", "-c", "trap 'echo b-stopped >> $REC; exit 0' TERM; echo b-trapped; while true; do sleep 0.1; done"]
    depends_on: [a]
`,
    );
    const cli = spawnCli(s, ['start']);
    await s.waitStatus('a', 'running');
    await s.waitStatus('b', 'running');
    await waitFor(
      () => cli.stdout.includes('b * running') || /b\s+\* running/.test(cli.stdout),
      'running line',
    );
    // TERM before a trap is installed would end the shell at once instead of gracefully.
    await waitFor(() => /a-trapped/.test(cli.stdout) && /b-trapped/.test(cli.stdout), 'both traps set');
    cli.signal('SIGINT');
    const code = await cli.wait();
    expect(code).toBe(0);
    expect(cli.stderr).toMatch(/Stopping services/);
    // Already stopped when the CLI returned: it waited for the graceful stop (a takes 1 s).
    expect(s.lines()).toEqual(['b-stopped', 'a-stopped']);
    for (const n of ['a', 'b']) expect((await s.svc(n)).status).toBe('stopped');
  });

  test('a second SIGINT exits 130 at once', async () => {
    const s = new Scenario(
      d,
      'fg-sigint2',
      `
services:
  stubborn:
    command: ["sh", "-c", "trap '' TERM; echo trap-set; while true; do sleep 0.1; done"]
    stop_grace_period: 30s
`,
    );
    const cli = spawnCli(s, ['start']);
    const svc = await s.waitStatus('stubborn', 'running');
    // Only once the trap is in place does TERM stop nothing (a TERM before it would end the shell).
    await waitFor(() => /stubborn\s+\| trap-set/.test(cli.stdout), 'the trap-set log line');
    cli.signal('SIGINT');
    await s.waitStatus('stubborn', 'stopping');
    cli.signal('SIGINT');
    expect(await cli.wait(10_000)).toBe(130);
    // The service is still inside its 30 s grace period: the CLI did not wait for it.
    expect((await s.svc('stubborn')).status).toBe('stopping');
    expect(alive(svc.pid as number)).toBe(true);
    // End it ourselves rather than waiting out the grace period.
    process.kill(svc.pid as number, 'SIGKILL');
    await s.waitStatus('stubborn', 'stopped', WAIT_MS);
  });
});

describe('foreground restart', () => {
  test('follows the restarted service (new pid, its lines), and Ctrl+C stops it gracefully', async () => {
    const s = new Scenario(
      d,
      'fg-restart',
      `
services:
  app:
    command: ["sh", "-c", "trap 'exit 0' TERM; echo \\"up $$\\"; while true; do sleep 0.1; done"]
`,
    );
    await s.ok(['start', '-d']);
    const before = await s.waitStatus('app', 'running');
    const cli = spawnCli(s, ['restart']);
    const after = await waitFor(async () => {
      const svc = await s.svc('app');
      return svc.status === 'running' && svc.pid !== before.pid ? svc : null;
    }, 'a new pid');
    await waitFor(() => cli.stdout.includes(`up ${after.pid}`), "the restarted process's line");
    expect(cli.running).toBe(true); // a long-running service: no quiescence, it keeps following
    cli.signal('SIGINT');
    expect(await cli.wait()).toBe(0);
    expect((await s.svc('app')).status).toBe('stopped');
  });
});
