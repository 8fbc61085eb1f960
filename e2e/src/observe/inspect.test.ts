import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-inspect');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

type Json = Record<string, unknown>;

async function inspectJson(config: string, service: string, extra: string[] = []): Promise<Json> {
  const r = await d.cli(['inspect', service, '--json', '-f', config, ...extra]);
  if (r.code !== 0) throw new Error(`inspect failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

describe('inspect after a crash', () => {
  let config: string;
  beforeAll(async () => {
    config = d.writeConfig(
      `services:
  db:
    command: ["sleep", "600"]
    healthcheck:
      test: ["sh", "-c", "echo probe-says-no; exit 1"]
      interval: 100ms
      retries: 1
  crasher:
    command: ["sh", "-c", "i=1; while [ $i -le 25 ]; do echo line-$i; i=$((i+1)); done; echo bye >&2; kill -9 $$"]
    restart: "no"
    depends_on:
      db:
        condition: service_started
        restart: true
  steady:
    command: ["sleep", "600"]
  flaky:
    command: ["sh", "-c", "echo flaky-ran; exit 3"]
    restart:
      policy: on-failure
      backoff: { initial: 1m, max: 5m, reset_after: 1h }
`,
      'crash/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
    await d.waitStatus(config, 'crasher', 'failed');
    // flaky: its first restart is at once; the second waits a minute.
    await waitFor(async () => (await d.service(config, 'flaky')).restarts === 2, 'flaky to be waiting 1m', {
      timeoutMs: 15_000,
    });
    await d.waitStatus(config, 'db', 'unhealthy');
  }, T);

  test(
    'the text names the signal, the cause and the last 20 lines, and the dependency edge',
    async () => {
      const r = await d.cli(['inspect', 'crasher', '-f', config]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^crasher \(/);
      expect(r.stdout).toMatch(/status\s+failed \(killed by SIGKILL\) since \d{4}-/);
      expect(r.stdout).toMatch(/last exit\s+killed by SIGKILL at /);
      expect(r.stdout).toMatch(/last cause\s+failure \(crash\): killed by SIGKILL at /);
      expect(r.stdout).toMatch(
        /Dependencies\n\s+db\s+service_started\s+satisfied\s+db is unhealthy\s+restart: true\n/,
      );
      expect(r.stdout).toContain('Last 20 log lines\n');
      const logPart = r.stdout.slice(r.stdout.indexOf('Last 20 log lines\n'));
      expect(logPart).toContain('crasher | bye');
      expect(logPart).toContain('crasher | line-25');
      expect(logPart).toContain('crasher | line-7\n');
      expect(logPart).not.toContain('crasher | line-6\n');
    },
    T,
  );

  test(
    'the JSON shape',
    async () => {
      const j = await inspectJson(config, 'crasher');
      expect(Object.keys(j)).toEqual([
        'service',
        'settings',
        'status_since',
        'last_exit',
        'last_cause',
        'backoff',
        'health',
        'dependencies',
        'logs',
      ]);
      expect(j.service).toMatchObject({ name: 'crasher', status: 'failed', signal: 'SIGKILL', pid: null });
      // The settings are the service's entry in the file's vocabulary: its name is service.name.
      expect(j.settings).toMatchObject({ restart: { policy: 'no' } });
      expect(j.settings).not.toHaveProperty('name');
      expect(Date.parse(j.status_since as string)).toBeGreaterThan(0);
      expect(j.last_exit).toEqual({ code: null, signal: 'SIGKILL', at: expect.any(String) });
      expect(j.last_cause).toEqual({
        what: 'failure',
        kind: 'crash',
        detail: 'killed by SIGKILL',
        at: expect.any(String),
      });
      expect(j.backoff).toEqual({ consecutive_crashes: 0, delay_ms: null, restart_at: null });
      expect(j.health).toEqual([]);
      expect(j.dependencies).toEqual([
        {
          service: 'db',
          condition: 'service_started',
          verdict: 'satisfied',
          reason: 'db is unhealthy',
          restart: true,
        },
      ]);
      const logs = j.logs as Json[];
      expect(logs).toHaveLength(20);
      expect(logs.at(-1)).toMatchObject({ service: 'crasher', stream: 'stderr', line: 'bye' });
      expect(logs[0]).toMatchObject({
        service: 'crasher',
        stream: 'stdout',
        line: 'line-7',
        ts: expect.any(String),
      });
      expect((await inspectJson(config, 'crasher', ['-n', '3'])).logs).toHaveLength(3);
    },
    T,
  );

  test(
    'a crash loop: the exit code, the restart it caused and the backoff of the next one',
    async () => {
      const j = await inspectJson(config, 'flaky');
      expect(j.service).toMatchObject({ status: 'restarting', exit_code: 3, restarts: 2 });
      expect(j.last_exit).toMatchObject({ code: 3, signal: null });
      expect(j.last_cause).toMatchObject({ what: 'restart', kind: 'crash', detail: 'exited with code 3' });
      expect(j.backoff).toMatchObject({ consecutive_crashes: 2, delay_ms: 60_000 });
      expect(Date.parse((j.backoff as Json).restart_at as string)).toBeGreaterThan(Date.now());
      const text = await d.cli(['inspect', 'flaky', '-f', config]);
      expect(text.stdout).toMatch(/restarts\s+2; next restart in \d+s \(a 1m wait; 2 in a row\)/);
    },
    T,
  );

  test(
    'health results with their output, and unhealthy as the cause',
    async () => {
      const j = await inspectJson(config, 'db');
      const health = j.health as Json[];
      expect(health.length).toBeGreaterThanOrEqual(1);
      expect(health.length).toBeLessThanOrEqual(5);
      expect(health.at(-1)).toMatchObject({ ok: false, output: expect.stringContaining('probe-says-no') });
      expect(j.last_cause).toMatchObject({ what: 'failure', kind: 'health' });
      expect((j.last_cause as Json).detail).toContain('probe-says-no');
    },
    T,
  );

  test(
    'a user restart is recorded as such; the last exit and cause survive a daemon crash',
    async () => {
      const pid = (await d.service(config, 'steady')).pid;
      expect((await d.cli(['restart', '-d', 'steady', '-f', config])).code).toBe(0);
      await waitFor(async () => {
        const s = await d.service(config, 'steady');
        return s.status === 'running' && s.pid !== pid;
      }, 'steady to run again');
      const steady = await inspectJson(config, 'steady');
      expect(steady.last_cause).toMatchObject({ what: 'restart', kind: 'user', detail: 'restart requested' });
      // Stopped by the restart: its exit is the stop signal's.
      expect(steady.last_exit).toMatchObject({ code: null, signal: 'SIGTERM' });

      const before = await inspectJson(config, 'crasher');
      await d.crash();
      await d.start();
      const after = await inspectJson(config, 'crasher');
      expect(after.last_exit).toEqual(before.last_exit);
      expect(after.last_cause).toEqual(before.last_cause);
      expect(after.status_since).toBe(before.status_since);
      expect((await inspectJson(config, 'steady')).last_cause).toEqual(steady.last_cause);
    },
    T,
  );
});

/** Every key of the settings, at every depth, but the environment's variables and the names of edges. */
function keysOf(section: Json, out: string[] = []): string[] {
  for (const [key, value] of Object.entries(section)) {
    out.push(key);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && key !== 'environment') {
      keysOf(value as Json, out);
    }
  }
  return out;
}

describe("settings in the config file's spelling", () => {
  let config: string;
  beforeAll(async () => {
    config = d.writeConfig(
      `services:
  db:
    command: ["sleep", "600"]
  web:
    command: ["sleep", "600"]
    stop_grace_period: 1m30s
    depends_on:
      db:
        condition: service_started
    healthcheck:
      test: ["true"]
      interval: 1h
      start_timeout: 2m
    restart:
      policy: on-failure
      max_retries: 3
    logs:
      max_size: 1MB
`,
      'spelling/kepler.yaml',
    );
    expect((await d.cli(['start', '-d', '-f', config])).code).toBe(0);
  }, T);

  test(
    '--json: snake_case keys, durations and sizes as the file writes them',
    async () => {
      const settings = (await inspectJson(config, 'web')).settings as Json;
      expect(settings).toMatchObject({
        command: ['sleep', '600'],
        stop_grace_period: '90s',
        depends_on: { db: { condition: 'service_started', restart: false, required: true } },
        healthcheck: { test: ['true'], interval: '1h', start_timeout: '2m' },
        restart: { policy: 'on-failure', max_retries: 3, backoff: { reset_after: '10s' } },
        logs: { max_size: '1MB', retention: { on_stop: 'clear' } },
      });
      const keys = keysOf(settings).filter((k) => k !== 'db');
      expect(keys.length).toBeGreaterThan(20);
      expect(keys.filter((k) => !/^[a-z]+(_[a-z]+)*$/.test(k))).toEqual([]);
    },
    T,
  );

  test(
    'the text: one line a setting, named and valued as in the file',
    async () => {
      const r = await d.cli(['inspect', 'web', '-f', config]);
      expect(r.code).toBe(0);
      const settings = r.stdout.slice(r.stdout.indexOf('Settings\n'));
      expect(settings).toMatch(/\n {2}stop_grace_period +90s\n/);
      expect(settings).toMatch(/\n {2}depends_on +\{"db":\{"condition":"service_started",/);
      expect(settings).toMatch(
        /\n {2}healthcheck +\{"test":\["true"\],"interval":"1h",.*"start_timeout":"2m"\}\n/,
      );
      expect(settings).toMatch(/\n {2}restart +\{"policy":"on-failure",.*"max_retries":3\}\n/);
      expect(settings).toMatch(/\n {2}working_dir +\//);
      expect(r.stdout).not.toMatch(/stopGracePeriod|dependsOn|startTimeout|maxRetries|workingDir|Ms"/);
    },
    T,
  );
});

test(
  'inspect of an unknown service or an unloaded config fails with one line',
  async () => {
    const loaded = d.writeConfig('services:\n  a:\n    command: ["sleep", "600"]\n', 'other/kepler.yaml');
    const notLoaded = await d.cli(['inspect', 'a', '-f', loaded]);
    expect(notLoaded.code).toBe(1);
    expect(notLoaded.stderr).toMatch(/not loaded/);
    expect((await d.cli(['start', '-d', '-f', loaded])).code).toBe(0);
    const unknown = await d.cli(['inspect', 'nope', '-f', loaded]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no such service/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  },
  T,
);

test(
  'inspect NAME reaches a kepler run service from a directory without a config file',
  async () => {
    const bare = join(d.workDir, 'bare');
    mkdirSync(bare, { recursive: true });
    const run = await d.cli(['run', '-d', '--name', 'napper', '--', 'sleep', '300'], { cwd: bare });
    expect(run.code).toBe(0);
    const r = await d.cli(['inspect', 'napper', '--json'], { cwd: bare });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.service).toMatchObject({ name: 'napper', status: 'running' });
    expect(j.settings).toMatchObject({ command: ['sleep', '300'] });
  },
  T,
);

test(
  'inspect of an unloaded config says how to load that file, as ps does (not a bare `kepler start`)',
  async () => {
    const config = d.writeConfig('services:\n  a:\n    command: ["sleep", "600"]\n', 'elsewhere/app.yaml');
    const r = await d.cli(['inspect', 'a', '-f', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${config} is not loaded (\`kepler start -f ${config}\` loads it)\n`);
  },
  T,
);
