/**
 * `kepler up`'s plan: the running snapshot against a freshly baked one, service by service. Pure: it
 * reads two BakedConfigs (and the content hashes of the env files each was baked from) and says, for
 * each service, what `up` does and why, in the config's own words (`environment: +DEBUG, ~PORT`,
 * `healthcheck.interval 10s -> 5s`). ConfigActor.up applies it.
 */
import { basename } from 'node:path';
import type { BakedConfig, BakedDependency, BakedHealthcheck, BakedService } from '@kepler/config';
import { formatBytes } from '@kepler/config/grammar';
import type { ServiceChange, UpPlan } from '@kepler/protocol';
import { formatMs } from '../formatMs.js';
import { reverseEdges } from './dependencies/dependencies.js';

/** Content hash of each env file a snapshot was baked from, by absolute path (null: not recorded). */
export type EnvHashes = ReadonlyMap<string, string | null> | null;

/**
 * The plan for replacing `running` by `next`: every service of `next` in its order (`unchanged`,
 * `recreate` with reasons, `restart` for `restart: true` dependents of a recreated one, `create`), then
 * the services only `running` has (`remove`), and the `kepler:` section's changes with what they affect.
 */
export function diffSnapshots(
  running: BakedConfig,
  next: BakedConfig,
  hashes: { running: EnvHashes; next: EnvHashes } = { running: null, next: null },
): UpPlan {
  const changes = new Map<string, ServiceChange>();
  for (const name of next.serviceOrder) {
    const before = running.services[name];
    const after = next.services[name]!;
    if (!before) {
      changes.set(name, { service: name, action: 'create', reasons: [] });
      continue;
    }
    const reasons = serviceReasons(before, after, hashes);
    changes.set(name, { service: name, action: reasons.length ? 'recreate' : 'unchanged', reasons });
  }
  // `restart: true` dependents of what is recreated restart too, transitively (on the new edges).
  const dependents = reverseEdges(next, { restartOnly: true });
  const queue = [...changes.values()].filter((c) => c.action === 'recreate').map((c) => c.service);
  while (queue.length > 0) {
    const cause = queue.shift()!;
    for (const dependent of dependents.get(cause) ?? []) {
      const change = changes.get(dependent)!;
      if (change.action !== 'unchanged') continue;
      changes.set(dependent, {
        service: dependent,
        action: 'restart',
        reasons: [`depends on ${cause} (restart: true)`],
      });
      queue.push(dependent);
    }
  }
  const services = [...changes.values()];
  for (const name of running.serviceOrder) {
    if (!(name in next.services)) services.push({ service: name, action: 'remove', reasons: [] });
  }
  return { services, kepler: keplerChanges(running, next, services) };
}

/** Whether applying `plan` changes anything at all (else `up` is `start`). */
export function planChanges(plan: UpPlan): boolean {
  return plan.kepler.length > 0 || plan.services.some((c) => c.action !== 'unchanged');
}

// ---- one service ------------------------------------------------------------------------------------

