import { ACTIVE_STATUSES, type ServiceUsage, type TopSnapshot } from '@kepler/protocol';
import { paint } from './color.js';
import { formatBytes } from './duration.js';
import { shortenPath, statusColor, statusLabel } from './services.js';
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

export type { TopServiceJson } from '@kepler/protocol';
/** Maps a snapshot to `top --json`'s array (the HTTP API's `/api/v1/top` answers the same). */
export { topToJson } from '@kepler/protocol';
