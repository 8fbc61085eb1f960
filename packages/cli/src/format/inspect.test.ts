import type { InspectResult, ServiceInfo } from '@kepler/protocol';
import { describeExitRecord, inspectToJson, networkLine, renderInspect } from './inspect.js';

const NOW = Date.parse('2024-01-01T00:03:00.000Z');
const at = '2024-01-01T00:02:00.000Z';

const info: ServiceInfo = {
  config: '/srv/app/kepler.yaml',
  name: 'web',
  status: 'restarting',
  pid: null,
  exitCode: 3,
  signal: null,
  restarts: 4,
  startedAt: at,
  stoppedAt: at,
  health: null,
  healthFailures: 0,
  lastHealthOutput: null,
  reason: 'exited with code 3; restarting in 8000 ms',
};

const result: InspectResult = {
  info,
  settings: {
    command: ['node', 'server.js'],
    environment: { A: '1', B: '2' },
    port: 'auto',
    hostname: 'web.local',
  },
  statusSince: at,
  lastExit: { code: 3, signal: null, at },
  lastCause: { what: 'restart', kind: 'crash', detail: 'exited with code 3', at },
  backoff: { consecutiveCrashes: 4, delayMs: 8000, restartAt: '2024-01-01T00:03:05.000Z' },
  health: [{ at, ok: false, output: 'first\nconnection refused\n' }],
  dependencies: [
    {
      service: 'db',
      condition: 'service_healthy',
      verdict: 'pending',
      reason: 'waiting for db to be healthy',
      restart: false,
    },
  ],
  logs: [],
};

test('the text: status and since, exit, cause, backoff, settings (ports and hostname as they come), health, edges', () => {
  const text = renderInspect(result, NOW, false);
  expect(text).toMatch(/^web \(\/srv\/app\/kepler\.yaml\)\n/);
  expect(text).toMatch(/\n {2}status +restarting since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(1m ago\)\n/);
  expect(text).toMatch(/\n {2}reason +exited with code 3; restarting in 8000 ms\n/);
  expect(text).toMatch(/\n {2}last exit +exit code 3 at /);
  expect(text).toMatch(/\n {2}last cause +restart \(crash\): exited with code 3 at /);
  expect(text).toMatch(/\n {2}restarts +4; next restart in 5s \(a 8s wait; 4 in a row\)\n/);
  expect(text).toMatch(/\n {2}command +node server\.js\n/);
  expect(text).toMatch(/\n {2}environment +2 variables \(see --json\)\n/);
  expect(text).toMatch(/\n {2}port +auto\n/);
  expect(text).toMatch(/\n {2}network +port auto, hostname web\.local\n/);
  expect(text).toMatch(/\n {2}hostname +web\.local\n/);
  expect(text).toMatch(/Health checks \(last 1\)\n {2}\S.* +failed +connection refused\n/);
  expect(text).toMatch(/Dependencies\n {2}db +service_healthy +pending +waiting for db to be healthy\n/);
  expect(text.endsWith('Last 0 log lines\n')).toBe(true);
});

test("settings are shown as the daemon sends them, in the config file's vocabulary", () => {
  const spelled: InspectResult = {
    ...result,
    settings: {
      ...result.settings,
      working_dir: '/srv/app',
      depends_on: { db: { condition: 'service_healthy', timeout: '90s' } },
      stop_grace_period: '5415s',
      healthcheck: { interval: '500ms', retries: 3, start_timeout: '1m' },
    },
  };
  const text = renderInspect(spelled, NOW, false);
  expect(text).toMatch(/\n {2}working_dir +\/srv\/app\n/);
  expect(text).toMatch(/\n {2}depends_on +\{"db":\{"condition":"service_healthy","timeout":"90s"\}\}\n/);
  expect(text).toMatch(/\n {2}stop_grace_period +5415s\n/);
  expect(text).toMatch(/\n {2}healthcheck +\{"interval":"500ms","retries":3,"start_timeout":"1m"\}\n/);
});

test('exits in words', () => {
  expect(describeExitRecord({ code: null, signal: 'SIGKILL', at })).toBe('killed by SIGKILL');
  expect(describeExitRecord({ code: 0, signal: null, at })).toBe('exit code 0');
  expect(describeExitRecord({ code: null, signal: null, at })).toMatch(/unknown/);
  expect(describeExitRecord({ code: null, signal: null, at })).toBe(
    'exit status unknown (adopted after a daemon restart)',
  );
});

test('--json is snake_case', () => {
  const j = inspectToJson(result);
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
  expect(j.service).toMatchObject({ name: 'web', exit_code: 3 });
  // The daemon already sends the settings in the file's vocabulary: --json passes them on.
  expect(j.settings).toBe(result.settings);
  expect(j.backoff).toEqual({
    consecutive_crashes: 4,
    delay_ms: 8000,
    restart_at: '2024-01-01T00:03:05.000Z',
  });
});

describe('networkLine with the port given (issue 15)', () => {
  it('shows the port an auto service was given and its URL', () => {
    const settings = { port: 'auto', hostname: 'web.localhost' } as unknown as Parameters<
      typeof networkLine
    >[0];
    expect(networkLine(settings, { port: 41234, url: 'http://web.localhost:7380' })).toBe(
      'port 41234 (auto), hostname web.localhost (http://web.localhost:7380)',
    );
    expect(networkLine(settings)).toBe('port auto, hostname web.localhost');
  });
});
