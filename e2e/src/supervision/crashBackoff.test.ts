// A daemon killed (kill -9) while a service waits out its restart backoff: the next daemon waits out
// the rest of it, and the restart limit counts the restarts made before the kill.
import { join } from 'node:path';
import { fileLines, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-sup-backoff');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Info = Record<string, unknown>;

/** A service that records each start in `starts` and exits 1 at once. */
function crasher(name: string, restart: string): { config: string; starts: string } {
  const starts = join(d.workDir, name, 'starts');
  const config = d.writeConfig(
    `services:
  ${name}:
    command: ["sh", "-c", "echo run >> ${starts}; exit 1"]
    restart: ${restart}
`,
    `${name}/kepler.yaml`,
  );
  return { config, starts };
}

async function backoffOf(config: string, service: string): Promise<Info> {
  const r = await d.cli(['inspect', service, '--json', '-f', config]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { backoff: Info }).backoff;
}

/** Waits until the service waits out a backoff of `ms` (its second crash in a row). */
const waitForBackoff = (config: string, service: string, ms: number): Promise<Info> =>
  waitFor(async () => {
    const s = await d.service(config, service);
    return s.status === 'restarting' && String(s.reason).endsWith(`in ${ms} ms`) ? s : null;
  }, `${service} to wait ${ms} ms`);

test(
  'a service in a 20 s backoff is still waiting after the daemon is killed and restarted: not started again',
  async () => {
    const { config, starts } = crasher('slow', '{policy: always, backoff: {initial: 20s}}');
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    const before = await waitForBackoff(config, 'slow', 20_000);
    const wait = await backoffOf(config, 'slow');
    expect(wait).toMatchObject({ consecutive_crashes: 2, delay_ms: 20_000 });
    expect(fileLines(starts)).toHaveLength(2);

    await d.crash();
    await d.start();
    const after = await d.service(config, 'slow');
    expect(after).toMatchObject({ status: 'restarting', pid: null, restarts: 2, reason: before.reason });
    // The same wait, due at the same time: not a new one after a fresh crash.
    expect(await backoffOf(config, 'slow')).toEqual(wait);

    // And it stays waiting (today's daemon started it at once): checked for a while, well inside the 20 s.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      expect((await d.service(config, 'slow')).status).toBe('restarting');
      expect(fileLines(starts)).toHaveLength(2);
    }
    expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    expect(await d.service(config, 'slow')).toMatchObject({ status: 'stopped', pid: null });
    expect(fileLines(starts)).toHaveLength(2);
  },
  T,
);

test(
  'max_retries counts across a daemon restart: the service ends failed, saying it gave up',
  async () => {
    const { config, starts } = crasher('flappy', '{policy: always, max_retries: 2, backoff: {initial: 3s}}');
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    await waitForBackoff(config, 'flappy', 3000); // restart 2 of 2 is pending
    await d.crash();
    await d.start();
    const failed = await d.waitStatus(config, 'flappy', 'failed', 30_000);
    expect(failed).toMatchObject({
      reason: 'gave up after 2 restarts (exited with code 1)',
      restarts: 2,
      pid: null,
    });
    // Three runs: the budget was not renewed by the daemon restart.
    expect(fileLines(starts)).toHaveLength(3);
    const table = await d.cli(['ps', '-f', config]);
    expect(table.stdout).toMatch(/flappy\s+failed \(gave up after 2 restarts/);
  },
  T,
);
