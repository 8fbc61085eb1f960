/** Cross-field rules (validate stage), each message pinned. */
import { cleanupTmpDirs, errorsOf } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('dependencies', () => {
  it('reports unknown dependency names with a did-you-mean', async () => {
    const yaml = y(
      'services:',
      '  database:',
      '    command: [a]',
      '  web:',
      '    command: [a]',
      '    depends_on: [databse, cache]',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:6:18 services.web.depends_on.databse: unknown service "databse" (did you mean "database"?)',
      'kepler.yaml:6:27 services.web.depends_on.cache: unknown service "cache"',
    ]);
  });

  it('spells out a cycle', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [x]',
      '    depends_on: [b]',
      '  b:',
      '    command: [x]',
      '    depends_on: [c]',
      '  c:',
      '    command: [x]',
      '    depends_on: [a]',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:18 services.a.depends_on: dependency cycle: a -> b -> c -> a',
    ]);
  });

  it('reports a self-dependency and each distinct cycle once', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [x]',
      '    depends_on: [a]',
      '  b:',
      '    command: [x]',
      '    depends_on: {c: {condition: service_started}}',
      '  c:',
      '    command: [x]',
      '    depends_on: [b]',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:18 services.a.depends_on: dependency cycle: a -> a',
      'kepler.yaml:7:18 services.b.depends_on: dependency cycle: b -> c -> b',
    ]);
  });

  it('reports a duplicate edge', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [x]',
      '  b:',
      '    command: [x]',
      '    depends_on: [a, a]',
    );
    expect(await errorsOf(yaml)).toEqual(['kepler.yaml:6:21 services.b.depends_on.a: "a" is listed twice']);
  });

  it('requires a healthcheck for service_healthy and service_unhealthy', async () => {
    const yaml = y(
      'services:',
      '  db:',
      '    command: [x]',
      '  web:',
      '    command: [x]',
      '    depends_on:',
      '      db:',
      '        condition: service_healthy',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:8:20 services.web.depends_on.db.condition: service_healthy needs a healthcheck on "db", which has none',
    ]);
  });

  it('counts a docker ["NONE"] test as no healthcheck, and an empty CMD as an empty test', async () => {
    const yaml = y(
      'services:',
      '  db:',
      '    command: [x]',
      '    healthcheck: {test: [NONE]}',
      '  web:',
      '    command: [x]',
      '    healthcheck: {test: [CMD-SHELL]}',
      '    depends_on:',
      '      db: {condition: service_healthy}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:7:25 services.web.healthcheck.test: test is empty (give a command, e.g. ["sh", "-c", "exit 0"])',
      'kepler.yaml:9:23 services.web.depends_on.db.condition: service_healthy needs a healthcheck on "db", which has none',
    ]);
  });

  it('allows exit_code only with service_failed and service_stopped', async () => {
    const yaml = y(
      'services:',
      '  db:',
      '    command: [x]',
      '  web:',
      '    command: [x]',
      '    depends_on:',
      '      db: {exit_code: [1]}',
      '  ok:',
      '    command: [x]',
      '    depends_on:',
      '      db: {condition: service_stopped, exit_code: [1, "3:4"]}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:7:23 services.web.depends_on.db.exit_code: exit_code applies only to service_failed and service_stopped (condition is service_started)',
    ]);
  });
});

describe('restart', () => {
  it('rejects watch with policy no, explicit or defaulted', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [x]',
      '    restart:',
      '      policy: no',
      '      watch: ["src/**"]',
      '  b:',
      '    command: [x]',
      '    restart: {watch: ["src/**"]}',
      '  c:',
      '    command: [x]',
      '    restart: {policy: on-failure, watch: ["src/**"]}',
    );
    const message =
      'watch needs restart policy always or on-failure (policy is "no"); a file change would have nothing to restart';
    expect(await errorsOf(yaml)).toEqual([
      `kepler.yaml:6:14 services.a.restart.watch: ${message}`,
      `kepler.yaml:9:22 services.b.restart.watch: ${message}`,
    ]);
  });

  it('rejects a backoff whose initial delay exceeds max', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [x]',
      '    restart: {policy: always, backoff: {initial: 1m, max: 1s}}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:40 services.a.restart.backoff: initial is longer than max',
    ]);
  });
});

describe('commands and probes', () => {
  it('rejects an empty command and an empty program name', async () => {
    const yaml = y('services:', '  a:', '    command: []', '  b:', '    command: ["", "x"]');
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:14 services.a.command: command is empty (give the program and its arguments, e.g. ["sleep", "60"])',
      'kepler.yaml:5:14 services.b.command[0]: the program name is empty',
    ]);
  });

  it('needs exactly one of test, http or tcp', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [x]',
      '    healthcheck: {interval: 1s}',
      '  b:',
      '    command: [x]',
      '    healthcheck: {test: [x], http: "http://127.0.0.1:1/"}',
      '  c:',
      '    command: [x]',
      '    healthcheck: {test: []}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:18 services.a.healthcheck: needs one of test, http or tcp',
      'kepler.yaml:7:18 services.b.healthcheck: use only one of test, http or tcp (found test and http)',
      'kepler.yaml:10:25 services.c.healthcheck.test: test is empty (give a command, e.g. ["sh", "-c", "exit 0"])',
    ]);
  });
});

describe('hooks', () => {
  it('needs exactly one of run or command, neither empty', async () => {
    const yaml = y(
      'kepler:',
      '  hooks:',
      '    pre_start: {user: root}',
      'services:',
      '  a:',
      '    command: [x]',
      '    hooks:',
      '      pre_start: {run: echo, command: [echo]}',
      '      post_start: {run: "  "}',
      '      pre_stop: {command: []}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:16 kepler.hooks.pre_start: needs run (a shell script) or command (an argv list)',
      'kepler.yaml:8:18 services.a.hooks.pre_start: use either run or command, not both',
      'kepler.yaml:9:25 services.a.hooks.post_start.run: run is empty',
      'kepler.yaml:10:27 services.a.hooks.pre_stop.command: command is empty',
    ]);
  });
});

describe('durations that would spin', () => {
  it('refuses a zero health interval or timeout and a zero restart backoff', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: [a]',
      '    healthcheck: {test: [a], interval: 0, timeout: 0s}',
      '    restart: {policy: always, backoff: {initial: 0ms, max: 5ms}}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:40 services.web.healthcheck.interval: 0 is too short: use at least 10ms',
      'kepler.yaml:4:52 services.web.healthcheck.timeout: "0s" is too short: use at least 10ms',
      'kepler.yaml:5:50 services.web.restart.backoff.initial: "0ms" is too short: use at least 10ms',
      'kepler.yaml:5:60 services.web.restart.backoff.max: "5ms" is too short: use at least 10ms',
    ]);
  });

  // Past 2^31-1 ms a Node timer fires at once: a 25d health interval ran its check in a loop.
  it('refuses a duration longer than 24 days, which a timer cannot wait', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: [a]',
      '    healthcheck: {test: [a], interval: 25d}',
      '    stop_grace_period: 2073600.001',
      '  ok:',
      '    command: [a]',
      '    healthcheck: {test: [a], interval: 24d}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:40 services.web.healthcheck.interval: "25d" is too long: use at most 24d',
      'kepler.yaml:5:24 services.web.stop_grace_period: 2073600.001 is too long: use at most 24d',
    ]);
  });
});
