import type { ServiceInfo, TopSnapshot } from '@kepler/protocol';
import { formatCpuPercent, renderTopTable, topToJson } from './top.js';

const web: ServiceInfo = {
  config: '/srv/app/kepler.yaml',
  name: 'web',
  status: 'running',
  pid: 4242,
  exitCode: null,
  signal: null,
  restarts: 2,
  startedAt: '2024-01-01T00:00:00.000Z',
  stoppedAt: null,
  health: null,
  healthFailures: 0,
  lastHealthOutput: null,
  reason: null,
};
const batch: ServiceInfo = {
  ...web,
  name: 'batch',
  status: 'failed',
  pid: null,
  reason: 'exit 1',
  restarts: 0,
};

const snapshot: TopSnapshot = {
  sampledAt: 0,
  services: [web, batch],
  usage: [
    {
      config: web.config,
      service: 'web',
      cpuSeconds: 3,
      cpuPercent: 12.345,
      memoryBytes: 50 * 1024 * 1024,
      source: 'cgroup',
    },
    {
      config: web.config,
      service: 'batch',
      cpuSeconds: null,
      cpuPercent: null,
      memoryBytes: null,
      source: null,
    },
  ],
};

const options = { showConfig: false, cwd: '/srv/app', home: '/root', color: false };

test('the table: CPU% of one core with one decimal, memory in binary units, dashes when nothing runs', () => {
  expect(renderTopTable(snapshot, options)).toBe(
    [
      'SERVICE   STATUS            CPU%    MEMORY     PID    RESTARTS',
      'web       running           12.3%   50.0 MiB   4242   2',
      'batch     failed (exit 1)   -       -          -      0',
      '',
    ].join('\n'),
  );
  expect(renderTopTable(snapshot, { ...options, showConfig: true }).split('\n')[1]).toMatch(
    /^kepler\.yaml\s+web\s/,
  );
});

test('a first sample has no rate yet', () => {
  expect(formatCpuPercent(null)).toBe('-');
  expect(formatCpuPercent(250)).toBe('250.0%');
});

test('--json: the ps --json objects with the usage', () => {
  const [w, b] = topToJson(snapshot);
  expect(w).toMatchObject({
    name: 'web',
    pid: 4242,
    restarts: 2,
    cpu_percent: 12.345,
    cpu_seconds: 3,
    memory_bytes: 52_428_800,
    usage_source: 'cgroup',
  });
  expect(b).toMatchObject({
    name: 'batch',
    status: 'failed',
    cpu_percent: null,
    memory_bytes: null,
    usage_source: null,
  });
});
