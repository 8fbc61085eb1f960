import type { CauseRecord, ExitRecord, InspectResult } from '@kepler/protocol';
import { paint, SGR } from './color.js';
import { formatDuration, formatSince } from './duration.js';
import { statusColor, statusLabel } from './services.js';
import { renderTable } from './table.js';

/** A time as `2024-01-01 12:00:00 (3m 2s ago)`; `-` when unknown. */
export function formatWhen(iso: string | null, nowMs: number): string {
  if (iso === null) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  const local = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${local} (${formatSince(iso, nowMs)} ago)`;
}

/** `exit code 3` / `killed by SIGKILL` / `exit status unknown`. */
export function describeExitRecord(exit: ExitRecord): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  // Only a process adopted after a daemon restart ends without one: it is not the daemon's child.
  return 'exit status unknown (adopted after a daemon restart)';
}

/** `restart (crash): exited with code 1` / `failure (hook): pre_start failed ...`. */
export function describeCause(cause: CauseRecord): string {
  return `${cause.what} (${cause.kind}): ${cause.detail}`;
}

/**
 * `port 8080, hostname app.local` from a daemon whose snapshot has the network keys (`port`: a number
 * or `auto`, `hostname`); null when the service has neither. With the service's info, the port it was
 * given (`port 41234 (auto)`) and its URL through the proxy (`http://app.localhost:7380`).
 */
export function networkLine(
  settings: InspectResult['settings'],
  info?: Pick<InspectResult['info'], 'port' | 'url'>,
): string | null {
  const parts: string[] = [];
  if (info?.port !== undefined && settings.port === 'auto') parts.push(`port ${info.port} (auto)`);
  else if (settings.port !== undefined) parts.push(`port ${settingValue(settings.port)}`);
  if (settings.hostname !== undefined) {
    parts.push(`hostname ${settingValue(settings.hostname)}${info?.url ? ` (${info.url})` : ''}`);
  }
  return parts.length > 0 ? parts.join(', ') : null;
}

/** A settings value on one line: strings as they are, argv joined, the rest as compact JSON. */
function settingValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  return JSON.stringify(value) ?? String(value);
}

/**
 * The settings section: each top-level setting on one line, as the daemon sends them (named and valued
 * as the config file writes them: `stop_grace_period  10s`), but the environment, which is only
 * counted (`--json` has it whole).
 */
function settingsLines(settings: InspectResult['settings']): string[][] {
  return Object.entries(settings).map(([key, value]) => {
    if (key === 'environment' && typeof value === 'object' && value !== null) {
      return [key, `${Object.keys(value).length} variables (see --json)`];
    }
    return [key, settingValue(value)];
  });
}

/** Rows in aligned columns, without a header. */
function aligned(rows: readonly (readonly string[])[]): string {
  const [first, ...rest] = rows;
  return first === undefined ? '' : renderTable(first, rest);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** What `inspect` prints without --json (the log lines follow, printed by the command). */
export function renderInspect(r: InspectResult, nowMs: number, color: boolean): string {
  const i = r.info;
  const heading = (text: string) => paint(text, SGR.bold, color);
  const b = r.backoff;
  const backoff =
    b.delayMs !== null
      ? `next restart in ${formatDuration(Math.max(0, Date.parse(b.restartAt ?? '') - nowMs))} (a ${formatDuration(b.delayMs)} wait; ${b.consecutiveCrashes} in a row)`
      : `${b.consecutiveCrashes} automatic restart${b.consecutiveCrashes === 1 ? '' : 's'} in a row; none pending`;
  const summary: string[][] = [
    [
      'status',
      `${paint(statusLabel(i), statusColor(i.status), color)} since ${formatWhen(r.statusSince, nowMs)}`,
    ],
    ['pid', i.pid === null ? '-' : String(i.pid)],
    ['started', formatWhen(i.startedAt, nowMs)],
    [
      'last exit',
      r.lastExit ? `${describeExitRecord(r.lastExit)} at ${formatWhen(r.lastExit.at, nowMs)}` : '-',
    ],
    [
      'last cause',
      r.lastCause ? `${describeCause(r.lastCause)} at ${formatWhen(r.lastCause.at, nowMs)}` : '-',
    ],
    ['restarts', `${i.restarts}; ${backoff}`],
    ['health', i.health === null ? '-' : `${i.health} (${i.healthFailures} failing in a row)`],
  ];
  if (i.reason !== null) summary.splice(1, 0, ['reason', i.reason]);
  const network = networkLine(r.settings, r.info);
  if (network !== null) summary.push(['network', network]);
  const parts = [`${heading(i.name)} (${i.config})`, indent(aligned(summary))];
  parts.push(heading('Settings'), indent(aligned(settingsLines(r.settings))));
  if (r.health.length > 0) {
    parts.push(heading(`Health checks (last ${r.health.length})`));
    const rows = r.health.map((h) => [
      formatWhen(h.at, nowMs),
      h.ok ? 'ok' : 'failed',
      h.output.trim().split('\n').at(-1) ?? '',
    ]);
    parts.push(indent(aligned(rows)));
  }
  if (r.dependencies.length > 0) {
    parts.push(heading('Dependencies'));
    const rows = r.dependencies.map((d) => [
      d.service,
      d.condition,
      d.verdict,
      d.reason,
      d.restart ? 'restart: true' : '',
    ]);
    parts.push(indent(aligned(rows)));
  }
  parts.push(heading(`Last ${r.logs.length} log line${r.logs.length === 1 ? '' : 's'}`));
  return `${parts.join('\n')}\n`;
}

export type { InspectJson } from '@kepler/protocol';
/** `inspect --json` (the HTTP API's `/api/v1/inspect` answers the same). */
export { inspectToJson } from '@kepler/protocol';
