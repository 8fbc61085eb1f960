import type { LogLine, ServiceInfo, ServiceStatus } from './messages.js';

/**
 * The JSON shapes users see of wire values: `kepler ps --json` and `kepler logs --json` print them, and
 * the daemon's HTTP API answers with them, so a script reads the same object from either.
 */

/** The `ps --json` object of a service: every ServiceInfo field, in snake_case. */
export interface ServiceJson {
  readonly config: string;
  readonly name: string;
  readonly status: ServiceStatus;
  readonly pid: number | null;
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly restarts: number;
  readonly started_at: string | null;
  readonly stopped_at: string | null;
  readonly health: ServiceInfo['health'];
  readonly health_failures: number;
  readonly last_health_output: string | null;
  readonly reason: string | null;
  /** Lines of its output the log files could not take since the daemon started (0: none). */
  readonly logs_not_stored: number;
  /** Soft dependencies whose condition does not hold while it runs (empty: none). */
  readonly unmet_dependencies: readonly { readonly service: string; readonly reason: string }[];
  /** The port given at its last start; absent when it has none. */
  readonly port?: number;
  /** Its hostname's URL through the daemon's reverse proxy; absent when it has none. */
  readonly url?: string;
}

/** Maps a wire ServiceInfo to its `--json` object. */
export function serviceToJson(s: ServiceInfo): ServiceJson {
  return {
    config: s.config,
    name: s.name,
    status: s.status,
    pid: s.pid,
    exit_code: s.exitCode,
    signal: s.signal,
    restarts: s.restarts,
    started_at: s.startedAt,
    stopped_at: s.stoppedAt,
    health: s.health,
    health_failures: s.healthFailures,
    last_health_output: s.lastHealthOutput,
    reason: s.reason,
    logs_not_stored: s.logsNotStored ?? 0,
    unmet_dependencies: (s.unmetDependencies ?? []).map((u) => ({ service: u.service, reason: u.reason })),
    ...(s.port !== undefined ? { port: s.port } : {}),
    ...(s.url !== undefined ? { url: s.url } : {}),
  };
}

/** The `--json` object of a log line; `hook` only when the line came from a hook. */
export interface LogLineJson {
  readonly ts: string;
  readonly service: string;
  readonly hook?: string;
  readonly stream: 'stdout' | 'stderr';
  /** UTF-8 decoding of the bytes; invalid sequences become U+FFFD. */
  readonly line: string;
}

/** A row of `ps --json` (and `GET /api/v1/services`): the service's object and its config's staleness. */
export type PsRowJson = ServiceJson & { readonly stale: boolean };

/** `ps --json`'s rows; `stale`: the paths of the configs whose snapshot is stale (ps's result). */
export function psRowsToJson(services: readonly ServiceInfo[], stale: readonly string[] = []): PsRowJson[] {
  const staleSet = new Set(stale);
  return services.map((s) => ({ ...serviceToJson(s), stale: staleSet.has(s.config) }));
}

/** Maps a wire line to its `--json` object (ISO-8601 UTC `ts`). */
export function logLineToJson(line: LogLine): LogLineJson {
  const text = Buffer.from(line.line.buffer, line.line.byteOffset, line.line.byteLength).toString('utf8');
  return {
    ts: new Date(line.ts).toISOString(),
    service: line.service,
    ...(line.hook === null ? {} : { hook: line.hook }),
    stream: line.stream,
    line: text,
  };
}
