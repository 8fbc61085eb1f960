import type {
  BackoffState,
  CauseRecord,
  ExitRecord,
  HealthResult,
  ServiceInfo,
  ServiceStatus,
  UnmetDependency,
} from '@kepler/protocol';

/**
 * Three shapes of a service's state, with explicit mappers: `ServiceState` lives in memory,
 * `PersistedServiceState` goes to state.json, `ServiceInfo` goes on the wire.
 */
export interface ServiceState {
  status: ServiceStatus;
  pid: number | null;
  /** /proc start time of `pid`, checked before adopting or signalling it after a daemon restart. */
  startTime: string | null;
  exitCode: number | null;
  signal: string | null;
  /** Restarts of any cause (policy, user, watch, health, a `restart: true` dependency): ps's RESTARTS. */
  restarts: number;
  healthFailures: number;
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  lastHealthOutput: string | null;
  startedAt: string | null;
  stoppedAt: string | null;
  reason: string | null;
  /** on_init ran for this service (remembered across daemon restarts). */
  initDone: boolean;
  /** The service was healthy at least once since it started (for `service_unhealthy`). */
  wasHealthy: boolean;
  /** Processes spawned for the service so far: orders SpawnJournal records against this state. */
  spawns: number;
  /** The TCP port given at its last start (PORT in its environment; `auto` keeps it); null: none. */
  port: number | null;
  /** ISO time of the last status change (set by transition()). */
  statusSince: string | null;
  /** How the last run ended (kept through later launches, unlike exitCode and signal). */
  lastExit: ExitRecord | null;
  /** Why the service last restarted or failed (recorded by the transition it caused). */
  lastCause: CauseRecord | null;
  /** The last HEALTH_HISTORY health results, oldest first. Memory only: checks resume after a restart. */
  healthResults: readonly HealthResult[];
  /** Automatic restarts in a row (what `max_retries` and the backoff read); a user start or restart resets it. */
  consecutiveCrashes: number;
  /**
   * The automatic restart a `restarting` service waits for: its backoff and the wall-clock time it is
   * due (null otherwise: transition() clears it on leaving `restarting`). Persisted, so a daemon
   * restarted meanwhile waits out the rest.
   */
  pendingRestart: PendingRestart | null;
  /**
   * The daemon's shutdown stopped it while it was wanted and its restart policy is `always`: the next
   * daemon starts it again (docker's rule). Set by that stop alone; a user's start or stop, or the next
   * daemon's recovery, clears it.
   */
  resumeAtStart: boolean;
}

/** A backoff wait: how long it is, and when it ends (ISO time). */
export interface PendingRestart {
  readonly delayMs: number;
  readonly restartAt: string;
}

/** What `inspect` shows of the restart counter and the pending restart. */
export function backoffOf(s: Pick<ServiceState, 'consecutiveCrashes' | 'pendingRestart'>): BackoffState {
  return {
    consecutiveCrashes: s.consecutiveCrashes,
    delayMs: s.pendingRestart?.delayMs ?? null,
    restartAt: s.pendingRestart?.restartAt ?? null,
  };
}

/** How many health results a service keeps for `inspect`. */
export const HEALTH_HISTORY = 5;

/** What the end of a run changes: no pid, its exit code or signal, when, and the last exit record. */
export function exitPatch(
  exit: { code: number | null; signal: string | null },
  stoppedAt: string,
): Pick<ServiceState, 'pid' | 'exitCode' | 'signal' | 'stoppedAt' | 'lastExit'> {
  const { code, signal } = exit;
  return { pid: null, exitCode: code, signal, stoppedAt, lastExit: { code, signal, at: stoppedAt } };
}

/** `results` with `r` appended, the oldest dropped past HEALTH_HISTORY. */
export function withHealthResult(
  results: readonly HealthResult[],
  r: { ok: boolean; output: string },
): HealthResult[] {
  return [...results.slice(1 - HEALTH_HISTORY), { at: new Date().toISOString(), ok: r.ok, output: r.output }];
}

/** `2 health checks failed: <the last line of the last output>`: why a service turned unhealthy. */
export function unhealthyDetail(s: Pick<ServiceState, 'healthFailures' | 'lastHealthOutput'>): string {
  const line = s.lastHealthOutput?.trim().split('\n').at(-1) ?? '';
  const failed = `${s.healthFailures} health check${s.healthFailures === 1 ? '' : 's'} failed`;
  return line === '' ? failed : `${failed}: ${line}`;
}

