/**
 * Sample messages for this package's tests: at least one of every request, result and event, with
 * every optional field set in one variant and absent in another. The mapped types make a new
 * request type or event type without a sample a compile error. Not exported from the package.
 */
import type {
  ConfigRef,
  LogLine,
  Requests,
  RequestType,
  ResultOf,
  ServiceInfo,
  StreamEvent,
} from '../messages.js';
import { usageEventSamples, usageRequestSamples, usageResultSamples } from './usageSamples.js';

export const configRef: ConfigRef = { path: '/srv/app/kepler.yaml', env: { HOME: '/root', EMPTY: '' } };
/** A config named with overlays (`-f kepler.yaml -f kepler.prod.yaml`). */
export const configRefWithOverlays: ConfigRef = {
  ...configRef,
  overlays: ['/srv/app/kepler.prod.yaml', '/etc/app/local.yaml'],
};

export const logLine: LogLine = {
  ts: 1_700_000_000_123,
  service: 'web',
  hook: null,
  stream: 'stdout',
  // Invalid UTF-8, a carriage return and a NUL: raw bytes must survive.
  line: new Uint8Array([0x68, 0x69, 0xff, 0xfe, 0x0d, 0x00]),
};

export const hookLine: LogLine = {
  ts: 1,
  service: 'global',
  hook: 'pre_start',
  stream: 'stderr',
  line: new Uint8Array([0x61]),
};

