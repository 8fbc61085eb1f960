/**
 * The messages of `kepler inspect`: one service's post-mortem (what it runs, how its last run ended,
 * why it last restarted or failed, its backoff, health results, dependency edges and last lines).
 */

import type { ConfigRef, LogLine, ServiceInfo } from './messages.js';

/** How a run of the service ended. */
export interface ExitRecord {
  /** Exit code; null when a signal ended it, or when the exit status is unknown (an adopted process). */
  readonly code: number | null;
  /** Signal name that ended it, e.g. `SIGKILL`. */
  readonly signal: string | null;
  /** ISO-8601 time the daemon saw the end. */
  readonly at: string;
}

/**
 * What made the service restart or fail. `crash`: its process ended with a failure (`exit`: ended
 * cleanly and `restart: always` restarted it). `watch`: a watched file changed. `dependency`: a
 * dependency restarted (an edge with `restart: true`) or can never be satisfied. `hook`: a hook failed.
 * `health`: its health check failed. `user`: a restart asked for by a client. `spawn`: its command
 * could not be started.
 */
export type CauseKind = 'crash' | 'exit' | 'watch' | 'dependency' | 'hook' | 'health' | 'user' | 'spawn';

export const CAUSE_KINDS: readonly CauseKind[] = [
  'crash',
  'exit',
  'watch',
  'dependency',
  'hook',
  'health',
  'user',
  'spawn',
];

/** Why the service last restarted (`restart`) or failed (`failure`). */
export interface CauseRecord {
  readonly what: 'restart' | 'failure';
  readonly kind: CauseKind;
  /** One line in the daemon's words: `exited with code 1`, `src/app.js changed`, `db restarts`. */
  readonly detail: string;
  /** ISO-8601 time. */
  readonly at: string;
}

/** One health check result. */
export interface HealthResult {
  /** ISO-8601 time the probe finished. */
  readonly at: string;
  readonly ok: boolean;
  /** The probe's output (the last ~4 KiB). */
  readonly output: string;
}

/** One `depends_on` edge of the service and whether it holds now. */
export interface DependencyEdge {
  readonly service: string;
  /** `service_started`, `service_healthy`, ... */
  readonly condition: string;
  readonly verdict: 'satisfied' | 'pending' | 'impossible';
  /** Why, in a short sentence: `db is healthy`, `waiting for db to be healthy`. */
  readonly reason: string;
  /** The dependent restarts when this dependency restarts. */
  readonly restart: boolean;
}

/** Automatic restarts in a row and the wait before the next one. */
export interface BackoffState {
  /** Automatic restarts in a row within `reset_after` (0 after a run that outlasted it). */
  readonly consecutiveCrashes: number;
  /** The wait before the pending automatic restart, ms; null when none is pending. */
  readonly delayMs: number | null;
  /** ISO-8601 time the pending restart is due; null when none is pending. */
  readonly restartAt: string | null;
}

/** The result of `inspect`. */
export interface InspectResult {
  readonly info: ServiceInfo;
  /**
   * The service's baked settings in the config file's vocabulary: its keys as kepler.yaml spells them
   * (`stop_grace_period`, `depends_on`, `healthcheck.start_timeout`), durations and sizes in the
   * file's units (`10s`, `50MB`), every default applied, absent values left out, and the environment
   * whole. What `kepler config` prints for the service, less its name.
   */
  readonly settings: { readonly [key: string]: unknown };
  /** ISO-8601 time of the last status change; null when never recorded. */
  readonly statusSince: string | null;
  readonly lastExit: ExitRecord | null;
  readonly lastCause: CauseRecord | null;
  readonly backoff: BackoffState;
  /** The last health results, oldest first (empty without a health check). */
  readonly health: readonly HealthResult[];
  readonly dependencies: readonly DependencyEdge[];
  /** The service's last log lines (its hooks' included), oldest first. */
  readonly logs: readonly LogLine[];
}

/** The requests of this family (merged into `Requests`). */
export interface InspectRequests {
  /**
   * One service's post-mortem; `lines`: how many last log lines (default 20). A config the daemon has
   * not loaded is not loaded: CONFIG_NOT_LOADED.
   */
  inspect: { type: 'inspect'; config: ConfigRef; service: string; lines?: number };
}

/** The results of this family (merged into `ResultOf`). */
export interface InspectResults {
  inspect: InspectResult;
}
