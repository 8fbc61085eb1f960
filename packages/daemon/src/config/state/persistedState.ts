import {
  CAUSE_KINDS,
  type CauseRecord,
  type ExitRecord,
  PROCESS_STATUSES,
  PROCESSLESS_STATUSES,
  SERVICE_STATUSES,
  type ServiceStatus,
} from '@kepler/protocol';
import type { PersistedConfigState, PersistedServiceState } from '../../service/serviceState.js';

/**
 * What reading a config's state.json gave: the state, checked field by field (every value in it has
 * its declared type and range), and one line per problem found. `state` is null when there was no
 * file or nothing in it could be used (not JSON, or not an object with `services`).
 */
export interface StateReading {
  readonly state: PersistedConfigState | null;
  /** `services.web.restarts: expected a whole number >= 0, got -5 (reset to 0)`; empty when clean. */
  readonly problems: readonly string[];
  /** Services whose entry was missing or had a problem: what it says about them is not to be trusted. */
  readonly untrusted: ReadonlySet<string>;
}

/** Linux's largest pid_max (2^22). */
const MAX_PID = 4_194_304;
const MAX_REASON_CHARS = 4096;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/**
 * Checks a state.json's text. The granularity is the field: a bad field is reset to its default and
 * reported, the rest of the entry (above all its pid and start time, which let a restarted daemon
 * adopt the running process instead of starting a second one) is kept. A bad status or a bad pid /
 * start-time pair makes the entry's process state unknown: the service is then loaded as stopped with
 * no wish to run (a pid and start time that still name a live process are kept, so it is adopted).
 * Unknown services are ignored (a recreate removed them); unknown fields are dropped. Pure: no I/O.
 */
export function parsePersistedState(text: string, services: readonly string[]): StateReading {
  const problems: string[] = [];
  const untrusted = new Set(services);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    problems.push(`not valid JSON (${(e as Error).message})`);
    return { state: null, problems, untrusted };
  }
  if (!isObject(raw) || !isObject(raw.services)) {
    problems.push(`expected an object with "services", got ${describe(raw)}`);
    return { state: null, problems, untrusted };
  }
  if (raw.version !== 1) problems.push(`version: expected 1, got ${describe(raw.version)}`);
  let globalInitDone = false;
  if (typeof raw.global_init_done === 'boolean') globalInitDone = raw.global_init_done;
  else if (raw.global_init_done !== undefined)
    problems.push(`global_init_done: expected true or false, got ${describe(raw.global_init_done)}`);
  const state: PersistedConfigState = { version: 1, global_init_done: globalInitDone, services: {} };
  for (const name of services) {
    if (!Object.hasOwn(raw.services, name)) continue; // added to the config since: starts fresh
    const before = problems.length;
    const entry = parseEntry(raw.services[name], `services.${name}`, problems);
    if (entry) state.services[name] = entry;
    if (problems.length === before) untrusted.delete(name);
  }
  return { state, problems, untrusted };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEntry(value: unknown, path: string, problems: string[]): PersistedServiceState | null {
  if (!isObject(value)) {
    problems.push(`${path}: expected an object, got ${describe(value)} (loaded as stopped)`);
    return null;
  }
  const o = value;
  /** The field's value if `ok`, else its default (reported). Absent optional fields are not problems. */
  const field = <T>(key: string, ok: (v: unknown) => v is T, fallback: T, expected: string): T => {
    const v = o[key];
    if (ok(v)) return v;
    problems.push(
      `${path}.${key}: expected ${expected}, got ${describe(v)} (reset to ${describe(fallback)})`,
    );
    return fallback;
  };
  const orNull =
    <T>(ok: (v: unknown) => v is T) =>
    (v: unknown): v is T | null =>
      v === null || ok(v);
  const optional =
    <T>(ok: (v: unknown) => v is T) =>
    (v: unknown): v is T | undefined =>
      v === undefined || ok(v);

  const rawStatus = o.status;
  const statusOk = SERVICE_STATUSES.some((s) => s === rawStatus);
  const pidOk = orNull(isPid)(o.pid);
  const startOk = orNull(isStartTime)(o.start_time);
  // pid and start time are one fact: a pid without its start time cannot be told from a recycled pid.
  let pid = pidOk && startOk ? (o.pid as number | null) : null;
  // No pid and a start time is what the daemon writes once a process ended (the last one's start time
  // stays): nothing to adopt, not a problem. A pid without its start time is one.
  let startTime = pidOk && startOk && pid !== null ? (o.start_time as string | null) : null;
  if (!pidOk || !startOk || (pid !== null && startTime === null)) {
    problems.push(
      `${path}.pid/start_time: expected a pid and its start time (or both null), got ${describe(o.pid)} / ${describe(o.start_time)} (cleared)`,
    );
    pid = null;
    startTime = null;
  }
  let status: ServiceStatus;
  let desired = field('desired', optional(isDesired), undefined, '"run" or "stop"');
  if (statusOk) {
    status = rawStatus as ServiceStatus;
  } else {
    // Unknown: a recorded process is adopted if it still runs (recover checks pid and start time).
    status = pid !== null ? 'running' : 'stopped';
    desired = 'stop';
    problems.push(
      `${path}.status: expected one of ${SERVICE_STATUSES.join(', ')}, got ${describe(rawStatus)} (loaded as ${status})`,
    );
  }
  if (PROCESS_STATUSES.has(status) && pid === null) {
    if (statusOk) problems.push(`${path}.status: ${status} without a pid (loaded as stopped)`);
    status = 'stopped';
    desired = 'stop';
  } else if (PROCESSLESS_STATUSES.has(status) && pid !== null) {
    problems.push(`${path}.pid: ${status} with a pid (cleared)`);
    pid = null;
    startTime = null;
  }
  return {
    status,
    pid,
    start_time: startTime,
    exit_code: field('exit_code', orNull(isExitCode), null, 'an exit code 0-255 or null'),
    signal: field('signal', orNull(isSignalName), null, 'a signal name or null'),
    restarts: field('restarts', isCount, 0, 'a whole number >= 0'),
    health_failures: field('health_failures', isCount, 0, 'a whole number >= 0'),
    health: field('health', orNull(isHealth), null, 'starting, healthy, unhealthy or null'),
    started_at: field('started_at', orNull(isIsoTime), null, 'an ISO time or null'),
    stopped_at: field('stopped_at', orNull(isIsoTime), null, 'an ISO time or null'),
    reason: field(
      'reason',
      orNull(isReason),
      null,
      `a string of at most ${MAX_REASON_CHARS} characters or null`,
    ),
    init_done: field('init_done', isBool, false, 'true or false'),
    desired,
    was_healthy: field('was_healthy', optional(isBool), undefined, 'true or false'),
    resume_at_start: field('resume_at_start', optional(isBool), undefined, 'true or false'),
    spawns: field('spawns', optional(isCount), undefined, 'a whole number >= 0'),
    port: field('port', optional(orNull(isPort)), undefined, 'a port 1-65535 or null'),
    status_since: field('status_since', optional(orNull(isIsoTime)), undefined, 'an ISO time or null'),
    last_exit: field('last_exit', optional(orNull(isExitRecord)), undefined, 'an exit record or null'),
    last_cause: field('last_cause', optional(orNull(isCauseRecord)), undefined, 'a cause record or null'),
    consecutive_crashes: field('consecutive_crashes', optional(isCount), undefined, 'a whole number >= 0'),
    restart_delay_ms: field(
      'restart_delay_ms',
      optional(orNull(isCount)),
      undefined,
      'a delay in ms or null',
    ),
    restart_at: field('restart_at', optional(orNull(isIsoTime)), undefined, 'an ISO time or null'),
  };
}