export const serviceInfo: ServiceInfo = {
  config: '/srv/app/kepler.yaml',
  name: 'web',
  status: 'healthy',
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

export const failedInfo: ServiceInfo = {
  ...serviceInfo,
  name: 'worker',
  status: 'failed',
  pid: null,
  exitCode: -1,
  signal: 'SIGKILL',
  stoppedAt: '2024-01-01T00:01:00.000Z',
  health: null,
  healthFailures: 3,
  lastHealthOutput: null,
  reason: 'killed by SIGKILL',
  logsNotStored: 56,
};

export const REQUEST_SAMPLES: { readonly [K in RequestType]: readonly Requests[K][] } = {
  hello: [{ type: 'hello', protocol: 1, client: 'kepler-cli/0.1.0' }],
  status: [{ type: 'status' }],
  shutdown: [{ type: 'shutdown' }],
  ps: [{ type: 'ps' }, { type: 'ps', config: configRef, all: true }],
  start: [
    { type: 'start', config: configRef, services: [], mode: 'detach' },
    { type: 'start', config: configRef, services: ['web', 'db'], mode: 'wait', timeoutMs: 30_000 },
  ],
  restart: [
    { type: 'restart', config: configRef, services: ['web'], mode: 'follow' },
    { type: 'restart', config: configRef, services: [], mode: 'wait', timeoutMs: 0 },
  ],
  stop: [
    { type: 'stop', config: configRef, services: [] },
    { type: 'stop', config: configRef, services: ['web'], signal: 'SIGINT', clean: true },
  ],
  recreate: [
    { type: 'recreate', config: configRef },
    { type: 'recreate', config: configRefWithOverlays },
  ],
  up: [
    { type: 'up', config: configRef, services: [], mode: 'detach' },
    { type: 'up', config: configRef, services: ['web'], mode: 'wait', timeoutMs: 5000, dryRun: true },
  ],
  down: [
    { type: 'down', config: configRef },
    { type: 'down', config: configRef, clean: true },
  ],
  logs: [
    { type: 'logs', config: configRef, services: [] },
    { type: 'logs', config: configRef, services: ['web'], head: 10, tail: 0, noHook: true, follow: true },
    {
      type: 'logs',
      config: configRef,
      services: [],
      tail: 5,
      since: 1_700_000_000_000,
      until: 1_700_000_600_000,
    },
  ],
  prune: [{ type: 'prune' }, { type: 'prune', force: true, dryRun: false }],
  adhocAdd: [
    {
      type: 'adhocAdd',
      caller: { uid: 0, gid: 0 },
      service: {
        command: ['sleep', '300'],
        workingDir: '/srv',
        environment: ['PATH=/usr/bin:/bin', 'EMPTY='],
        restart: 'no',
      },
    },
    {
      type: 'adhocAdd',
      caller: { uid: 1000, gid: 1000 },
      service: {
        name: 'web',
        command: ['node', 'server.js'],
        workingDir: '/srv/app',
        environment: [],
        restart: 'on-failure',
        user: 'app',
      },
    },
  ],
  adhocRemove: [{ type: 'adhocRemove', caller: { uid: 0, gid: 0 }, services: ['web', 'sleep-2'] }],
  ...usageRequestSamples(configRef), // usageSamples.ts: top, metrics, inspect
};

export const RESULT_SAMPLES: { readonly [K in RequestType]: readonly ResultOf[K][] } = {
  hello: [{ protocol: 1, version: '0.1.0', pid: 1 }],
  status: [
    {
      pid: 100,
      version: '0.1.0',
      protocol: 1,
      startedAt: '2024-01-01T00:00:00.000Z',
      uptimeMs: 1234.5,
      stateDir: '/var/lib/kepler',
      configs: [
        { path: '/srv/app/kepler.yaml', hash: 'abc123', services: 3, running: 1 },
        { path: '/srv/other.yaml', hash: null, services: 0, running: 0 },
      ],
    },
    {
      pid: 101,
      version: '0.1.0',
      protocol: 1,
      startedAt: '2024-01-01T00:00:00.000Z',
      uptimeMs: 1,
      stateDir: '/home/bob/.local/state/kepler',
      configs: [],
      containment: 'process-groups',
    },
  ],
  shutdown: [{ stoppedConfigs: 2 }],
  ps: [
    { services: [] },
    { services: [serviceInfo, failedInfo] },
    { services: [], loaded: false },
    {
      services: [serviceInfo],
      warnings: [{ config: '/srv/app/kepler.yaml', message: 'state.json was invalid when loaded: x' }],
    },
    { services: [serviceInfo], stale: ['/srv/app/kepler.yaml'] },
    {
      services: [serviceInfo],
      stale: ['/srv/app/kepler.yaml'],
      snapshots: [
        { config: '/srv/app/kepler.yaml', overlays: ['/srv/app/prod.yaml'], changed: ['/srv/app/.env'] },
      ],
    },
  ],
  start: [
    { started: ['web'], alreadyRunning: [], deferred: [], services: [serviceInfo] },
    {
      started: [],
      alreadyRunning: ['web'],
      deferred: ['late'],
      failure: { service: 'worker', reason: 'exited with code 1', lastLines: [logLine, hookLine] },
      services: [serviceInfo, failedInfo],
    },
    {
      started: [],
      alreadyRunning: [],
      deferred: [],
      failure: { service: null, reason: 'timed out after 30s', lastLines: [] },
      services: [],
    },
  ],
  restart: [
    { started: ['web'], alreadyRunning: [], deferred: [], services: [], stale: true },
    {
      started: ['web'],
      alreadyRunning: [],
      deferred: [],
      services: [],
      snapshot: { config: '/srv/app/kepler.yaml', overlays: ['/srv/app/prod.yaml'], changed: [] },
    },
  ],
  stop: [{ stopped: ['web', 'db'], cleaned: false }],
  recreate: [{ hash: 'deadbeef', services: ['web', 'db'] }],
  up: [
    {
      started: ['web'],
      alreadyRunning: ['db'],
      deferred: [],
      services: [serviceInfo],
      plan: {
        services: [
          { service: 'web', action: 'recreate', reasons: ['environment: +DEBUG, ~PORT'] },
          { service: 'db', action: 'unchanged', reasons: [] },
          { service: 'old', action: 'remove', reasons: [] },
        ],
        kepler: ['kepler.logs: affects web'],
      },
      dryRun: false,
    },
    {
      started: [],
      alreadyRunning: [],
      deferred: [],
      services: [],
      plan: { services: [], kepler: [] },
      dryRun: true,
    },
  ],
  down: [
    { stopped: ['web', 'db'], cleaned: false, forgotten: true },
    { stopped: [], cleaned: true, forgotten: false },
  ],
  logs: [
    { lines: 0 },
    { lines: 1500 },
    { lines: 0, loaded: false },
    { lines: 3, loaded: true, cleared: [{ service: 'web', by: 'on_stop' }] },
  ],
  prune: [
    {
      entries: [
        {
          path: '/srv/gone.yaml',
          stateDir: '/var/lib/kepler/configs/ab',
          bytes: 4096,
          reason: 'orphaned: source missing',
          removed: true,
        },
      ],
      freedBytes: 4096,
      dryRun: false,
    },
  ],
  adhocAdd: [{ config: '/var/lib/kepler/adhoc/0.yaml', service: 'sleep' }],
  adhocRemove: [{ config: '/var/lib/kepler/adhoc/0.yaml', stopped: ['web'], removed: ['web', 'sleep-2'] }],
  ...usageResultSamples(serviceInfo, failedInfo, [logLine, hookLine]), // usageSamples.ts
};

export const EVENT_SAMPLES: {
  readonly [K in StreamEvent['type']]: readonly Extract<StreamEvent, { type: K }>[];
} = {
  logLines: [
    { type: 'logLines', lines: [] },
    { type: 'logLines', lines: [logLine, hookLine] },
    { type: 'logLines', lines: [{ ...logLine, timestamp: false }] },
  ],
  serviceStatusChanged: [
    {
      type: 'serviceStatusChanged',
      service: 'web',
      status: 'running',
      previous: 'starting',
      reason: null,
      info: serviceInfo,
    },
    {
      type: 'serviceStatusChanged',
      service: 'worker',
      status: 'failed',
      previous: 'running',
      reason: 'exit 1',
      info: failedInfo,
    },
  ],
  progress: [{ type: 'progress', service: 'web', message: 'waiting on db' }],
  ready: [{ type: 'ready', deferred: ['late'] }],
  quiescent: [{ type: 'quiescent' }],
  begun: [
    { type: 'begun', started: ['web', 'db'], alreadyRunning: [] },
    { type: 'begun', started: [], alreadyRunning: ['web'], stale: true },
    {
      type: 'begun',
      started: ['web'],
      alreadyRunning: [],
      stale: true,
      snapshot: { config: '/srv/app/kepler.yaml', overlays: [], changed: ['/srv/app/prod.yaml'] },
    },
  ],
  plan: [
    {
      type: 'plan',
      plan: { services: [{ service: 'cache', action: 'create', reasons: [] }], kepler: [] },
    },
  ],
  ...usageEventSamples(serviceInfo, failedInfo), // usageSamples.ts
};
