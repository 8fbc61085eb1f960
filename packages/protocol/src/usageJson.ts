/**
 * The JSON shapes users see of `top` and `inspect` (as jsonShapes.ts for `ps` and `logs`): `kepler top
 * --json` and `kepler inspect --json` print them, and the daemon's HTTP API answers with them.
 */

import type {
  CauseRecord,
  DependencyEdge,
  ExitRecord,
  HealthResult,
  InspectResult,
} from './inspectMessages.js';
import { type LogLineJson, logLineToJson, type ServiceJson, serviceToJson } from './jsonShapes.js';
import type { TopSnapshot } from './usageMessages.js';

/** One service of `top --json`: its `ps --json` object and its usage. */
export interface TopServiceJson extends ServiceJson {
  /** Percent of one core over about the last second; null without a rate. */
  readonly cpu_percent: number | null;
  /** CPU seconds used so far (what counts depends on `usage_source`). */
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

/** `inspect --json`'s object. */
export interface InspectJson {
  readonly service: ServiceJson;
  /** As the daemon sends them: already in the config file's vocabulary (`stop_grace_period: 10s`). */
  readonly settings: InspectResult['settings'];
  readonly status_since: string | null;
  readonly last_exit: ExitRecord | null;
  readonly last_cause: CauseRecord | null;
  readonly backoff: {
    readonly consecutive_crashes: number;
    readonly delay_ms: number | null;
    readonly restart_at: string | null;
  };
  readonly health: readonly HealthResult[];
  readonly dependencies: readonly DependencyEdge[];
  readonly logs: LogLineJson[];
}

/** Maps an inspect result to its JSON object (snake_case, as `ps --json`). */
export function inspectToJson(r: InspectResult): InspectJson {
  return {
    service: serviceToJson(r.info),
    settings: r.settings,
    status_since: r.statusSince,
    last_exit: r.lastExit,
    last_cause: r.lastCause,
    backoff: {
      consecutive_crashes: r.backoff.consecutiveCrashes,
      delay_ms: r.backoff.delayMs,
      restart_at: r.backoff.restartAt,
    },
    health: r.health,
    dependencies: r.dependencies,
    logs: r.logs.map(logLineToJson),
  };
}
