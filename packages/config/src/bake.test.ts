// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal shell expansion syntax
/** The bake: defaults, environment, expansion, paths, hooks, logs, hash and immutability. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bakedConfigHash } from './freeze.js';
import { loadConfig } from './loadConfig.js';
import { bakeYaml, cleanupTmpDirs, errorsOf, TEST_ENV, tmpDirWith } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('defaults', () => {
  it('applies the seed defaults to a minimal service', async () => {
    const baked = await bakeYaml(y('services:', '  web:', '    command: ["sleep", "60"]'));
    const web = baked.services.web;
    expect(web).toEqual({
      name: 'web',
      command: ['sleep', '60'],
      workingDir: baked.configDir,
      environment: {},
      envFile: null,
      sysEnv: 'clear',
      dependsOn: {},
      restart: {
        policy: 'no',
        watch: [],
        backoff: { initialMs: 100, multiplier: 2, maxMs: 30_000, resetAfterMs: 10_000 },
        maxRetries: null,
      },
      healthcheck: null,
      hooks: {},
      user: null,
      group: null,
      logs: {
        maxSizeBytes: null,
        bufferSize: 0,
        timestamp: true,
        store: { stdout: true, stderr: true },
        retention: { onStart: 'retain', onStop: 'clear', onRestart: 'retain', onExit: 'retain' },
      },
      limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
      stopSignal: 'SIGTERM',
      stopGracePeriodMs: 10_000,
      priority: 0,
    });
    expect(baked.kepler).toEqual({ sysEnv: 'clear', timeoutMs: null, logs: web?.logs, hooks: {} });
    expect(baked.formatVersion).toBe(1);
    expect(baked.serviceOrder).toEqual(['web']);
    expect(baked.envFiles).toEqual([]);
    expect(baked.capturedEnv).toEqual(TEST_ENV);
    expect(baked.bakedAt).toBe('2030-01-01T00:00:00.000Z');
  });

  it('bakes health checks, stop settings, backoff and limits', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  a:',
        '    command: [x]',
        '    stop_signal: INT',
        '    stop_grace_period: 2s',
        '    restart: {policy: on-failure, backoff: {initial: 1s, multiplier: 1.5, max: 1m, reset_after: 30s}}',
        '    healthcheck: {test: "curl -f x", interval: 5s, timeout: 2s, retries: 5, start_period: 10s}',
        '    limits: {memory: 512M, cpu_time: 60, max_fds: 1024}',
        '  b:',
        '    command: [x]',
        '    stop_signal: 9',
        '    healthcheck: {http: "http://127.0.0.1:8080/health"}',
        '  c:',
        '    command: [x]',
        '    healthcheck: {tcp: "[::1]:5432"}',
      ),
    );
    const { a, b, c } = baked.services;
    expect(a?.stopSignal).toBe('SIGINT');
    expect(a?.stopGracePeriodMs).toBe(2000);
    expect(a?.restart).toEqual({
      policy: 'on-failure',
      watch: [],
      backoff: { initialMs: 1000, multiplier: 1.5, maxMs: 60_000, resetAfterMs: 30_000 },
      maxRetries: null,
    });
    expect(a?.healthcheck).toEqual({
      probe: { kind: 'command', test: ['sh', '-c', 'curl -f x'] },
      intervalMs: 5000,
      timeoutMs: 2000,
      retries: 5,
      startPeriodMs: 10_000,
      onUnhealthy: 'keep',
      startTimeoutMs: null,
    });
    expect(a?.limits).toEqual({ memoryBytes: 512 * 1024 ** 2, cpuTimeSec: 60, maxFds: 1024 });
    expect(b?.stopSignal).toBe('SIGKILL');
    expect(b?.healthcheck).toEqual({
      probe: { kind: 'http', url: 'http://127.0.0.1:8080/health' },
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
      onUnhealthy: 'keep',
      startTimeoutMs: null,
    });
    expect(c?.healthcheck?.probe).toEqual({ kind: 'tcp', host: '::1', port: 5432 });
  });

  it('accepts docker compose test forms: CMD, CMD-SHELL, and NONE for no check', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  a:',
        '    command: [x]',
        '    healthcheck: {test: ["CMD", "pg_isready", "-U", "postgres"]}',
        '  b:',
        '    command: [x]',
        '    healthcheck: {test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]}',
        '  c:',
        '    command: [x]',
        '    healthcheck: {test: ["NONE"], interval: 1s}',
      ),
    );
    expect(baked.services.a?.healthcheck?.probe).toEqual({
      kind: 'command',
      test: ['pg_isready', '-U', 'postgres'],
    });
    expect(baked.services.b?.healthcheck?.probe).toEqual({
      kind: 'command',
      test: ['sh', '-c', 'curl -f http://localhost/ || exit 1'],
    });
    expect(baked.services.c?.healthcheck).toBeNull();
  });

  it('bakes dependency edges with defaults from the condition and kepler.timeout', async () => {
    const baked = await bakeYaml(
      y(
        'kepler: {timeout: 30s}',
        'services:',
        '  db:',
        '    command: [x]',
        '    healthcheck: {test: [x]}',
        '  job:',
        '    command: [x]',
        '  web:',
        '    command: [x]',
        '    depends_on:',
        '      db: {condition: service_healthy, restart: true, timeout: 1m}',
        '      job: {condition: service_failed, exit_code: [1, "3:5"]}',
        '  logger:',
        '    command: [x]',
        '    depends_on: [web, job]',
        '  batch:',
        '    command: [x]',
        '    depends_on:',
        '      job:',
        '      db: {condition: service_completed_successfully, wait: false}',
        '      web: {condition: service_unhealthy, wait: true}',
      ).replace(
        '  web:\n    command: [x]\n    depends_on:',
        '  web:\n    command: [x]\n    healthcheck: {tcp: "h:1"}\n    depends_on:',
      ),
    );
    expect(baked.services.web?.dependsOn).toEqual({
      db: {
        condition: 'service_healthy',
        timeoutMs: 60_000,
        restart: true,
        exitCode: null,
        wait: true,
        required: true,
      },
      job: {
        condition: 'service_failed',
        timeoutMs: 30_000,
        restart: false,
        exitCode: [
          { min: 1, max: 1 },
          { min: 3, max: 5 },
        ],
        wait: false,
        required: true,
      },
    });
    expect(baked.services.logger?.dependsOn).toEqual({
      web: {
        condition: 'service_started',
        timeoutMs: 30_000,
        restart: false,
        exitCode: null,
        wait: true,
        required: true,
      },
      job: {
        condition: 'service_started',
        timeoutMs: 30_000,
        restart: false,
        exitCode: null,
        wait: true,
        required: true,
      },
    });
    expect(Object.keys(baked.services.batch?.dependsOn ?? {})).toEqual(['job', 'db', 'web']);
    expect(baked.services.batch?.dependsOn.job?.condition).toBe('service_started');
    expect(baked.services.batch?.dependsOn.db?.wait).toBe(false);
    expect(baked.services.batch?.dependsOn.web?.wait).toBe(true);
  });
});

describe('environment', () => {
  const files = { '.env': 'FROM_FILE=file\nSHARED=file\n# comment\nQUOTED="a b"\n' };
  const env = { ...TEST_ENV, SHARED: 'sys', SECRET: 'shh', DB_HOST: 'db.local' };

  it('clear (default): only env_file and environment, environment winning', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: [x]',
        '    env_file: .env',
        '    environment:',
        '      - SHARED=env',
        '      - OWN=1',
      ),
      { env, files },
    );
    expect(baked.services.web?.environment).toEqual({
      FROM_FILE: 'file',
      SHARED: 'env',
      QUOTED: 'a b',
      OWN: '1',
    });
    expect(baked.services.web?.envFile).toBe(join(baked.configDir, '.env'));
    expect(baked.envFiles).toEqual([join(baked.configDir, '.env')]);
  });

  it('inherit: system env < env_file < environment, globally or per service', async () => {
    const baked = await bakeYaml(
      y(
        'kepler: {sys_env: inherit}',
        'services:',
        '  a:',
        '    command: [x]',
        '    env_file: .env',
        '  b:',
        '    command: [x]',
        '    sys_env: clear',
        '    environment: [OWN=1]',
        '  c:',
        '    command: [x]',
        '    environment: {SHARED: env}',
      ),
      { env, files },
    );
    expect(baked.kepler.sysEnv).toBe('inherit');
    expect(baked.services.a?.environment).toEqual({
      ...env,
      FROM_FILE: 'file',
      SHARED: 'file',
      QUOTED: 'a b',
    });
    expect(baked.services.b?.environment).toEqual({ OWN: '1' });
    expect(baked.services.b?.sysEnv).toBe('clear');
    expect(baked.services.c?.environment).toEqual({ ...env, SHARED: 'env' });
  });

  it('expands entries in order, each seeing earlier ones, then env_file, then the captured env', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: [x]',
        '    env_file: .env',
        '    environment:',
        '      - A=1',
        '      - B=${A}2',
        '      - C=$FROM_FILE-$SHARED',
        '      - D=${DB_HOST:-localhost}/${MISSING:-def}',
        '      - E=[${MISSING}]',
        '      - HOMEDIR=~/data',
        '      - PRICE=$$5',
        '      - SHARED=mine',
        '      - F=$SHARED',
      ),
      { env, files },
    );
    expect(baked.services.web?.environment).toMatchObject({
      A: '1',
      B: '12',
      C: 'file-file',
      D: 'db.local/def',
      E: '[]',
      HOMEDIR: '/home/tester/data',
      PRICE: '$5',
      SHARED: 'mine',
      F: 'mine',
    });
  });

  it('accepts a KEY: value map, numbers and booleans as written', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: [x]',
        '    environment: {PORT: 8080, DEBUG: true, RATIO: 1.50, NAME: "${USER}"}',
      ),
    );
    expect(baked.services.web?.environment).toEqual({
      PORT: '8080',
      DEBUG: 'true',
      RATIO: '1.50',
      NAME: 'tester',
    });
  });

  it('never expands command, healthcheck.test or hook scripts', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: ["sh", "-c", "echo $HOME ${USER} ~"]',
        '    healthcheck: {test: ["sh", "-c", "test $PORT"]}',
        '    hooks:',
        '      pre_start: {run: "echo $USER"}',
        '      post_start: {command: ["echo", "${USER}"]}',
      ),
    );
    const web = baked.services.web;
    expect(web?.command).toEqual(['sh', '-c', 'echo $HOME ${USER} ~']);
    expect(web?.healthcheck?.probe).toEqual({ kind: 'command', test: ['sh', '-c', 'test $PORT'] });
    expect(web?.hooks.pre_start?.command).toEqual(['sh', '-c', 'echo $USER']);
    expect(web?.hooks.pre_start?.run).toBe('echo $USER');
    expect(web?.hooks.post_start?.command).toEqual(['echo', '${USER}']);
    expect(web?.hooks.post_start?.run).toBeNull();
  });

  it('expands working_dir, env_file, user, group, limits.memory and restart.watch', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: [x]',
        '    working_dir: ${APP_DIR}/web',
        '    env_file: ${ENV_NAME}.env',
        '    user: ${RUN_AS}',
        '    group: ${RUN_GROUP:-staff}',
        '    limits: {memory: "${MEM}"}',
        '    restart: {policy: always, watch: ["${SRC}/**/*.ts", "~/x"]}',
        '  home:',
        '    command: [x]',
        '    working_dir: ~/srv',
      ),
      {
        env: { ...TEST_ENV, APP_DIR: 'apps', ENV_NAME: 'prod', RUN_AS: '1000:1000', MEM: '1G', SRC: 'src' },
        files: { 'prod.env': 'P=1\n' },
      },
    );
    const web = baked.services.web;
    expect(web?.workingDir).toBe(join(baked.configDir, 'apps/web'));
    expect(web?.envFile).toBe(join(baked.configDir, 'prod.env'));
    expect(web?.environment).toEqual({ P: '1' });
    expect(web?.user).toBe('1000:1000');
    expect(web?.group).toBe('staff');
    expect(web?.limits.memoryBytes).toBe(1024 ** 3);
    expect(web?.restart.watch).toEqual(['src/**/*.ts', '/home/tester/x']);
    expect(baked.services.home?.workingDir).toBe('/home/tester/srv');
  });

  it('refuses a user or group that expands to nothing (it would silently run as root)', async () => {
    const errors = await errorsOf(
      y('services:', '  home:', '    command: [x]', '    user: ${NOBODY}', '    group: "${G:-}"'),
    );
    expect(errors).toEqual([
      'kepler.yaml:4:11 services.home.user: "${NOBODY}" expanded to an empty string (is NOBODY set?)',
      'kepler.yaml:5:12 services.home.group: "${G:-}" expanded to an empty string (is G set?)',
    ]);
  });

  it('a required variable (${VAR:?message}) that is missing is a config error at its key', async () => {
    const errors = await errorsOf(
      y('services:', '  web:', '    command: [x]', '    environment: ["DB=${DB_HOST:?set DB_HOST}"]'),
    );
    expect(errors).toEqual(['kepler.yaml:4:19 services.web.environment.DB: DB_HOST is not set: set DB_HOST']);
  });

  it('an env_file that is a FIFO or a device is an error, never a read that blocks', async () => {
    const fifo = join(tmpDirWith({}), 'app.env');
    execFileSync('mkfifo', [fifo]);
    const errors = await errorsOf(
      y(
        'services:',
        '  a:',
        '    command: [x]',
        `    env_file: ${fifo}`,
        '  b:',
        '    command: [x]',
        '    env_file: /dev/zero',
      ),
    );
    expect(errors).toEqual([
      `kepler.yaml:4:15 services.a.env_file: cannot read env_file ${fifo}: not a regular file (a FIFO, socket or device?)`,
      'kepler.yaml:7:15 services.b.env_file: cannot read env_file /dev/zero: not a regular file (a FIFO, socket or device?)',
    ]);
  });

  it('refuses limits no kernel would take', async () => {
    const errors = await errorsOf(
      y('services:', '  a:', '    command: [x]', '    limits: {memory: 99999999G, max_fds: 2000000000}'),
    );
    expect(errors).toEqual([
      'kepler.yaml:4:22 services.a.limits.memory: "99999999G" is too large (at most 8388607G)',
      'kepler.yaml:4:42 services.a.limits.max_fds: must be at most 1073741816, got 2000000000',
    ]);
  });

  it('reports problems found only after expansion', async () => {
    const yaml = y(
      'services:',
      '  web:',
      '    command: [x]',
      '    env_file: missing.env',
      '    limits: {memory: "${MEM}"}',
      '    user: "${WHO}"',
      '    environment: ["A=${B"]',
      '    working_dir: "${X"',
    );
    const errors = await errorsOf(yaml, { env: { ...TEST_ENV, MEM: 'lots', WHO: 'a b' } });
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(
      /^kepler\.yaml:4:15 services\.web\.env_file: cannot read env_file \/.*\/missing\.env: no such file$/,
    );
    expect(errors.slice(1)).toEqual([
      'kepler.yaml:5:22 services.web.limits.memory: "lots" is not a size (use 512K, 50MB, 1G: K, KB, M, MB, G, GB, 1024-based)',
      'kepler.yaml:6:11 services.web.user: "a b" is not a user (use a name, a uid, or uid:gid)',
      'kepler.yaml:7:19 services.web.environment.A: unterminated ${ in "${B"',
      'kepler.yaml:8:18 services.web.working_dir: unterminated ${ in "${X"',
    ]);
  });
});

