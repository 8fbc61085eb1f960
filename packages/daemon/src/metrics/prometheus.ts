/**
 * The Prometheus text exposition format (version 0.0.4) of the services' state and usage: one family
 * per metric with its HELP and TYPE lines, every sample labelled with its `config` (the config file's
 * path) and `service`. Pure: the caller gathers the rows.
 */

import { type ServiceInfo, type ServiceUsage, STARTED_STATUSES } from '@kepler/protocol';

/** The Content-Type of what renderPrometheus returns. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One service: what `ps` shows of it, and its usage (null: nothing runs or it was not read). */
export interface MetricRow {
  readonly info: ServiceInfo;
  readonly usage: ServiceUsage | null;
}

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  /** The sample's value; null leaves the service out of this family. */
  value(row: MetricRow, nowMs: number): number | null;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'kepler_service_up',
    type: 'gauge',
    help: 'Whether the service is started (running, healthy or unhealthy): 1, else 0.',
    value: (r) => (STARTED_STATUSES.has(r.info.status) ? 1 : 0),
  },
  {
    name: 'kepler_service_restarts_total',
    type: 'counter',
    help: 'Restarts of the service (automatic and requested) recorded by the daemon.',
    value: (r) => r.info.restarts,
  },
  {
    name: 'kepler_service_cpu_seconds_total',
    type: 'counter',
    help: "CPU time used by the service's processes (its cgroup, else its live process tree), seconds.",
    value: (r) => r.usage?.cpuSeconds ?? null,
  },
  {
    name: 'kepler_service_memory_bytes',
    type: 'gauge',
    help: "Resident memory of the service's processes, bytes.",
    value: (r) => r.usage?.memoryBytes ?? null,
  },
  {
    name: 'kepler_service_healthy',
    type: 'gauge',
    help: 'Whether the service passes its health check: 1, else 0 (absent without a health check).',
    value: (r) => (r.info.health === null ? null : r.info.health === 'healthy' ? 1 : 0),
  },
  {
    name: 'kepler_service_uptime_seconds',
    type: 'gauge',
    help: 'Seconds since the service started, 0 while it is not started.',
    value: (r, nowMs) => {
      if (!STARTED_STATUSES.has(r.info.status) || r.info.startedAt === null) return 0;
      const started = Date.parse(r.info.startedAt);
      return Number.isFinite(started) ? Math.max(0, (nowMs - started) / 1000) : 0;
    },
  },
];

/** A label value: backslash, double quote and newline escaped, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A HELP text: backslash and newline escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** The whole exposition for `rows`, every family in a fixed order, ending with a newline. */
export function renderPrometheus(rows: readonly MetricRow[], nowMs: number): string {
  const out: string[] = [];
  for (const f of FAMILIES) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const row of rows) {
      const v = f.value(row, nowMs);
      if (v === null) continue;
      const labels = `config="${escapeLabelValue(row.info.config)}",service="${escapeLabelValue(row.info.name)}"`;
      out.push(`${f.name}{${labels}} ${formatValue(v)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
