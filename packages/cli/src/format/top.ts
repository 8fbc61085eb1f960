import { ACTIVE_STATUSES, type ServiceUsage, type TopSnapshot } from '@kepler/protocol';
import { paint } from './color.js';
import { formatBytes } from './duration.js';
import { type ServiceJson, serviceToJson, shortenPath, statusColor, statusLabel } from './services.js';
import { renderTable } from './table.js';

/** What the top table needs besides the snapshot. */
export interface TopTableOptions {
  /** Add a CONFIG column first (`top --all`). */
  readonly showConfig: boolean;
  readonly cwd: string;
  readonly home: string | undefined;
  readonly color: boolean;
}

/** CPU% with one decimal; `-` without a rate (first sample, nothing running). */
export function formatCpuPercent(percent: number | null): string {
  return percent === null ? '-' : `${percent.toFixed(1)}%`;
}

/**
 * The `kepler top` table: SERVICE STATUS CPU% MEMORY PID RESTARTS (CONFIG first for `--all`). CPU% is
 * of one core since the previous sample (200% = two cores busy).
 */
export function renderTopTable(snapshot: TopSnapshot, options: TopTableOptions): string {
  const headers = ['SERVICE', 'STATUS', 'CPU%', 'MEMORY', 'PID', 'RESTARTS'];
  const rows = snapshot.services.map((s, i) => {
    const u: ServiceUsage | undefined = snapshot.usage[i];
    const live = ACTIVE_STATUSES.has(s.status);
    const row = [
      s.name,
      paint(statusLabel(s), statusColor(s.status), options.color),
      live ? formatCpuPercent(u?.cpuPercent ?? null) : '-',
      live && u?.memoryBytes != null ? formatBytes(u.memoryBytes) : '-',
      live && s.pid !== null ? String(s.pid) : '-',
      String(s.restarts),
    ];
    return options.showConfig ? [shortenPath(s.config, options.cwd, options.home), ...row] : row;
  });
  return renderTable(options.showConfig ? ['CONFIG', ...headers] : headers, rows);
}

/** One service of `top --json`: its `ps --json` object and its usage. */
export interface TopServiceJson extends ServiceJson {
  /** Percent of one core over about the last second; null without a rate. */
  readonly cpu_percent: number | null;
  /** CPU seconds used so far (see the README: what counts depends on `usage_source`). */
  readonly cpu_seconds: number | null;
  readonly memory_bytes: number | null;
  /** `cgroup` or `proc` (the process tree); null when nothing runs. */
  readonly usage_source: 'cgroup' | 'proc' | null;
}

/** Maps a snapshot to `top --json`'s array. */
export function topToJson(snapshot: TopSnapshot): TopServiceJson[] {
  return snapshot.services.map((s, i) => {
    const u = snapshot.usage[i];
    return {
      ...serviceToJson(s),
      cpu_percent: u?.cpuPercent ?? null,
      cpu_seconds: u?.cpuSeconds ?? null,
      memory_bytes: u?.memoryBytes ?? null,
      usage_source: u?.source ?? null,
    };
  });
}
