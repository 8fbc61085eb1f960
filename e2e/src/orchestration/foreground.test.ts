/**
 * The foreground modes of `start` and `restart` (no -d), like `docker compose up`: state changes and
 * log lines until every service is terminal, the exit code from the outcome, Ctrl+C handling.
 */
import { jest } from '@jest/globals';
import { alive, TestDaemon, waitFor } from '../testkit.js';
import { Scenario, spawnCli, WAIT_MS } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-foreground');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

const ESC = '\x1b';

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

  test('what a service writes while it stops is shown before the CLI exits', async () => {
    const s = new Scenario(
      d,
      'fg-stop-output',
      `
services:
  app:
    command: ["sh", "-c", "trap 'echo app-said-goodbye; exit 0' TERM; echo app-trapped; while true; do sleep 0.1; done"]
    logs: { retention: { on_stop: retain } }
`,
    );
    const cli = spawnCli(s, ['start']);
    await waitFor(() => /app\s+\| app-trapped/.test(cli.stdout), 'the trap set');
    cli.signal('SIGINT');
    expect(await cli.wait()).toBe(0);
    expect(cli.stdout).toMatch(/app\s+\| app-said-goodbye/);
  });

  test('Ctrl+C shows the post_stop hooks, of the service and the global one, before the CLI exits', async () => {
    const s = new Scenario(
      d,
      'fg-post-stop',
      `
kepler:
  hooks:
    post_stop: { run: sleep 0.3; echo global-post-stop-ran }
services:
  app:
    command: ["sh", "-c", "echo app-up; exec sleep 300"]
    hooks:
      post_stop: { run: sleep 0.3; echo app-post-stop-ran }
`,
    );
    const cli = spawnCli(s, ['start']);
    await waitFor(() => /app\s+\| app-up/.test(cli.stdout), 'app running');
    cli.signal('SIGINT');
    expect(await cli.wait()).toBe(0);
    expect(cli.stdout).toMatch(/app\.post_stop\s+\| app-post-stop-ran/);
    expect(cli.stdout).toMatch(/global\.post_stop\s+\| global-post-stop-ran/);
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
