/**
 * The messages of `kepler top` and of the metrics a scrape reads: the services' CPU and memory as the
 * daemon samples them (only while someone asks: see the daemon's metrics/MetricsSampler.ts).
 */

import type { ConfigRef, ServiceInfo } from './messages.js';

/** One service's CPU and memory at the moment of a sample. */
export interface ServiceUsage {
  readonly config: string;
  readonly service: string;
  /**
   * CPU seconds used so far: by everything the service's cgroup ran since its process started (hooks
   * and health checks included), or without cgroups by its live process tree and the children they
   * reaped. Null when nothing runs.
   */
  readonly cpuSeconds: number | null;
  /** Percent of one core since the previous sample (200 = two cores busy); null without a baseline. */
  readonly cpuPercent: number | null;
  /** Resident memory in bytes (cgroup `memory.current` where the controller is on, else summed RSS). */
  readonly memoryBytes: number | null;
  /** Where the numbers were read; null when nothing runs. */
  readonly source: 'cgroup' | 'proc' | null;
}

/** The services of one config (or every loaded config) with their usage, as `top` shows them. */
export interface TopSnapshot {
  /** Milliseconds since the epoch when the usage was read. */
  readonly sampledAt: number;
  readonly services: readonly ServiceInfo[];
  /** One entry per service of `services`, in the same order. */
  readonly usage: readonly ServiceUsage[];
}

/** The requests of this family (merged into `Requests`). */
export interface UsageRequests {
  /**
   * The services with their CPU and memory. `follow`: a `usage` event with a fresh snapshot once a
   * second until the client cancels (the daemon samples only while such a request is open); the
   * response then carries the last snapshot. Without `follow`, one snapshot whose CPU percentages
   * cover about the last second (the daemon may wait a second for a baseline).
   */
  top: { type: 'top'; config?: ConfigRef; all?: boolean; follow?: boolean };
  /** Every loaded config's services in the Prometheus text exposition format (version 0.0.4). */
  metrics: { type: 'metrics' };
}

/** The results of this family (merged into `ResultOf`). */
export interface UsageResults {
  /** `loaded: false`: a config the daemon has not loaded; it stays unloaded (absent means true). */
  top: TopSnapshot & { readonly loaded?: boolean };
  metrics: { readonly contentType: string; readonly text: string };
}

/**
 * `top --follow`'s refresh. Only a client that sent `top` with `follow` receives it, and an older
 * daemon answers `top` with BAD_REQUEST, so it needs no protocol bump (as `plan`).
 */
export type UsageEvent = { type: 'usage'; snapshot: TopSnapshot };