/** A TCP port. */
function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65_535;
}

/** A safe integer >= 0. */
export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
/** A pid Kepler may have spawned: > 1 (never init) and within Linux's largest pid_max. */
export function isPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 1 && v <= MAX_PID;
}
/** /proc/<pid>/stat field 22: clock ticks since boot, digits only. */
export function isStartTime(v: unknown): v is string {
  return typeof v === 'string' && /^\d{1,20}$/.test(v);
}
function isExitCode(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
}
function isSignalName(v: unknown): v is string {
  return typeof v === 'string' && /^SIG[A-Z0-9+-]{1,12}$/.test(v);
}
function isHealth(v: unknown): v is 'starting' | 'healthy' | 'unhealthy' {
  return v === 'starting' || v === 'healthy' || v === 'unhealthy';
}
/** A time as Kepler writes it (ISO 8601), parseable. */
export function isIsoTime(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 40 && Number.isFinite(Date.parse(v));
}
function isReason(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_REASON_CHARS;
}
/** `{code, signal, at}` as ServiceRuntime records the end of a run. */
function isExitRecord(v: unknown): v is ExitRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    (r.code === null || isExitCode(r.code)) &&
    (r.signal === null || isSignalName(r.signal)) &&
    isIsoTime(r.at)
  );
}
/** `{what, kind, detail, at}` as ServiceTransitions records a restart's or failure's cause. */
function isCauseRecord(v: unknown): v is CauseRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    (r.what === 'restart' || r.what === 'failure') &&
    CAUSE_KINDS.some((k) => k === r.kind) &&
    isReason(r.detail) &&
    isIsoTime(r.at)
  );
}
function isBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}
function isDesired(v: unknown): v is 'run' | 'stop' {
  return v === 'run' || v === 'stop';
}

/** Most problems a `ps` warning lists (daemon.log has them all). */
const MAX_LISTED_PROBLEMS = 3;

/** The one-line warning `ps` shows for a config whose state.json had problems at load. */
export function stateWarning(problems: readonly string[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
  const more =
    problems.length > MAX_LISTED_PROBLEMS
      ? `; ${problems.length - MAX_LISTED_PROBLEMS} more in daemon.log`
      : '';
  return `state.json was invalid when loaded: ${listed}${more}`;
}
