import type { ServiceInfo } from '@kepler/protocol';
import { renderPsTable, serviceToJson, shortenPath, statusLabel } from './services.js';

const base: ServiceInfo = {
  config: '/srv/app/kepler.yaml',
  name: 'web',
  status: 'running',
  pid: 4242,
  exitCode: null,
  signal: null,
  restarts: 2,
  startedAt: '2024-01-01T00:00:00.000Z',
  stoppedAt: null,
  health: 'healthy',
  healthFailures: 0,
  lastHealthOutput: 'ok',
  reason: null,
};
const NOW = Date.parse('2024-01-01T00:03:12.000Z');

describe('statusLabel', () => {
  it('is the status word, with the reason appended for failed', () => {
    expect(statusLabel(base)).toBe('running');
    expect(statusLabel({ ...base, status: 'failed', reason: 'exit 1' })).toBe('failed (exit 1)');
  });

  it('derives the reason of a failed service from its signal or exit code when the daemon gave none', () => {
    expect(statusLabel({ ...base, status: 'failed', signal: 'SIGKILL', exitCode: -1 })).toBe(
      'failed (SIGKILL)',
    );
    expect(statusLabel({ ...base, status: 'failed', exitCode: 3 })).toBe('failed (exit 3)');
    const long = 'dependency not satisfied: once exited with code 3 and will not restart';
    expect(statusLabel({ ...base, status: 'failed', reason: long })).toBe(
      'failed (dependency not satisfied: once exited w…)',
    );
    expect(statusLabel({ ...base, status: 'failed' })).toBe('failed');
  });
});

describe('shortenPath', () => {
  it('is relative inside the current directory, ~ inside home, absolute elsewhere', () => {
    expect(shortenPath('/home/ann/app/kepler.yaml', '/home/ann/app', '/home/ann')).toBe('kepler.yaml');
    expect(shortenPath('/home/ann/app/kepler.yaml', '/tmp', '/home/ann')).toBe('~/app/kepler.yaml');
    expect(shortenPath('/srv/kepler.yaml', '/tmp', '/home/ann')).toBe('/srv/kepler.yaml');
    expect(shortenPath('/home/annex/k.yaml', '/tmp', '/home/ann')).toBe('/home/annex/k.yaml');
  });
});

describe('renderPsTable', () => {
  const options = { showConfig: false, cwd: '/srv/app', home: '/root', nowMs: NOW, color: false };

  it('has NAME STATUS PID UPTIME RESTARTS HEALTH, with - where nothing applies', () => {
    const text = renderPsTable(
      [
        base,
        { ...base, name: 'worker', status: 'failed', pid: null, exitCode: 1, health: null, reason: 'exit 1' },
      ],
      options,
    );
    expect(text).toBe(
      [
        'NAME     STATUS            PID    UPTIME   RESTARTS   HEALTH',
        'web      running           4242   3m 12s   2          healthy',
        'worker   failed (exit 1)   -      -        2          -',
        '',
      ].join('\n'),
    );
  });

  it('shows no pid, uptime or health for a stopped service even if the last ones are known', () => {
    const text = renderPsTable([{ ...base, status: 'stopped' }], options);
    expect(text.split('\n')[1]).toBe('web    stopped   -     -        2          -');
  });

  it("shows no uptime or health for a service starting without a process yet (those are the last run's)", () => {
    // As after a daemon restart requeued a service that was between restarts, or while pre_start runs.
    const text = renderPsTable([{ ...base, status: 'starting', pid: null }], options);
    expect(text.split('\n')[1]).toBe('web    starting   -     -        2          -');
  });

  it('notes services whose log files could not take every line, below the table', () => {
    const text = renderPsTable([base, { ...base, name: 'worker', logsNotStored: 56 }], options);
    expect(text.split('\n').slice(3)).toEqual(["worker: 56 log lines not stored (see the daemon's log)", '']);
  });

  it('puts a CONFIG column first for --all, with shortened paths', () => {
    const text = renderPsTable([base, { ...base, config: '/root/other/kepler.yaml', name: 'db' }], {
      ...options,
      showConfig: true,
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^CONFIG {16}NAME {3}STATUS/);
    expect(lines[1]).toMatch(/^kepler\.yaml {11}web {4}running/);
    expect(lines[2]).toMatch(/^~\/other\/kepler\.yaml {3}db {5}running/);
  });
});

describe('serviceToJson', () => {
  it('has every field in snake_case', () => {
    expect(serviceToJson({ ...base, status: 'failed', exitCode: 1, signal: null, reason: 'exit 1' })).toEqual(
      {
        config: '/srv/app/kepler.yaml',
        name: 'web',
        status: 'failed',
        pid: 4242,
        exit_code: 1,
        signal: null,
        restarts: 2,
        started_at: '2024-01-01T00:00:00.000Z',
        stopped_at: null,
        health: 'healthy',
        health_failures: 0,
        last_health_output: 'ok',
        reason: 'exit 1',
        logs_not_stored: 0,
        unmet_dependencies: [],
      },
    );
    expect(serviceToJson({ ...base, logsNotStored: 56 }).logs_not_stored).toBe(56);
  });

  it('notes below the table what a waiting service waits for', () => {
    const waiting = {
      ...base,
      status: 'waiting' as const,
      pid: null,
      reason: 'waiting for db (priority -10) to start first',
    };
    const text = renderPsTable([waiting, { ...base, name: 'api', status: 'running' as const }], {
      showConfig: false,
      cwd: '/srv/app',
      home: undefined,
      nowMs: Date.parse('2024-01-01T00:01:00.000Z'),
      color: false,
    });
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^web\s+waiting\s+-/);
    expect(lines.at(-2)).toBe('web: waiting for db (priority -10) to start first');
    expect(lines).toHaveLength(5);
  });

  it('lists unmet soft dependencies, and the table notes them below', () => {
    const unmetDependencies = [{ service: 'db', reason: 'db exited with code 1 and will not restart' }];
    expect(serviceToJson({ ...base, unmetDependencies }).unmet_dependencies).toEqual(unmetDependencies);
    const text = renderPsTable([{ ...base, unmetDependencies }], {
      showConfig: false,
      cwd: '/srv/app',
      home: undefined,
      nowMs: Date.parse('2024-01-01T00:01:00.000Z'),
      color: false,
    });
    expect(text.split('\n').at(-2)).toBe(
      'web: without soft dependency db: db exited with code 1 and will not restart',
    );
  });
});

describe('ports (issue 15)', () => {
  const opts = {
    showConfig: false,
    cwd: '/srv/app',
    home: undefined,
    nowMs: Date.parse('2024-01-01T00:01:00Z'),
    color: false,
  };
  it('adds PORTS only when a service has a port, with the proxy URL of its hostname', () => {
    expect(renderPsTable([base], opts)).not.toContain('PORTS');
    const text = renderPsTable(
      [
        { ...base, port: 8000, url: 'http://web.localhost:7380' },
        { ...base, name: 'db' },
      ],
      opts,
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/HEALTH +PORTS$/);
    expect(lines[1]).toMatch(/ 8000 http:\/\/web\.localhost:7380$/);
    expect(lines[2]).toMatch(/ -$/);
  });
  it('ps --json has port and url when set', () => {
    expect(serviceToJson({ ...base, port: 8000, url: 'http://web.localhost:7380' })).toMatchObject({
      port: 8000,
      url: 'http://web.localhost:7380',
    });
    expect('port' in serviceToJson(base)).toBe(false);
  });
});
