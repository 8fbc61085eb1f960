/**
 * Named sets of service statuses, defined once for the daemon and the CLI. Each says what a status
 * implies about the service's process and its future; code asks the set, never lists statuses itself.
 * The transition table that moves a service between statuses lives in the daemon (service/lifecycle.ts).
 */

import type { ServiceStatus } from './messages.js';

/** A process exists or is about to (`starting`): a stop must act on it, and a pid and uptime mean something. */
export const ACTIVE_STATUSES: ReadonlySet<ServiceStatus> = new Set([
  'starting',
  'running',
  'healthy',
  'unhealthy',
  'stopping',
]);

/**
 * Something runs or will without a user acting: active, waiting on dependencies, or between automatic
 * restarts. Exactly the statuses that are not terminal.
 */
export const PENDING_OR_ACTIVE_STATUSES: ReadonlySet<ServiceStatus> = new Set([
  ...ACTIVE_STATUSES,
  'waiting',
  'restarting',
]);

/** Nothing runs and nothing will until something starts the service again (quiescence for foreground mode). */
export const TERMINAL_STATUSES: ReadonlySet<ServiceStatus> = new Set(['stopped', 'exited', 'failed']);

/** The service has started and not begun to stop: these satisfy a `service_started` dependency. */
export const STARTED_STATUSES: ReadonlySet<ServiceStatus> = new Set(['running', 'healthy', 'unhealthy']);

/**
 * Always have a process, so a recorded one must carry a pid and start time. Active but for `starting`,
 * which may not have spawned yet.
 */
export const PROCESS_STATUSES: ReadonlySet<ServiceStatus> = new Set([
  'running',
  'healthy',
  'unhealthy',
  'stopping',
]);

/** Never have a process, so a recorded pid is stale. Exactly the statuses that are not active. */
export const PROCESSLESS_STATUSES: ReadonlySet<ServiceStatus> = new Set([
  'stopped',
  'waiting',
  'restarting',
  'exited',
  'failed',
]);

/** See ACTIVE_STATUSES. */
export const isActive = (status: ServiceStatus): boolean => ACTIVE_STATUSES.has(status);
/** See TERMINAL_STATUSES. */
export const isTerminal = (status: ServiceStatus): boolean => TERMINAL_STATUSES.has(status);