export interface PersistedServiceState {
  status: ServiceStatus;
  pid: number | null;
  start_time: string | null;
  exit_code: number | null;
  signal: string | null;
  restarts: number;
  health_failures: number;
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  started_at: string | null;
  stopped_at: string | null;
  reason: string | null;
  init_done: boolean;
  /** What the user asked for last (`run` while waiting, restarting or mid-restart). */
  desired?: 'run' | 'stop';
  was_healthy?: boolean;
  spawns?: number;
  port?: number | null;
  status_since?: string | null;
  last_exit?: ExitRecord | null;
  last_cause?: CauseRecord | null;
  /** Automatic restarts in a row (absent in older files: 0). */
  consecutive_crashes?: number;
  /** A pending automatic restart's backoff, ms, and when it is due (both or neither; absent: none). */
  restart_delay_ms?: number | null;
  restart_at?: string | null;
  /** Stopped by the daemon's shutdown, to be started again by the next daemon (absent: false). */
  resume_at_start?: boolean;
}

export interface PersistedConfigState {
  version: 1;
  global_init_done: boolean;
  services: Record<string, PersistedServiceState>;
}

export function initialServiceState(): ServiceState {
  return {
    status: 'stopped',
    pid: null,
    startTime: null,
    exitCode: null,
    signal: null,
    restarts: 0,
    healthFailures: 0,
    health: null,
    lastHealthOutput: null,
    startedAt: null,
    stoppedAt: null,
    reason: null,
    initDone: false,
    wasHealthy: false,
    spawns: 0,
    port: null,
    statusSince: null,
    lastExit: null,
    lastCause: null,
    healthResults: [],
    consecutiveCrashes: 0,
    pendingRestart: null,
    resumeAtStart: false,
  };
}

export function toPersisted(s: ServiceState, desired: 'run' | 'stop'): PersistedServiceState {
  return {
    status: s.status,
    pid: s.pid,
    start_time: s.startTime,
    exit_code: s.exitCode,
    signal: s.signal,
    restarts: s.restarts,
    health_failures: s.healthFailures,
    health: s.health,
    started_at: s.startedAt,
    stopped_at: s.stoppedAt,
    reason: s.reason,
    init_done: s.initDone,
    desired,
    was_healthy: s.wasHealthy,
    spawns: s.spawns,
    ...(s.port !== null ? { port: s.port } : {}),
    status_since: s.statusSince,
    last_exit: s.lastExit,
    last_cause: s.lastCause,
    consecutive_crashes: s.consecutiveCrashes,
    restart_delay_ms: s.pendingRestart?.delayMs ?? null,
    restart_at: s.pendingRestart?.restartAt ?? null,
    ...(s.resumeAtStart ? { resume_at_start: true } : {}),
  };
}

export function fromPersisted(p: Partial<PersistedServiceState>): ServiceState {
  return {
    ...initialServiceState(),
    status: p.status ?? 'stopped',
    pid: p.pid ?? null,
    startTime: p.start_time ?? null,
    exitCode: p.exit_code ?? null,
    signal: p.signal ?? null,
    restarts: p.restarts ?? 0,
    healthFailures: p.health_failures ?? 0,
    health: p.health ?? null,
    startedAt: p.started_at ?? null,
    stoppedAt: p.stopped_at ?? null,
    reason: p.reason ?? null,
    initDone: p.init_done ?? false,
    wasHealthy: p.was_healthy ?? false,
    spawns: p.spawns ?? 0,
    port: p.port ?? null,
    statusSince: p.status_since ?? null,
    lastExit: p.last_exit ?? null,
    lastCause: p.last_cause ?? null,
    consecutiveCrashes: p.consecutive_crashes ?? 0,
    // Only a service waiting out a backoff has one pending.
    pendingRestart:
      p.status === 'restarting' && typeof p.restart_delay_ms === 'number' && typeof p.restart_at === 'string'
        ? { delayMs: p.restart_delay_ms, restartAt: p.restart_at }
        : null,
    resumeAtStart: p.resume_at_start === true,
  };
}

/** What `ps` shows of a service's network: its port, and the proxy's URL of its hostname. */
export interface NetworkInfo {
  readonly port?: number;
  readonly url?: string;
}

/**
 * `logsNotStored`: lines of the service's output its log files could not take (left out when 0);
 * `unmet`: its soft dependencies whose condition does not hold (left out when none);
 * `network`: its port and URL (left out when it has none).
 */
export function toServiceInfo(
  config: string,
  name: string,
  s: ServiceState,
  logsNotStored = 0,
  unmet: readonly UnmetDependency[] = [],
  network: NetworkInfo = {},
): ServiceInfo {
  return {
    config,
    name,
    status: s.status,
    pid: s.pid,
    exitCode: s.exitCode,
    signal: s.signal,
    restarts: s.restarts,
    startedAt: s.startedAt,
    stoppedAt: s.stoppedAt,
    health: s.health,
    healthFailures: s.healthFailures,
    lastHealthOutput: s.lastHealthOutput,
    reason: s.reason,
    ...(logsNotStored > 0 ? { logsNotStored } : {}),
    ...(unmet.length > 0 ? { unmetDependencies: unmet } : {}),
    ...(network.port !== undefined ? { port: network.port } : {}),
    ...(network.url !== undefined ? { url: network.url } : {}),
  };
}
