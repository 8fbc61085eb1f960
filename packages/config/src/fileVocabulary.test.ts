// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal shell expansion syntax
/** The file-vocabulary mapping behind `kepler config`: keys, units, omissions, hooks, and a round trip. */
import { writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderFileVocabulary, toFileVocabulary } from './fileVocabulary.js';
import { loadConfig } from './loadConfig.js';
import { bakeYaml, cleanupTmpDirs, TEST_ENV } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

/** Every key the internal shape has and the file does not. */
const INTERNAL_KEYS =
  /"(workingDir|dependsOn|envFile|sysEnv|stopSignal|stopGracePeriodMs|timeoutMs|intervalMs|startPeriodMs|maxSizeBytes|bufferSize|memoryBytes|cpuTimeSec|maxFds|onStop|exitCode|initialMs|capturedEnv|sourcePath|serviceOrder|probe|formatVersion|maxRetries|onUnhealthy|startTimeoutMs)"/;

const FULL = y(
  'kepler:',
  '  timeout: 30s',
  '  logs: { max_size: 50MB, buffer_size: 16384 }',
  '  hooks:',
  '    pre_start: { run: echo global-start }',
  'services:',
  '  db:',
  '    command: ["sleep", "60"]',
  '    healthcheck: { tcp: "[::1]:5432", interval: 500ms }',
  '    stop_signal: INT',
  '  api:',
  '    command: node server.js --port 8080',
  '    working_dir: ./api',
  '    depends_on:',
  '      db: { condition: service_healthy, restart: true }',
  '      job: { condition: service_failed, exit_code: [5, "1:10"], timeout: 1m30s }',
  '    environment: ["PRICE=$$5", "HOME_DIR=${HOME}"]',
  '    env_file: .env',
  '    restart: { policy: on-failure, watch: ["src/**/*.js"] }',
  '    healthcheck: { http: "http://127.0.0.1:8080/health", timeout: 2s }',
  '    user: app',
  '    limits: { memory: 512M, max_fds: 4096 }',
  '    logs: { max_size: 1G, timestamp: false, retention: { on_stop: retain } }',
  '    stop_grace_period: 5s',
  '    hooks:',
  '      pre_start: { command: ["./migrate", "--up"], user: root, environment: [STEP=migrate] }',
  '      post_stop: { run: echo "bye $PORT" }',
  '  job:',
  '    command: [CMD, "a, [b]: c #d", x]',
  '    healthcheck: { test: [CMD, CMD-SHELL, y] }',
);