function serviceReasons(
  a: BakedService,
  b: BakedService,
  hashes: { running: EnvHashes; next: EnvHashes },
): string[] {
  const reasons: string[] = [];
  if (!same(a.command, b.command)) reasons.push('command');
  if (a.workingDir !== b.workingDir) reasons.push(`working_dir ${a.workingDir} -> ${b.workingDir}`);
  const env = keyChanges(a.environment, b.environment);
  if (env) reasons.push(`environment: ${env}`);
  if (a.envFile !== b.envFile) reasons.push(`env_file ${a.envFile ?? '(none)'} -> ${b.envFile ?? '(none)'}`);
  else if (b.envFile !== null && hashes.running && hashes.next) {
    const was = hashes.running.get(b.envFile);
    if (was !== undefined && was !== hashes.next.get(b.envFile))
      reasons.push(`env_file ${basename(b.envFile)} changed`);
  }
  if (a.sysEnv !== b.sysEnv) reasons.push(`sys_env ${a.sysEnv} -> ${b.sysEnv}`);
  const deps = keyChanges(edgesWithDefaults(a.dependsOn), edgesWithDefaults(b.dependsOn));
  if (deps) reasons.push(`depends_on: ${deps}`);
  if (a.restart.policy !== b.restart.policy)
    reasons.push(`restart ${a.restart.policy} -> ${b.restart.policy}`);
  if (!same(a.restart.watch, b.restart.watch)) reasons.push('restart.watch');
  if (!same(a.restart.backoff, b.restart.backoff)) reasons.push('restart.backoff');
  const [retriesA, retriesB] = [a.restart.maxRetries ?? null, b.restart.maxRetries ?? null];
  if (retriesA !== retriesB) reasons.push(`restart.max_retries ${plain(retriesA)} -> ${plain(retriesB)}`);
  reasons.push(...healthcheckReasons(a.healthcheck, b.healthcheck));
  const hooks = keyChanges(a.hooks, b.hooks);
  if (hooks) reasons.push(`hooks: ${hooks}`);
  if (a.user !== b.user) reasons.push(`user ${a.user ?? '(none)'} -> ${b.user ?? '(none)'}`);
  if (a.group !== b.group) reasons.push(`group ${a.group ?? '(none)'} -> ${b.group ?? '(none)'}`);
  reasons.push(...fieldReasons('limits', a.limits, b.limits, LIMIT_NAMES));
  reasons.push(...logReasons(a, b));
  if (a.stopSignal !== b.stopSignal) reasons.push(`stop_signal ${a.stopSignal} -> ${b.stopSignal}`);
  if (a.stopGracePeriodMs !== b.stopGracePeriodMs)
    reasons.push(`stop_grace_period ${formatMs(a.stopGracePeriodMs)} -> ${formatMs(b.stopGracePeriodMs)}`);
  if ((a.priority ?? 0) !== (b.priority ?? 0))
    reasons.push(`priority ${a.priority ?? 0} -> ${b.priority ?? 0}`);
  reasons.push(...serviceTypeReasons(a, b));
  // port, hostname (issue 15): the port reaches the process as PORT, so either needs a new start.
  if (a.port !== b.port) reasons.push(`port ${a.port ?? '(none)'} -> ${b.port ?? '(none)'}`);
  if (a.hostname !== b.hostname)
    reasons.push(`hostname ${a.hostname ?? '(none)'} -> ${b.hostname ?? '(none)'}`);
  return reasons;
}

/** `type`, `pid_file`, `start_timeout`, `stop_command`: absent in a snapshot when not set. */
function serviceTypeReasons(a: BakedService, b: BakedService): string[] {
  const reasons: string[] = [];
  const [typeA, typeB] = [a.type ?? 'simple', b.type ?? 'simple'];
  if (typeA !== typeB) reasons.push(`type ${typeA} -> ${typeB}`);
  if (a.pidFile !== b.pidFile) reasons.push(`pid_file ${a.pidFile ?? 'none'} -> ${b.pidFile ?? 'none'}`);
  if (a.startTimeoutMs !== b.startTimeoutMs)
    reasons.push(`start_timeout ${duration(a.startTimeoutMs)} -> ${duration(b.startTimeoutMs)}`);
  if (!same(a.stopCommand ?? null, b.stopCommand ?? null)) reasons.push('stop_command');
  return reasons;
}

function healthcheckReasons(a: BakedHealthcheck | null, b: BakedHealthcheck | null): string[] {
  if (a === null && b === null) return [];
  if (a === null) return ['healthcheck added'];
  if (b === null) return ['healthcheck removed'];
  const reasons: string[] = [];
  if (!same(a.probe, b.probe)) reasons.push('healthcheck.test');
  const withDefaults = (hc: Partial<BakedHealthcheck>) => ({
    onUnhealthy: 'keep',
    startTimeoutMs: null,
    ...hc,
  });
  return [...reasons, ...fieldReasons('healthcheck', withDefaults(a), withDefaults(b), HEALTHCHECK_NAMES)];
}

/**
 * Snapshots baked before `required` existed lack it (as they lack `priority`, `max_retries`,
 * `on_unhealthy` and `start_timeout`): read as the default, so a daemon upgrade recreates nothing.
 */
function edgesWithDefaults(edges: BakedService['dependsOn']): Record<string, unknown> {
  const withDefault = (edge: Partial<BakedDependency>) => ({ required: true, ...edge });
  return Object.fromEntries(Object.entries(edges).map(([name, edge]) => [name, withDefault(edge)]));
}

