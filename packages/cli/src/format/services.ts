import { isAbsolute, relative, sep } from 'node:path';
import { ACTIVE_STATUSES, type ServiceInfo, type ServiceStatus } from '@kepler/protocol';
import { paint, SGR } from './color.js';
import { formatSince } from './duration.js';
import { renderTable } from './table.js';

/** SGR colour of each status in tables and progress (green: fine, yellow: in between, red: broken). */
export function statusColor(status: ServiceStatus): number {
  switch (status) {
    case 'running':
    case 'healthy':
    case 'exited':
      return SGR.green;
    case 'failed':
    case 'unhealthy':
      return SGR.red;
    case 'stopped':
      return SGR.dim;
    default:
      return SGR.yellow;
  }
}

/** Longest reason shown in the STATUS cell; the whole one is in `ps --json`. */
export const STATUS_REASON_MAX_CHARS = 40;

/**
 * The STATUS cell: the status word, and for `failed` the reason in parentheses (`failed (exit 1)`,
 * `failed (SIGKILL)`); the daemon's reason wins over what the CLI derives from the exit code or signal.
 * A long reason is cut (with `…`) so one failure does not widen the whole table.
 */
export function statusLabel(info: ServiceInfo): string {
  if (info.status !== 'failed') return info.status;
  const reason = info.reason ?? info.signal ?? (info.exitCode !== null ? `exit ${info.exitCode}` : null);
  if (reason === null) return 'failed';
  const short =
    reason.length > STATUS_REASON_MAX_CHARS ? `${reason.slice(0, STATUS_REASON_MAX_CHARS - 1)}…` : reason;
  return `failed (${short})`;
}

/**
 * A config path as short as it can be said: relative to `cwd` when the file is inside it, else with
 * the home directory as `~`, else absolute.
 */
export function shortenPath(path: string, cwd: string, home: string | undefined): string {
  const rel = relative(cwd, path);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel;
  if (home && home !== sep && (path === home || path.startsWith(home + sep))) {
    return `~${path.slice(home.length)}`;
  }
  return path;
}

/** What the ps table needs besides the services. */
export interface PsTableOptions {
  /** Add a CONFIG column first (`ps --all`). */
  readonly showConfig: boolean;
  readonly cwd: string;
  readonly home: string | undefined;
  readonly nowMs: number;
  readonly color: boolean;
}

/**
 * The `kepler ps` table: NAME STATUS PID UPTIME RESTARTS HEALTH, with CONFIG first for `--all`. PID,
 * UPTIME and HEALTH show `-` unless a process is live (`--json` keeps the last known values). Below
 * it, one note per waiting service saying what it waits for (too long for the STATUS cell), one per
 * service whose log files could not take every line (a full disk), and one per unmet soft dependency.
 */
export function renderPsTable(services: readonly ServiceInfo[], options: PsTableOptions): string {
  const headers = ['NAME', 'STATUS', 'PID', 'UPTIME', 'RESTARTS', 'HEALTH'];
  // PORTS only when some service has a port (or a proxy URL): tables of other configs stay as they were.
  const showPorts = services.some((s) => s.port !== undefined || s.url !== undefined);
  if (showPorts) headers.push('PORTS');
  const rows = services.map((s) => {
    // `starting` without a pid (pre_start, or requeued after a daemon restart) has no process yet:
    // its startedAt and health are the last run's.
    const live = ACTIVE_STATUSES.has(s.status) && s.pid !== null;
    const row = [
      s.name,
      paint(statusLabel(s), statusColor(s.status), options.color),
      live ? String(s.pid) : '-',
      (live ? formatSince(s.startedAt, options.nowMs) : null) ?? '-',
      String(s.restarts),
      // A health verdict describes a live process; the last one of a stopped service is history.
      (live ? s.health : null) ?? '-',
    ];
    if (showPorts) row.push(portsCell(s));
    return options.showConfig ? [shortenPath(s.config, options.cwd, options.home), ...row] : row;
  });
  const table = renderTable(options.showConfig ? ['CONFIG', ...headers] : headers, rows);
  const waits = services
    .filter((s) => s.status === 'waiting' && s.reason !== null)
    .map((s) => `${s.name}: ${s.reason}\n`);
  const notes = services
    .filter((s) => (s.logsNotStored ?? 0) > 0)
    .map((s) => `${s.name}: ${s.logsNotStored} log lines not stored (see the daemon's log)\n`);
  return table + waits.join('') + notes.join('') + unmetDependencyNotes(services);
}

/** The PORTS cell: `8080`, `8080 http://web.localhost:7380`, or `-`. */
export function portsCell(s: ServiceInfo): string {
  const parts = [s.port === undefined ? null : String(s.port), s.url ?? null].filter((p) => p !== null);
  return parts.length > 0 ? parts.join(' ') : '-';
}

/** One line per unmet soft dependency of a launched service: `web: without soft dependency db: <why>`. */
function unmetDependencyNotes(services: readonly ServiceInfo[]): string {
  return services
    .flatMap((s) =>
      (s.unmetDependencies ?? []).map(
        (u) => `${s.name}: without soft dependency ${u.service}: ${u.reason}\n`,
      ),
    )
    .join('');
}

/** `ps --json`'s object: defined in @kepler/protocol, which the daemon's HTTP API answers with too. */
export type { ServiceJson } from '@kepler/protocol';
export { serviceToJson } from '@kepler/protocol';