describe('hooks', () => {
  it('inherit the service env, user, group and working_dir; own settings win', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: [x]',
        '    working_dir: app',
        '    user: node',
        '    group: web',
        '    env_file: .env',
        '    environment: [A=service, B=service]',
        '    hooks:',
        '      pre_start:',
        '        run: ./setup.sh',
        '      pre_stop:',
        '        command: [echo, stop]',
        '        user: daemon',
        '        working_dir: scripts',
        '        env_file: hooks.env',
        '        environment: ["B=hook", "C=${A}-${H}"]',
      ),
      { files: { '.env': 'F=file\n', 'hooks.env': 'H=hookfile\nA=hookfile\n' } },
    );
    const web = baked.services.web;
    const dir = baked.configDir;
    expect(web?.hooks.pre_start).toEqual({
      command: ['sh', '-c', './setup.sh'],
      run: './setup.sh',
      user: 'node',
      group: 'web',
      workingDir: join(dir, 'app'),
      environment: { F: 'file', A: 'service', B: 'service' },
    });
    expect(web?.hooks.pre_stop).toEqual({
      command: ['echo', 'stop'],
      run: null,
      user: 'daemon',
      group: 'web',
      workingDir: join(dir, 'app/scripts'),
      environment: { F: 'file', A: 'hookfile', B: 'hook', H: 'hookfile', C: 'hookfile-hookfile' },
    });
    expect(baked.envFiles).toEqual([join(dir, '.env'), join(dir, 'hooks.env')]);
  });

  it('global hooks start from the global sys_env policy, relative to the config dir', async () => {
    const clear = await bakeYaml(
      y(
        'kepler:',
        '  hooks:',
        '    pre_start: {run: echo hi, environment: [X=1]}',
        'services:',
        '  a:',
        '    command: [x]',
      ),
    );
    expect(clear.kepler.hooks.pre_start).toEqual({
      command: ['sh', '-c', 'echo hi'],
      run: 'echo hi',
      user: null,
      group: null,
      workingDir: clear.configDir,
      environment: { X: '1' },
    });
    const inherit = await bakeYaml(
      y(
        'kepler:',
        '  sys_env: inherit',
        '  hooks:',
        '    on_init: {command: [echo], working_dir: sub, user: root}',
        'services:',
        '  a:',
        '    command: [x]',
      ),
    );
    expect(inherit.kepler.hooks.on_init?.environment).toEqual(TEST_ENV);
    expect(inherit.kepler.hooks.on_init?.workingDir).toBe(join(inherit.configDir, 'sub'));
    expect(inherit.kepler.hooks.on_init?.user).toBe('root');
  });
});