function logReasons(a: BakedService, b: BakedService): string[] {
  const reasons = fieldReasons('logs', a.logs, b.logs, LOG_NAMES);
  if (!same(a.logs.store, b.logs.store)) reasons.push('logs.store');
  if (!same(a.logs.retention, b.logs.retention)) reasons.push('logs.retention');
  return reasons;
}

/** How a field is named in kepler.yaml, and how its value reads there. */
type FieldNames = Readonly<Record<string, readonly [name: string, show: (v: unknown) => string]>>;

const duration = (v: unknown) => (typeof v === 'number' ? formatMs(v) : 'none');
const plain = (v: unknown) => (v === null ? 'none' : String(v));
const bytes = (v: unknown) => (typeof v === 'number' ? formatBytes(v) : 'none');

const HEALTHCHECK_NAMES: FieldNames = {
  intervalMs: ['interval', duration],
  timeoutMs: ['timeout', duration],
  retries: ['retries', plain],
  startPeriodMs: ['start_period', duration],
  onUnhealthy: ['on_unhealthy', plain],
  startTimeoutMs: ['start_timeout', duration],
};
const LIMIT_NAMES: FieldNames = {
  memoryBytes: ['memory', bytes],
  cpuTimeSec: ['cpu_time', plain],
  maxFds: ['max_fds', plain],
};
const LOG_NAMES: FieldNames = {
  maxSizeBytes: ['max_size', bytes],
  bufferSize: ['buffer_size', plain],
  timestamp: ['timestamp', plain],
};

function fieldReasons(prefix: string, a: object, b: object, names: FieldNames): string[] {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return Object.entries(names)
    .filter(([key]) => !same(x[key], y[key]))
    .map(([key, [name, show]]) => `${prefix}.${name} ${show(x[key])} -> ${show(y[key])}`);
}

/** `+ADDED, ~CHANGED, -REMOVED` (each sorted), or null when the two maps are equal. */
function keyChanges(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): string | null {
  const added = Object.keys(b).filter((k) => !Object.hasOwn(a, k));
  const removed = Object.keys(a).filter((k) => !Object.hasOwn(b, k));
  const changed = Object.keys(b).filter((k) => Object.hasOwn(a, k) && !same(a[k], b[k]));
  const parts = [
    ...added.sort().map((k) => `+${k}`),
    ...changed.sort().map((k) => `~${k}`),
    ...removed.sort().map((k) => `-${k}`),
  ];
  return parts.length ? parts.join(', ') : null;
}

// ---- the kepler: section ----------------------------------------------------------------------------

/**
 * What changed under `kepler:`, each with the services it affects. Its settings are already merged
 * into each service's (sys_env, timeout, logs), so those services are recreated by their own diff;
 * global hooks affect no running service and run at the next start or stop of the whole config.
 */
function keplerChanges(
  running: BakedConfig,
  next: BakedConfig,
  services: readonly ServiceChange[],
): string[] {
  const a = running.kepler;
  const b = next.kepler;
  const touched = (word: string) =>
    services
      .filter((c) => c.action === 'recreate' && c.reasons.some((r) => r.startsWith(word)))
      .map((c) => c.service);
  const affects = (names: string[]) => (names.length ? `affects ${names.join(', ')}` : 'affects no service');
  const out: string[] = [];
  if (a.sysEnv !== b.sysEnv) {
    out.push(`kepler.sys_env ${a.sysEnv} -> ${b.sysEnv}: ${affects(touched('environment'))}`);
  }
  if (a.timeoutMs !== b.timeoutMs) {
    out.push(
      `kepler.timeout ${duration(a.timeoutMs)} -> ${duration(b.timeoutMs)}: ${affects(touched('depends_on'))}`,
    );
  }
  if (!same(a.logs, b.logs)) out.push(`kepler.logs: ${affects(touched('logs'))}`);
  const hooks = keyChanges(a.hooks, b.hooks);
  if (hooks)
    out.push(
      `kepler.hooks: ${hooks}: affects no running service (they run at the next start or stop of all)`,
    );
  return out;
}

// ---- helpers ----------------------------------------------------------------------------------------

/** Structural equality of plain baked data (key order ignored). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => Object.hasOwn(y, k) && same(x[k], y[k]));
}
