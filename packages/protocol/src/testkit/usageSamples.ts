/**
 * Samples of the usage (`top`, `metrics`) and inspect families for the round-trip tests, spread into
 * samples.ts's tables (which hand in their shared records: this module does not import samples.ts).
 */
import type { InspectResult } from '../inspectMessages.js';
import type { ConfigRef, LogLine, ServiceInfo } from '../messages.js';
import type { TopSnapshot } from '../usageMessages.js';

function snapshot(running: ServiceInfo, failed: ServiceInfo): TopSnapshot {
  return {
    sampledAt: 1_700_000_000_000,
    services: [running, failed],
    usage: [
      {
        config: running.config,
        service: running.name,
        cpuSeconds: 12.5,
        cpuPercent: 3.25,
        memoryBytes: 52_428_800,
        source: 'cgroup',
      },
      {
        config: failed.config,
        service: failed.name,
        cpuSeconds: null,
        cpuPercent: null,
        memoryBytes: null,
        source: null,
      },
    ],
  };
}

export function usageRequestSamples(configRef: ConfigRef) {
  return {
    top: [{ type: 'top' as const }, { type: 'top' as const, config: configRef, all: false, follow: true }],
    metrics: [{ type: 'metrics' as const }],
    inspect: [
      { type: 'inspect' as const, config: configRef, service: 'web' },
      { type: 'inspect' as const, config: configRef, service: 'web', lines: 5 },
    ],
  };
}

export function usageResultSamples(running: ServiceInfo, failed: ServiceInfo, logs: readonly LogLine[]) {
  const at = '2024-01-01T00:01:00.000Z';
  const inspected: InspectResult = {
    info: failed,
    settings: { name: 'worker', command: ['./worker', '--fast'], restart: { policy: 'on-failure' } },
    statusSince: at,
    lastExit: { code: null, signal: 'SIGKILL', at },
    lastCause: { what: 'failure', kind: 'crash', detail: 'killed by SIGKILL', at },
    backoff: { consecutiveCrashes: 3, delayMs: 4000, restartAt: '2024-01-01T00:01:04.000Z' },
    health: [
      { at: '2024-01-01T00:00:50.000Z', ok: true, output: 'ok' },
      { at: '2024-01-01T00:00:55.000Z', ok: false, output: 'connection refused' },
    ],
    dependencies: [
      {
        service: 'db',
        condition: 'service_healthy',
        verdict: 'satisfied',
        reason: 'db is healthy',
        restart: true,
      },
    ],
    logs,
  };
  return {
    top: [snapshot(running, failed), { sampledAt: 0, services: [], usage: [], loaded: false }],
    metrics: [{ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: '# HELP x y\n' }],
    inspect: [
      inspected,
      {
        ...inspected,
        info: running,
        statusSince: null,
        lastExit: { code: 1, signal: null, at },
        lastCause: null,
        backoff: { consecutiveCrashes: 0, delayMs: null, restartAt: null },
        health: [],
        dependencies: [],
        logs: [],
      },
    ],
  };
}

export function usageEventSamples(running: ServiceInfo, failed: ServiceInfo) {
  return { usage: [{ type: 'usage' as const, snapshot: snapshot(running, failed) }] };
}