describe('logs', () => {
  it('merge service over kepler.logs over defaults, field by field', async () => {
    const baked = await bakeYaml(
      y(
        'kepler:',
        '  logs:',
        '    buffer_size: 16384',
        '    max_size: "50MB"',
        '    store: {stderr: false}',
        '    retention: {on_start: clear}',
        'services:',
        '  a:',
        '    command: [x]',
        '  b:',
        '    command: [x]',
        '    logs:',
        '      max_size: 100MB',
        '      buffer_size: 0',
        '      timestamp: false',
        '      store: {stdout: false}',
        '      retention: {on_stop: retain}',
        '  c:',
        '    command: [x]',
        '    logs: {store: false, buffer_size: 8K}',
      ),
    );
    expect(baked.kepler.logs).toEqual({
      maxSizeBytes: 50 * 1024 ** 2,
      bufferSize: 16384,
      timestamp: true,
      store: { stdout: true, stderr: false },
      retention: { onStart: 'clear', onStop: 'clear', onRestart: 'retain', onExit: 'retain' },
    });
    expect(baked.services.a?.logs).toEqual(baked.kepler.logs);
    expect(baked.services.b?.logs).toEqual({
      maxSizeBytes: 100 * 1024 ** 2,
      bufferSize: 0,
      timestamp: false,
      store: { stdout: false, stderr: false },
      retention: { onStart: 'clear', onStop: 'retain', onRestart: 'retain', onExit: 'retain' },
    });
    expect(baked.services.c?.logs.store).toEqual({ stdout: false, stderr: false });
    expect(baked.services.c?.logs.bufferSize).toBe(8192);
  });
});

