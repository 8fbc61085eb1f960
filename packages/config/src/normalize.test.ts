// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal shell expansion syntax
/**
 * Schema-level rules: types, unknown keys, grammars, shorthand forms. Each error message is pinned with
 * its position (`kepler.yaml:LINE:COL path: message`).
 */
import { bakeYaml, cleanupTmpDirs, errorsOf } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('durations, sizes, signals, exit codes', () => {
  it('reports a bad duration at the value, as in the issue', async () => {
    const yaml = y(
      'services:', //                                                1
      '  web:', //                                                   2
      '    command: ["sleep", "1"]', //                              3
      '    healthcheck:', //                                         4
      '      test: ["true"]', //                                     5
      '      interval: "10x"', //                                    6
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:6:17 services.web.healthcheck.interval: "10x" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
    ]);
  });

  it('reports bad sizes, signals and exit codes', async () => {
    const yaml = y(
      'kepler:',
      '  logs:',
      '    max_size: 10X',
      'services:',
      '  web:',
      '    command: [sleep, "1"]',
      '    stop_signal: FOO',
      '    stop_grace_period: soon',
      '    limits:',
      '      memory: 1T',
      '  b:',
      '    command: [sleep, "1"]',
      '    depends_on:',
      '      web:',
      '        condition: service_failed',
      '        exit_code: [5, "10:1", x]',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:15 kepler.logs.max_size: "10X" is not a size (use 512K, 50MB, 1G: K, KB, M, MB, G, GB, 1024-based)',
      'kepler.yaml:7:18 services.web.stop_signal: "FOO" is not a signal (use a name like SIGTERM or TERM, or a number like 15)',
      'kepler.yaml:8:24 services.web.stop_grace_period: "soon" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
      'kepler.yaml:10:15 services.web.limits.memory: "1T" is not a size (use 512K, 50MB, 1G: K, KB, M, MB, G, GB, 1024-based)',
      'kepler.yaml:16:24 services.b.depends_on.web.exit_code[1]: "10:1" is not an exit code filter (the range\'s start 10 is after its end 1)',
      'kepler.yaml:16:32 services.b.depends_on.web.exit_code[2]: "x" is not an exit code filter (use a code like 5 or a range like "1:10")',
    ]);
  });
});

describe('unknown keys', () => {
  it('suggests the closest key', async () => {
    const yaml = y('services:', '  web:', '    comand: ["sleep", "1"]', '    helthcheck: {}');
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:5 services.web.comand: unknown key "comand" (did you mean "command"?)',
      'kepler.yaml:3:5 services.web: missing required key "command"',
      'kepler.yaml:4:5 services.web.helthcheck: unknown key "helthcheck" (did you mean "healthcheck"?)',
    ]);
  });

  it('lists the keys when nothing is close', async () => {
    const yaml = y('kepler:', '  zzz: 1', 'services:', '  web:', '    command: [a]');
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:2:3 kepler.zzz: unknown key "zzz" (expected one of: sys_env, timeout, logs, hooks)',
    ]);
  });

  it('rejects unknown top-level keys but ignores x- extension keys', async () => {
    expect(await errorsOf(y('servics: {}', 'x-anchors: {a: 1}'))).toEqual([
      'kepler.yaml:1:1 servics: unknown key "servics" (did you mean "services"?)',
      'kepler.yaml:1:1: missing required key "services"',
    ]);
  });

  it('rejects unknown hook names, hook keys and nested keys', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: [a]',
      '    hooks:',
      '      pre_strat: {run: x}',
      '      pre_stop: {run: x, users: root}',
      '    logs:',
      '      retention: {on_stopp: clear}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:5:7 services.web.hooks.pre_strat: unknown key "pre_strat" (did you mean "pre_start"?)',
      'kepler.yaml:6:26 services.web.hooks.pre_stop.users: unknown key "users" (did you mean "user"?)',
      'kepler.yaml:8:19 services.web.logs.retention.on_stopp: unknown key "on_stopp" (did you mean "on_stop"?)',
    ]);
  });
});