describe('toFileVocabulary', () => {
  it('prints a minimal service with every default, in the file vocabulary', async () => {
    const baked = await bakeYaml(y('services:', '  web:', '    command: ["sleep", "60"]'));
    expect(toFileVocabulary(baked)).toEqual({
      'x-kepler': { source: baked.sourcePath, hash: baked.hash },
      kepler: {
        sys_env: 'clear',
        logs: {
          buffer_size: 0,
          timestamp: true,
          store: { stdout: true, stderr: true },
          retention: { on_start: 'retain', on_stop: 'clear', on_restart: 'retain', on_exit: 'retain' },
        },
      },
      services: {
        web: {
          command: ['sleep', '60'],
          working_dir: baked.configDir,
          sys_env: 'clear',
          restart: {
            policy: 'no',
            backoff: { initial: '100ms', multiplier: 2, max: '30s', reset_after: '10s' },
          },
          logs: {
            buffer_size: 0,
            timestamp: true,
            store: { stdout: true, stderr: true },
            retention: { on_start: 'retain', on_stop: 'clear', on_restart: 'retain', on_exit: 'retain' },
          },
          stop_signal: 'SIGTERM',
          stop_grace_period: '10s',
          priority: 0,
        },
      },
    });
  });

  it('spells keys as the file does, durations and sizes in its units, absent values left out', async () => {
    const baked = await bakeYaml(FULL, { files: { '.env': 'FROM_FILE=1\n' } });
    const data = toFileVocabulary(baked);
    expect(JSON.stringify(data)).not.toMatch(INTERNAL_KEYS);
    expect(data.kepler).toMatchObject({ timeout: '30s', logs: { max_size: '50MB', buffer_size: 16384 } });
    expect(data.kepler.hooks).toEqual({ pre_start: { run: 'echo global-start' } });
    const { api, db, job } = data.services as Record<string, Record<string, unknown>>;
    expect(Object.keys(api ?? {})).toEqual([
      'command',
      'working_dir',
      'depends_on',
      'environment',
      'env_file',
      'sys_env',
      'restart',
      'healthcheck',
      'hooks',
      'user',
      'logs',
      'limits',
      'stop_signal',
      'stop_grace_period',
      'priority',
    ]);
    expect(api).toMatchObject({
      command: ['node', 'server.js', '--port', '8080'],
      working_dir: `${baked.configDir}/api`,
      depends_on: {
        db: { condition: 'service_healthy', timeout: '30s', restart: true, wait: true, required: true },
        job: {
          condition: 'service_failed',
          timeout: '90s',
          restart: false,
          exit_code: [5, '1:10'],
          wait: false,
          required: true,
        },
      },
      // `$` is written `$$` so the value reads back the same; env_file variables are part of it.
      environment: { FROM_FILE: '1', PRICE: '$$5', HOME_DIR: '/home/tester' },
      env_file: `${baked.configDir}/.env`,
      restart: { policy: 'on-failure', watch: ['src/**/*.js'] },
      healthcheck: {
        http: 'http://127.0.0.1:8080/health',
        interval: '30s',
        timeout: '2s',
        retries: 3,
        start_period: '0s',
      },
      user: 'app',
      logs: { max_size: '1GB', timestamp: false, retention: { on_stop: 'retain' } },
      limits: { memory: '512MB', max_fds: 4096 },
      stop_grace_period: '5s',
    });
    expect(api?.limits).not.toHaveProperty('cpu_time');
    expect(db).toMatchObject({
      healthcheck: { tcp: '[::1]:5432', interval: '500ms' },
      stop_signal: 'SIGINT',
      logs: { max_size: '50MB' },
    });
    expect(db).not.toHaveProperty('depends_on');
    expect(db).not.toHaveProperty('user');
    expect(db).not.toHaveProperty('environment');
    expect(db).not.toHaveProperty('hooks');
    // docker's markers are kept literal: the argv CMD-SHELL y is written [CMD, CMD-SHELL, y].
    expect(job).toMatchObject({
      command: ['CMD', 'a, [b]: c #d', 'x'],
      healthcheck: { test: ['CMD', 'CMD-SHELL', 'y'] },
    });
  });

  it('shows each hook as written: run or command, and only what it sets over its service', async () => {
    const baked = await bakeYaml(FULL, { files: { '.env': 'FROM_FILE=1\n' } });
    const hooks = (toFileVocabulary(baked).services.api as { hooks: unknown }).hooks;
    expect(hooks).toEqual({
      pre_start: { command: ['./migrate', '--up'], user: 'root', environment: { STEP: 'migrate' } },
      post_stop: { run: 'echo "bye $PORT"' },
    });
  });

  it('keeps the CLI environment off the screen, under sys_env: inherit too', async () => {
    const env = { ...TEST_ENV, SECRET_TOKEN: 'hunter2', SHARED: 'cli' };
    const baked = await bakeYaml(
      y(
        'kepler:',
        '  sys_env: inherit',
        '  hooks:',
        '    pre_start: { run: "true", environment: [G=1] }',
        'services:',
        '  web:',
        '    command: [x]',
        '    environment: [SHARED=own, OWN=1]',
        '    hooks:',
        '      pre_start: { run: "true" }',
      ),
      { env },
    );
    expect(baked.services.web?.environment.SECRET_TOKEN).toBe('hunter2');
    const data = toFileVocabulary(baked);
    expect(JSON.stringify(data)).not.toContain('hunter2');
    expect(data.services.web?.environment).toEqual({ SHARED: 'own', OWN: '1' });
    expect(data.services.web?.hooks).toEqual({ pre_start: { run: 'true' } });
    expect(data.kepler.hooks).toEqual({ pre_start: { run: 'true', environment: { G: '1' } } });
  });
});

describe('renderFileVocabulary', () => {
  it('renders YAML and JSON of the same data', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  web:',
        '    command: ["sleep", "60"]',
        '    environment: ["A=yes", "B=0755", "C=null"]',
      ),
    );
    const json = renderFileVocabulary(baked, 'json');
    expect(json.endsWith('\n')).toBe(true);
    expect(JSON.parse(json)).toEqual(toFileVocabulary(baked));
    const text = renderFileVocabulary(baked, 'yaml');
    expect(parse(text)).toEqual(JSON.parse(json));
    expect(parse(text, { version: '1.1' })).toEqual(JSON.parse(json));
    expect(text).toContain('restart:\n      policy: "no"');
    expect(text).toContain('stop_grace_period: 10s');
    expect(text).toContain('command: [sleep, "60"]');
  });

  it('prints a config that bakes back to the same snapshot', async () => {
    const env = { ...TEST_ENV, PORT: '9000' };
    const baked = await bakeYaml(FULL, { env, files: { '.env': 'FROM_FILE=$$1\n' } });
    writeFileSync(baked.sourcePath, renderFileVocabulary(baked, 'yaml'));
    const again = await loadConfig({ path: baked.sourcePath, env, now: new Date(baked.bakedAt) });
    expect(again.services).toEqual(baked.services);
    expect(again.kepler).toEqual(baked.kepler);
    expect(again.hash).toBe(baked.hash);
  });
});