describe('snapshot', () => {
  const yaml = y('services:', '  web:', '    command: [x]', '    environment: [A=1]');

  it('is deep-frozen', async () => {
    const baked = await bakeYaml(yaml);
    expect(Object.isFrozen(baked)).toBe(true);
    expect(Object.isFrozen(baked.services.web?.environment)).toBe(true);
    expect(Object.isFrozen(baked.services.web?.command)).toBe(true);
    expect(Object.isFrozen(baked.services.web?.logs.retention)).toBe(true);
    const command = baked.services.web?.command as string[];
    expect(() => command.push('y')).toThrow(TypeError);
  });

  it('carries a content hash that ignores bakedAt and follows content and environment', async () => {
    const dir = tmpDirWith({ 'kepler.yaml': yaml });
    const path = join(dir, 'kepler.yaml');
    const one = await loadConfig({ path, env: TEST_ENV, now: new Date(0) });
    const two = await loadConfig({ path, env: TEST_ENV, now: new Date(1e12) });
    expect(one.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(two.hash).toBe(one.hash);
    expect(bakedConfigHash(one)).toBe(one.hash);
    const otherEnv = await loadConfig({ path, env: { ...TEST_ENV, X: '1' }, now: new Date(0) });
    expect(otherEnv.hash).not.toBe(one.hash);
  });

  it('is identified by the canonical path (symlinks resolved)', async () => {
    const dir = tmpDirWith({ 'real/kepler.yaml': yaml });
    mkdirSync(join(dir, 'links'));
    symlinkSync(join(dir, 'real/kepler.yaml'), join(dir, 'links/kepler.yaml'));
    const baked = await loadConfig({ path: join(dir, 'links/kepler.yaml'), env: TEST_ENV });
    expect(baked.sourcePath).toBe(join(dir, 'real/kepler.yaml'));
    expect(baked.configDir).toBe(join(dir, 'real'));
  });

  it('is plain JSON data', async () => {
    const baked = await bakeYaml(yaml);
    expect(JSON.parse(JSON.stringify(baked))).toEqual(baked);
  });
});

describe('env_file expansion', () => {
  it('expands values like docker compose: earlier keys of the file, then the CLI environment; $$ is a $', async () => {
    const baked = await bakeYaml(y('services:', '  web:', '    command: [x]', '    env_file: app.env'), {
      env: { ...TEST_ENV, HOST: 'db.local' },
      files: { 'app.env': 'BASE=/srv\nDATA=${BASE}/data\nURL=pg://${HOST}:${PORT:-5432}\nPRICE=$$5\n' },
    });
    expect(baked.services.web?.environment).toEqual({
      BASE: '/srv',
      DATA: '/srv/data',
      URL: 'pg://db.local:5432',
      PRICE: '$5',
    });
  });

  it('keeps a # inside an unquoted value and single-quoted values literal, as docker compose does', async () => {
    const baked = await bakeYaml(y('services:', '  web:', '    command: [x]', '    env_file: app.env'), {
      env: { ...TEST_ENV, def: 'EXPANDED', FROM_CLI: 'cli-value' },
      files: {
        'app.env':
          'DB_PASSWORD=s3cr#t\nAPI_KEY=\'abc$def\'\nDQ="pa$$word" # comment\nFROM_CLI\nNOT_SET_ANYWHERE\nCOST="\\$5 for ${FROM_CLI}"\n',
      },
    });
    expect(baked.services.web?.environment).toEqual({
      DB_PASSWORD: 's3cr#t',
      API_KEY: 'abc$def',
      DQ: 'pa$word',
      FROM_CLI: 'cli-value',
      COST: '$5 for cli-value',
    });
  });

  it('reports a malformed env_file line with the file and line number, at the env_file key', async () => {
    const errors = await errorsOf(y('services:', '  web:', '    command: [x]', '    env_file: app.env'), {
      files: { 'app.env': 'GOOD=1\nnot an assignment\n' },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^kepler\.yaml:4:15 services\.web\.env_file: env_file \/.*\/app\.env:2: expected KEY=value, found "not an assignment"$/,
    );
  });
});
