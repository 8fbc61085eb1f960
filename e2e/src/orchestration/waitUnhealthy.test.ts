import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../testkit.js';
import { CliProcess } from './helpers.js';

const T = 60_000;

describe('start -d --wait and health', () => {
  const d = new TestDaemon('kepler-orch-unhealthy');
  beforeAll(() => d.start(), T);
  afterAll(() => d.cleanup(), T);

  test(
    'a service whose health check gives up fails the wait at once (no --timeout needed), with the reason',
    async () => {
      const config = d.writeConfig(`services:
  sick:
    command: ["sleep", "300"]
    healthcheck:
      test: ["sh", "-c", "echo not-ready; exit 1"]
      interval: 100ms
      retries: 2
`);
      const r = await d.cli(['start', '-d', '--wait', '-f', config], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/sick.*unhealthy after 2 failed checks: not-ready/);
      expect((await d.service(config, 'sick')).status).toBe('unhealthy');
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );
});

// Issue 10, defect 3: `--wait` fails fast on a service never healthy since it started (CI), but waits
// out a blip of one that was healthy (a dependency restarting), until it recovers or --timeout passes.
describe('start -d --wait and a health blip', () => {
  const d = new TestDaemon('kepler-orch-blip');
  beforeAll(() => d.start(), T);
  afterAll(() => d.cleanup(), T);

  /** A config whose `svc` is healthy while `<dir>/<svc>-ok` exists; `slow` may take minutes to be. */
  function blipConfig(name: string): { config: string; ok: (svc: string, on: boolean) => void } {
    const dir = join(d.workDir, name);
    mkdirSync(dir, { recursive: true });
    const check = (svc: string) => `
    healthcheck:
      test: "test -f ${dir}/${svc}-ok"
      interval: 100ms
      retries: 2`;
    const config = d.writeConfig(
      `services:
  blip:
    command: ["sleep", "300"]${check('blip')}
  slow:
    command: ["sleep", "300"]${check('slow')}
      start_period: 5m
`,
      `${name}/kepler.yaml`,
    );
    const ok = (svc: string, on: boolean) =>
      on ? writeFileSync(join(dir, `${svc}-ok`), '') : rmSync(join(dir, `${svc}-ok`), { force: true });
    return { config, ok };
  }

  test(
    'a service that was healthy and blips unhealthy while another starts is waited for',
    async () => {
      const { config, ok } = blipConfig('during');
      ok('blip', true);
      expect((await d.cli(['start', '-d', '--wait', '-f', config, 'blip'])).code).toBe(0);
      const wait = new CliProcess(['start', '-d', '--wait', '--timeout', '60s', '-f', config], {
        cwd: d.workDir,
        env: d.env,
      });
      await d.waitStatus(config, 'slow', 'running');
      ok('blip', false);
      await d.waitStatus(config, 'blip', 'unhealthy');
      ok('blip', true);
      await d.waitStatus(config, 'blip', 'healthy');
      ok('slow', true);
      const code = await wait.wait();
      expect({ code, stderr: wait.stderr }).toEqual({ code: 0, stderr: '' });
      expect(wait.stdout).toMatch(/blip.*it was healthy before: waiting for it to recover/);
      expect(wait.stdout).toMatch(/2 services ready/);
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );

  test(
    'one that was healthy and stays unhealthy fails the wait when --timeout passes, saying why',
    async () => {
      const { config, ok } = blipConfig('stays');
      ok('blip', true);
      ok('slow', true);
      expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
      ok('blip', false);
      await d.waitStatus(config, 'blip', 'unhealthy');
      const r = await d.cli(['start', '-d', '--wait', '--timeout', '2s', '-f', config]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /timed out after 2s waiting for blip \(unhealthy after \d+ failed checks: exit code 1\)/,
      );
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );

  test(
    'one never healthy since it started still fails the wait at once, even after a healthy run before',
    async () => {
      const { config, ok } = blipConfig('never');
      ok('blip', true);
      ok('slow', true);
      expect((await d.cli(['start', '-d', '--wait', '-f', config])).code).toBe(0);
      ok('blip', false);
      ok('slow', false);
      // A new process: healthy in its previous run does not count.
      const started = Date.now();
      const r = await d.cli(['restart', '-d', '--wait', '--timeout', '60s', '-f', config]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/blip failed: unhealthy after 2 failed checks/);
      // Fail fast: long before --timeout (slow, in its start period, would have kept the wait going).
      expect(Date.now() - started).toBeLessThan(30_000);
      expect((await d.cli(['stop', '-f', config])).code).toBe(0);
    },
    T,
  );
});