describe('types', () => {
  it('reports the expected type and what was found', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: {npm: run}',
      '    working_dir: [a]',
      '    restart: sometimes',
      '    sys_env: inherrit',
      '    logs: {timestamp: "yes", buffer_size: -1}',
      '    healthcheck: {test: [x], retries: 0}',
      '    limits: {cpu_time: 1.5, max_fds: many}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:14 services.web.command: expected a list of strings, got a map',
      'kepler.yaml:4:18 services.web.working_dir: expected a string, got a list',
      'kepler.yaml:5:14 services.web.restart: "sometimes" is not one of no, always, on-failure',
      'kepler.yaml:6:14 services.web.sys_env: "inherrit" is not one of clear, inherit (did you mean "inherit"?)',
      'kepler.yaml:7:23 services.web.logs.timestamp: expected true or false, got "yes"',
      'kepler.yaml:7:43 services.web.logs.buffer_size: -1 is not a size (use 512K, 50MB, 1G: K, KB, M, MB, G, GB, 1024-based)',
      'kepler.yaml:8:39 services.web.healthcheck.retries: must be at least 1, got 0',
      'kepler.yaml:9:24 services.web.limits.cpu_time: expected an integer, got the number 1.5',
      'kepler.yaml:9:38 services.web.limits.max_fds: expected an integer, got "many"',
    ]);
  });

  it('asks to quote numbers in string lists', async () => {
    const yaml = y('services:', '  web:', '    command: [sleep, 5]', '    environment: [A=1, 2]');
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:22 services.web.command[1]: expected a string, got the number 5 (quote it: "5")',
      'kepler.yaml:4:24 services.web.environment[1]: expected a string, got the number 2 (quote it: "2")',
    ]);
  });

  it('reports a missing command, a null command and missing services', async () => {
    expect(await errorsOf(y('services:', '  web:', '    restart: always'))).toEqual([
      'kepler.yaml:3:5 services.web: missing required key "command"',
    ]);
    expect(await errorsOf(y('services:', '  web:', '    command:'))).toEqual([
      'kepler.yaml:3:13 services.web.command: expected a list of strings, got nothing',
    ]);
    expect(await errorsOf(y('kepler: {}'))).toEqual(['kepler.yaml:1:1: missing required key "services"']);
    expect(await errorsOf(y('services: {}'))).toEqual(['kepler.yaml:1:11 services: no services defined']);
    expect(await errorsOf(y('services: [a]'))).toEqual([
      'kepler.yaml:1:11 services: expected a map, got a list',
    ]);
  });

  it('checks service names', async () => {
    const yaml = y(
      'services:',
      '  Web:',
      '    command: [a]',
      '  my.svc:',
      '    command: [a]',
      '  ok_name-2:',
      '    command: [a]',
      '  global:',
      '    command: [a]',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:2:3 services.Web: "Web" is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)',
      'kepler.yaml:4:3 services.my.svc: "my.svc" is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)',
      'kepler.yaml:8:3 services.global: "global" is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)',
    ]);
  });

  it('checks environment entries', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: [a]',
      '    environment:',
      '      - FOO',
      '      - =bar',
      '  b:',
      '    command: [a]',
      '    environment: {OK: 1, "A=B": x, NUL: }',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:5:9 services.web.environment[0]: "FOO" is not KEY=value (write FOO=${FOO} to pass it from the environment)',
      'kepler.yaml:6:9 services.web.environment[1]: "=bar": the variable name is empty',
      'kepler.yaml:9:26 services.b.environment.A=B: "A=B" is not a valid variable name',
      'kepler.yaml:9:41 services.b.environment.NUL: expected a string, got nothing',
    ]);
  });

  it('checks depends_on forms', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [a]',
      '    depends_on: b',
      '  b:',
      '    command: [a]',
      '    depends_on:',
      '      a: {condition: service_ready}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:17 services.a.depends_on: expected a list of service names or a map of name: {condition, ...}, got "b"',
      'kepler.yaml:8:22 services.b.depends_on.a.condition: "service_ready" is not one of service_started, service_healthy, service_completed_successfully, service_unhealthy, service_failed, service_stopped (did you mean "service_healthy"?)',
    ]);
  });

  it('checks health check probes', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [a]',
      '    healthcheck: {http: "ftp://x"}',
      '  b:',
      '    command: [a]',
      '    healthcheck: {tcp: "localhost"}',
      '  c:',
      '    command: [a]',
      '    healthcheck: {tcp: "h:99999"}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:25 services.a.healthcheck.http: "ftp://x" is not an http:// or https:// URL',
      'kepler.yaml:7:24 services.b.healthcheck.tcp: "localhost" is not HOST:PORT (e.g. 127.0.0.1:8080)',
      'kepler.yaml:10:24 services.c.healthcheck.tcp: "h:99999" is not HOST:PORT (e.g. 127.0.0.1:8080)',
    ]);
  });

  it('checks restart objects and backoff', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [a]',
      '    restart: {policy: always, backoff: {multiplier: 0.5, max: x}}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:53 services.a.restart.backoff.multiplier: must be at least 1, got 0.5',
      'kepler.yaml:4:63 services.a.restart.backoff.max: "x" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
    ]);
  });

  it('checks log store forms', async () => {
    const yaml = y('services:', '  a:', '    command: [a]', '    logs: {store: maybe}');
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:19 services.a.logs.store: expected true or false, got "maybe"',
    ]);
  });

  it('collects every problem at once, across services', async () => {
    const yaml = y(
      'kepler:',
      '  timeout: forever',
      'services:',
      '  a:',
      '    command: []',
      '    restart: {policy: no, watch: ["*.ts"]}',
      '  b:',
      '    command: [a]',
      '    depends_on: [c]',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:2:12 kepler.timeout: "forever" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
      'kepler.yaml:5:14 services.a.command: command is empty (give the program and its arguments, e.g. ["sleep", "60"])',
      'kepler.yaml:6:34 services.a.restart.watch: watch needs restart policy always or on-failure (policy is "no"); a file change would have nothing to restart',
      'kepler.yaml:9:18 services.b.depends_on.c: unknown service "c"',
    ]);
  });
});

