/**
 * What a foreground `start NAME` / `restart NAME` follows and says (issue 10, defects 4 and 5): it
 * names what it follows and what Ctrl+C does, shows only the named services and their dependencies,
 * says when a service is already running, and says why a restart did nothing instead of exiting silently.
 */
import { jest } from '@jest/globals';
import { TestDaemon, waitFor } from '../testkit.js';
import { Scenario, spawnCli } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-fg-follow');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

/** Long-running services that end at once on TERM and say when they start. */
const STACK = `
services:
  db:
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db-up; while true; do sleep 0.1; done"]
  api:
    command: ["sh", "-c", "trap 'exit 0' TERM; echo api-up; while true; do sleep 0.1; done"]
    depends_on: [db]
  worker:
    command: ["sh", "-c", "trap 'exit 0' TERM; echo worker-up; while true; do sleep 0.1; done"]
`;

/** Lines of the foreground output that are about `service` (state lines and log lines). */
function linesOf(output: string, service: string): string[] {
  return output.split('\n').filter((l) => new RegExp(`^\\S+ ${service}\\s+[*|] `).test(l));
}

describe('foreground restart with nothing to restart', () => {
  test('says so and what to run, for every service and for a named stopped one', async () => {
    const s = new Scenario(d, 'nothing', STACK);
    await s.ok(['start', '-d', 'worker']);
    await s.waitStatus('worker', 'running');
    await s.ok(['stop']);

    const all = await s.cli(['restart']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('No running services to restart (`kepler start` starts them)\n');

    const named = await s.cli(['restart', 'worker']);
    expect(named.code).toBe(0);
    expect(named.stdout).toBe('worker is not running, so not restarted (`kepler start worker` starts it)\n');
    expect((await s.svc('worker')).status).toBe('stopped');
  });
});

describe('foreground start/restart NAME follows NAME and its dependencies only', () => {
  test('start api: a header first, db and api lines, none of the unrelated worker; Ctrl+C stops api', async () => {
    const s = new Scenario(d, 'start-named', STACK);
    await s.ok(['start', '-d', 'worker']);
    const worker = await s.waitStatus('worker', 'running');

    const cli = spawnCli(s, ['start', 'api']);
    await waitFor(() => /api\s+\| api-up/.test(cli.stdout), "api's first line");
    // The worker changes state while we follow api: none of it may reach this output.
    await s.ok(['restart', '-d', 'worker']);
    await s.waitSvc('worker', (w) => w.status === 'running' && w.pid !== worker.pid, 'to run again');
    cli.signal('SIGINT');
    expect(await cli.wait()).toBe(0);

    expect(cli.stdout.split('\n')[0]).toBe('Following api (Ctrl+C stops it; -d returns at once)');
    // The dependency's state changes, not its log lines (as `docker compose up api`).
    expect(cli.stdout).toMatch(/db\s+\* running/);
    expect(cli.stdout).not.toContain('db-up');
    expect(linesOf(cli.stdout, 'worker')).toEqual([]);
    // Ctrl+C stopped what was named, nothing else.
    expect((await s.svc('api')).status).toBe('stopped');
    expect((await s.svc('worker')).status).toBe('running');
    await s.ok(['stop']);
  });

  test('restart api: the same header, without the worker restarted meanwhile', async () => {
    const s = new Scenario(d, 'restart-named', STACK);
    await s.ok(['start', '-d']);
    const api = await s.waitStatus('api', 'running');
    const worker = await s.waitStatus('worker', 'running');

    const cli = spawnCli(s, ['restart', 'api']);
    await s.waitSvc('api', (a) => a.status === 'running' && a.pid !== api.pid, 'to run again');
    await waitFor(() => /api\s+\* running/.test(cli.stdout), "api's running line");
    await s.ok(['restart', '-d', 'worker']);
    await s.waitSvc('worker', (w) => w.status === 'running' && w.pid !== worker.pid, 'to run again');
    cli.signal('SIGINT');
    expect(await cli.wait()).toBe(0);

    expect(cli.stdout.split('\n')[0]).toBe('Following api (Ctrl+C stops it; -d returns at once)');
    expect(linesOf(cli.stdout, 'api').length).toBeGreaterThan(0);
    expect(linesOf(cli.stdout, 'worker')).toEqual([]);
    await s.ok(['stop']);
  });

  test('start NAME on a running service says it is already running, then follows it', async () => {
    const s = new Scenario(d, 'already', STACK);
    await s.ok(['start', '-d', 'worker']);
    await s.waitStatus('worker', 'running');

    const cli = spawnCli(s, ['start', 'worker']);
    await waitFor(() => cli.stdout.includes('Following worker'), 'the header');
    expect(cli.stdout).toBe(
      'worker is already running\nFollowing worker (Ctrl+C stops it; -d returns at once)\n',
    );
    cli.signal('SIGINT');
    expect(await cli.wait()).toBe(0);
    expect((await s.svc('worker')).status).toBe('stopped');
  });
});
