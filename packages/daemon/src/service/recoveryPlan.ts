import type { ServiceStatus } from '@kepler/protocol';
import type { ServiceState } from './serviceState.js';

// What ServiceRuntime.applyRecovery applies; config/recovery.ts (planRecovery) makes it.

/** One status change of a recovery, with the fields that change with it. */
export interface RecoveryStep {
  readonly to: ServiceStatus;
  readonly patch: Partial<ServiceState>;
}

/**
 * What happens to a service after its steps:
 * - `adopt`: its process survived; supervise it again.
 * - `finishStop`: a stop on request was under way and its process survived; adopt it and stop it.
 * - `stopDone`: a stop on request was under way or recorded and its process is gone; it stays stopped.
 * - `resumeBackoff`: it was waiting out a restart backoff (`pendingRestart`): it stays `restarting`
 *   and is launched when that wait ends by the wall clock (at once when it has passed).
 * - `requeue`: it wants to run (waiting on dependencies, between restarts without a recorded wait,
 *   mid user restart, or launching when the daemon died): wait on its dependencies again.
 * - `diedWhileDown`: its process ended while no daemon watched it: `failed`, and requeued when its
 *   restart policy is not `no`.
 * - `resume`: the daemon's shutdown stopped it while it ran (or was wanted) and its restart policy is
 *   `always`: it stays stopped until the config starts it as `kepler start` would (ConfigActor.recover).
 * - `none`: nothing runs and nothing is wanted.
 */
export type RecoveryAction =
  | 'adopt'
  | 'finishStop'
  | 'stopDone'
  | 'resumeBackoff'
  | 'requeue'
  | 'diedWhileDown'
  | 'resume'
  | 'none';

export interface RecoveryPlan {
  readonly action: RecoveryAction;
  /** What the user wants from now on; set before the steps (their side effects read it). */
  readonly desired: 'run' | 'stop';
  /**
   * Status changes in order, each allowed by TRANSITIONS from the one before (a step to the same
   * status only changes fields, as canTransition allows).
   */
  readonly steps: readonly RecoveryStep[];
  /** A process to adopt (`adopt`, `finishStop`). */
  readonly adopt: { readonly pid: number; readonly startTime: string } | null;
  /**
   * What the dead daemon may have left in the service's cgroup, nameless, to end now: `relaunch`, a
   * launch under way (its process may have been spawned before its spawned/ record was written) or a
   * restart's stop, ended before the service is launched again; `stop`, a stop on request whose main
   * process is gone but whose sweep of the rest may not have run.
   */
  readonly underWay?: 'relaunch' | 'stop';
}