describe('command strings', () => {
  it('splits command and hook command strings into words, like docker compose (no shell)', async () => {
    const baked = await bakeYaml(
      y(
        'kepler:',
        '  hooks:',
        '    pre_start: { command: "echo \'global  start\'" }',
        'services:',
        '  web:',
        '    command: node server.js --name "my app" it\\\'s',
        '    hooks:',
        '      pre_start: { command: ./migrate --to=latest }',
        '      post_start: { run: echo "started" && date }',
        '    healthcheck: { test: curl -f localhost }',
        '  lua:',
        '    command: !lua return "sleep 60"',
      ),
    );
    expect(baked.services.web?.command).toEqual(['node', 'server.js', '--name', 'my app', "it's"]);
    expect(baked.services.web?.hooks.pre_start?.command).toEqual(['./migrate', '--to=latest']);
    expect(baked.kepler.hooks.pre_start?.command).toEqual(['echo', 'global  start']);
    expect(baked.services.lua?.command).toEqual(['sleep', '60']);
    // run: stays a shell script, and a healthcheck test string runs in a shell (compose's CMD-SHELL).
    expect(baked.services.web?.hooks.post_start?.command).toEqual(['sh', '-c', 'echo "started" && date']);
    expect(baked.services.web?.healthcheck?.probe).toEqual({
      kind: 'command',
      test: ['sh', '-c', 'curl -f localhost'],
    });
  });

  it('reports a string it cannot split with its position and key, and an empty one as empty', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: node "server.js',
      '    hooks:',
      "      pre_stop: { command: 'echo \\' }",
      '  blank:',
      '    command: "  "',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:14 services.web.command: cannot split the string into words: unclosed double quote (the " at character 6)',
      'kepler.yaml:5:28 services.web.hooks.pre_stop.command: cannot split the string into words: ends with a lone backslash (write \\\\ for one)',
      'kepler.yaml:7:14 services.blank.command: command is empty (give the program and its arguments, e.g. ["sleep", "60"])',
    ]);
  });
});
