import { TestDaemon } from '../testkit.js';

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
