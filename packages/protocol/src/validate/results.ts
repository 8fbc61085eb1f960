/**
 * The parsers of results, one per request type (`ResultOf` in messages.ts), and of the records that
 * results and events both carry (a service's info, a log line).
 */

import type {
  ClearedLog,
  ConfigSummary,
  ConfigWarning,
  DaemonStatus,
  LogLine,
  PruneEntry,
  RequestType,
  ResultOf,
  RetentionSetting,
  ServiceChange,
  ServiceInfo,
  StartResult,
  UnmetDependency,
  UpPlan,
  UpResult,
} from '../messages.js';
import type { SnapshotNote } from '../snapshotNotes.js';
import {
  arrayOf,
  bool,
  bytes,
  type Check,
  count,
  type FieldChecks,
  fail,
  integer,
  nonNegative,
  nullable,
  oneOf,
  optional,
  record,
  status,
  str,
} from './fields.js';
import { inspectResults } from './inspect.js';
import { usageResults } from './usage.js';

export const logLine = record<LogLine>({
  ts: nonNegative,
  service: str,
  hook: nullable(str),
  stream: oneOf(['stdout', 'stderr']),
  line: bytes,
  timestamp: optional(bool),
});

export const serviceInfo = record<ServiceInfo>({
  config: str,
  name: str,
  status,
  pid: nullable(count),
  exitCode: nullable(integer),
  signal: nullable(str),
  restarts: count,
  startedAt: nullable(str),
  stoppedAt: nullable(str),
  health: nullable(oneOf(['starting', 'healthy', 'unhealthy'])),
  healthFailures: count,
  lastHealthOutput: nullable(str),
  reason: nullable(str),
  logsNotStored: optional(count),
  unmetDependencies: optional(arrayOf(record<UnmetDependency>({ service: str, reason: str }))),
  port: optional(count),
  url: optional(str),
});

const configWarning = record<ConfigWarning>({ config: str, message: str });

/** A start/restart/ps note on the running snapshot (snapshotNotes.ts). */
export const snapshotNote = record<SnapshotNote>({
  config: str,
  overlays: arrayOf(str),
  changed: arrayOf(str),
});

const configSummary = record<ConfigSummary>({
  path: str,
  hash: nullable(str),
  services: count,
  running: count,
});

const daemonStatus = record<DaemonStatus>({
  pid: count,
  version: str,
  protocol: count,
  startedAt: str,
  uptimeMs: nonNegative,
  stateDir: str,
  configs: arrayOf(configSummary),
  containment: optional(oneOf(['cgroups', 'process-groups'])),
});

const START_RESULT_FIELDS: FieldChecks<StartResult> = {
  started: arrayOf(str),
  alreadyRunning: arrayOf(str),
  deferred: arrayOf(str),
  failure: optional(record({ service: nullable(str), reason: str, lastLines: arrayOf(logLine) })),
  services: arrayOf(serviceInfo),
  stale: optional(bool),
  snapshot: optional(snapshotNote),
};

const startResult = record<StartResult>(START_RESULT_FIELDS);

const serviceChange = record<ServiceChange>({
  service: str,
  action: oneOf(['unchanged', 'recreate', 'restart', 'create', 'remove']),
  reasons: arrayOf(str),
});

export const upPlan = record<UpPlan>({ services: arrayOf(serviceChange), kepler: arrayOf(str) });

const upResult = record<UpResult>({ ...START_RESULT_FIELDS, plan: upPlan, dryRun: bool });

const pruneEntry = record<PruneEntry>({
  path: str,
  stateDir: str,
  bytes: nonNegative,
  reason: str,
  removed: bool,
});

const RETENTION_SETTINGS: readonly RetentionSetting[] = ['on_start', 'on_stop', 'on_restart', 'on_exit'];

function retentionSetting(value: unknown, path: string): RetentionSetting {
  const by = str(value, path);
  const found = RETENTION_SETTINGS.find((s) => s === by);
  if (found === undefined) fail(path, `unknown retention setting ${JSON.stringify(by.slice(0, 40))}`);
  return found;
}

// `by` is checked before `service`, as it always was: the first bad field is the one reported.
const clearedLog = record<ClearedLog>({ by: retentionSetting, service: str });

/** One parser per request type's result; a missing one, or a missing field, is a compile error. */
export const RESULT_PARSERS: { readonly [K in RequestType]: Check<ResultOf[K]> } = {
  hello: record({ protocol: count, version: str, pid: count }),
  status: daemonStatus,
  shutdown: record({ stoppedConfigs: count }),
  ps: record({
    services: arrayOf(serviceInfo),
    loaded: optional(bool),
    warnings: optional(arrayOf(configWarning)),
    stale: optional(arrayOf(str)),
    snapshots: optional(arrayOf(snapshotNote)),
  }),
  start: startResult,
  restart: startResult,
  stop: record({ stopped: arrayOf(str), cleaned: bool }),
  recreate: record({ hash: str, services: arrayOf(str) }),
  up: upResult,
  down: record({ stopped: arrayOf(str), cleaned: bool, forgotten: bool }),
  logs: record({ lines: count, loaded: optional(bool), cleared: optional(arrayOf(clearedLog)) }),
  prune: record({ entries: arrayOf(pruneEntry), freedBytes: nonNegative, dryRun: bool }),
  adhocAdd: record({ config: str, service: str }),
  adhocRemove: record({ config: str, stopped: arrayOf(str), removed: arrayOf(str) }),
  ...usageResults(serviceInfo), // usage.ts: top, metrics
  ...inspectResults(serviceInfo, logLine), // inspect.ts
};
