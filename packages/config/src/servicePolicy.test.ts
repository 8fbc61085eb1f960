/** priority, soft dependencies (`required`), restart limits and health actions: defaults, values, bad input with positions. */
import { bakeYaml, cleanupTmpDirs, errorsOf } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('priority', () => {
  it('defaults to 0 and takes negative integers', async () => {
    const baked = await bakeYaml(
      y('services:', '  a:', '    command: [x]', '  b:', '    command: [x]', '    priority: -5'),
    );
    expect(baked.services.a?.priority).toBe(0);
    expect(baked.services.b?.priority).toBe(-5);
  });

  it('refuses a non-integer with its position', async () => {
    expect(
      await errorsOf(
        y(
          'services:',
          '  a:',
          '    command: [x]',
          '    priority: 1.5',
          '  b:',
          '    command: [x]',
          '    priority: high',
        ),
      ),
    ).toEqual([
      'kepler.yaml:4:15 services.a.priority: expected an integer, got the number 1.5',
      'kepler.yaml:7:15 services.b.priority: expected an integer, got "high"',
    ]);
  });
});

describe('depends_on required', () => {
  it('is true by default (list and map forms) and false makes a soft edge', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  db:',
        '    command: [x]',
        '  web:',
        '    command: [x]',
        '    depends_on: [db]',
        '  worker:',
        '    command: [x]',
        '    depends_on:',
        '      db: {condition: service_started, required: false}',
        '      web:',
      ),
    );
    expect(baked.services.web?.dependsOn.db?.required).toBe(true);
    expect(baked.services.worker?.dependsOn.db?.required).toBe(false);
    expect(baked.services.worker?.dependsOn.web?.required).toBe(true);
  });

  it('refuses a non-boolean with its position', async () => {
    expect(
      await errorsOf(
        y(
          'services:',
          '  db:',
          '    command: [x]',
          '  web:',
          '    command: [x]',
          '    depends_on:',
          '      db: {required: no}',
        ),
      ),
    ).toEqual(['kepler.yaml:7:22 services.web.depends_on.db.required: expected true or false, got "no"']);
  });
});

describe('restart limits', () => {
  it('is unlimited by default; max_retries and on-failure:N cap it', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  a:',
        '    command: [x]',
        '    restart: always',
        '  b:',
        '    command: [x]',
        '    restart: {policy: always, max_retries: 4}',
        '  c:',
        '    command: [x]',
        '    restart: on-failure:3',
        '  d:',
        '    command: [x]',
        '    restart: "on-failure:0"',
      ),
    );
    expect(baked.services.a?.restart).toMatchObject({ policy: 'always', maxRetries: null });
    expect(baked.services.b?.restart).toMatchObject({ policy: 'always', maxRetries: 4 });
    expect(baked.services.c?.restart).toMatchObject({ policy: 'on-failure', maxRetries: 3 });
    expect(baked.services.d?.restart).toMatchObject({ policy: 'on-failure', maxRetries: 0 });
  });

  it('refuses a negative or non-integer max_retries and a bad on-failure:N, with positions', async () => {
    expect(
      await errorsOf(
        y(
          'services:',
          '  a:',
          '    command: [x]',
          '    restart: {policy: always, max_retries: -1}',
          '  b:',
          '    command: [x]',
          '    restart: {policy: always, max_retries: 2.5}',
          '  c:',
          '    command: [x]',
          '    restart: on-failure:x',
          '  d:',
          '    command: [x]',
          '    restart: on-failure:-2',
          '  e:',
          '    command: [x]',
          '    restart: always:3',
        ),
      ),
    ).toEqual([
      'kepler.yaml:4:44 services.a.restart.max_retries: must be at least 0, got -1',
      'kepler.yaml:7:44 services.b.restart.max_retries: expected an integer, got the number 2.5',
      'kepler.yaml:10:14 services.c.restart: "x" in "on-failure:x" is not a whole number of restarts (e.g. on-failure:3)',
      'kepler.yaml:13:14 services.d.restart: "-2" in "on-failure:-2" is not a whole number of restarts (e.g. on-failure:3)',
      'kepler.yaml:16:14 services.e.restart: "always:3" is not one of no, always, on-failure (did you mean "always"?)',
    ]);
  });
});

describe('healthcheck on_unhealthy and start_timeout', () => {
  it('default to keep and no limit', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  a:',
        '    command: [x]',
        '    healthcheck: {test: ["true"]}',
        '  b:',
        '    command: [x]',
        '    healthcheck: {test: ["true"], on_unhealthy: restart, start_timeout: 20s}',
      ),
    );
    expect(baked.services.a?.healthcheck).toMatchObject({ onUnhealthy: 'keep', startTimeoutMs: null });
    expect(baked.services.b?.healthcheck).toMatchObject({ onUnhealthy: 'restart', startTimeoutMs: 20_000 });
  });

  it('refuses a bad value and either key without a test, with positions', async () => {
    expect(
      await errorsOf(
        y(
          'services:',
          '  a:',
          '    command: [x]',
          '    healthcheck: {test: ["true"], on_unhealthy: reboot}',
          '  b:',
          '    command: [x]',
          '    healthcheck:',
          '      on_unhealthy: restart',
          '      start_timeout: 5s',
          '  c:',
          '    command: [x]',
          '    healthcheck: {test: ["NONE"], on_unhealthy: restart}',
        ),
      ),
    ).toEqual([
      'kepler.yaml:4:49 services.a.healthcheck.on_unhealthy: "reboot" is not one of keep, restart',
      'kepler.yaml:8:7 services.b.healthcheck: needs one of test, http or tcp',
      'kepler.yaml:8:21 services.b.healthcheck.on_unhealthy: on_unhealthy needs a health check (test, http or tcp), and this one has none',
      'kepler.yaml:9:22 services.b.healthcheck.start_timeout: start_timeout needs a health check (test, http or tcp), and this one has none',
      'kepler.yaml:12:49 services.c.healthcheck.on_unhealthy: on_unhealthy needs a health check (test, http or tcp), and this one has none',
    ]);
  });
});
