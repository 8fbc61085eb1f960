import type { RestartPolicy } from '@kepler/config';
import type { ServiceStatus } from '@kepler/protocol';
import { isActive } from '@kepler/protocol';
import { TRANSITIONS } from '../service/lifecycle.js';
import type { RecoveryAction, RecoveryPlan, RecoveryStep } from '../service/recoveryPlan.js';

export type { RecoveryAction, RecoveryPlan, RecoveryStep };

import type { ServiceState } from '../service/serviceState.js';
import { type SpawnRecord, stopIsNewer, stoppingIsNewer } from './state/SpawnJournal.js';

/** What recovery knows of one service when a config is loaded after a daemon restart. */
export interface RecoveryInput {
  /** The service's state as state.json recorded it (ServiceRuntime.restore), and what was wanted. */
  readonly state: Pick<
    ServiceState,
    'status' | 'pid' | 'startTime' | 'spawns' | 'restarts' | 'pendingRestart'
  >;
  readonly desired: 'run' | 'stop';
  /** Its spawned/ record (SpawnJournal.read), or null. */
  readonly journal: SpawnRecord | null;
  /** When state.json was last written (ms), or null when unknown. */
  readonly stateWrittenAtMs: number | null;
  /** state.json had a valid entry for the service (not corrupt, not lost). */
  readonly trusted: boolean;
  /**
   * state.json's pid is still the process it recorded (same pid and start time). The planner reads
   * this and `journalAlive` only when it needs them: callers may make them lazy getters.
   */
  readonly recordAlive: boolean;
  /** The journal record's pid is still the process it recorded. */
  readonly journalAlive: boolean;
  readonly restartPolicy: RestartPolicy;
  /**
   * The daemon's shutdown stopped it while it was wanted (state.json's `resume_at_start`, taken from
   * the record before planning): a `restart: always` service it shows stopped is started again.
   */
  readonly resumeAfterShutdown?: boolean;
}

/**
 * Shortest path from `from` to `to` through TRANSITIONS (in table order), excluding `from`. It never
 * passes through `waiting` (waiting on dependencies is not what happened while no daemon ran).
 */
export function legalPath(from: ServiceStatus, to: ServiceStatus): ServiceStatus[] {
  if (from === to) return [];
  const previous = new Map<ServiceStatus, ServiceStatus>([[from, from]]);
  const queue: ServiceStatus[] = [from];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of TRANSITIONS[at]) {
      if (previous.has(next)) continue;
      previous.set(next, at);
      if (next === to) {
        const path: ServiceStatus[] = [];
        for (let s: ServiceStatus = to; s !== from; s = previous.get(s)!) path.unshift(s);
        return path;
      }
      if (next !== 'waiting') queue.push(next);
    }
  }
  throw new Error(`no transition path from ${from} to ${to}`);
}

/**
 * Steps to `to` through legal intermediate statuses; `patch` goes with the last step (a step to the
 * same status when there is no change of status but fields change).
 */
function stepsTo(from: ServiceStatus, to: ServiceStatus, patch: Partial<ServiceState>): RecoveryStep[] {
  const path = legalPath(from, to);
  if (path.length === 0) return Object.keys(patch).length > 0 ? [{ to, patch }] : [];
  return path.map((s, i) => ({ to: s, patch: i === path.length - 1 ? patch : {} }));
}

/**
 * Plans the recovery of one service after a daemon restart, from its state.json record, its newer
 * spawned/ record if any (a spawn, a stop or the start of a stop that state.json does not show yet:
 * see SpawnJournal) and whether its process still runs. Pure: ServiceRuntime.applyRecovery applies the plan
 * through transition(), so every change is legal, persisted and emitted.
 */
export function planRecovery(i: RecoveryInput): RecoveryPlan {
  const steps: RecoveryStep[] = [];
  let status = i.state.status;
  let desired = i.desired;
  let pid = i.state.pid;
  let startTime = i.state.startTime;
  // Which record names the process that may have survived (read lazily: each is a /proc lookup).
  let survivor: 'record' | 'journal' = 'record';
  let restartStop = false;
  const go = (to: ServiceStatus, patch: Partial<ServiceState>) => {
    steps.push(...stepsTo(status, to, patch));
    status = to;
  };
  const j = i.journal;
  // The mark is set before the shutdown's stop, so a record that says `stopped` with it was written
  // after that stop: the journal's stop of the same spawn is that one, not a newer one.
  const resume =
    i.resumeAfterShutdown === true &&
    i.restartPolicy === 'always' &&
    status === 'stopped' &&
    (j === null || j.spawn <= i.state.spawns);
  if (resume) return { action: 'resume', desired: 'stop', steps, adopt: null };
  // Without a valid entry (state.json deleted, corrupt, or lost with its directory's last write)
  // nothing says what the user wanted: take over a record's process only while it still runs.
  const trusted = i.trusted || (j !== null && i.journalAlive);
  if (j && stopIsNewer(j, i.state.spawns, i.stateWrittenAtMs)) {
    // Stopped on request while state.json could not be written (a full disk): it stays stopped.
    go('stopped', { spawns: j.spawn, pid: null, stoppedAt: j.stoppedAt, reason: null });
    return { action: 'stopDone', desired: 'stop', steps, adopt: null };
  }
  if (j && trusted && stoppingIsNewer(j, i.state.spawns, i.stateWrittenAtMs)) {
    // A stop on request had begun when the daemon died: finish it (or see it done).
    const { spawn: spawns, startedAt } = j;
    go('stopping', { spawns, pid: j.pid, startTime: j.startTime, startedAt, reason: null });
    ({ pid, startTime } = j);
    // A restart's stop (state.json had not caught up): wanted running once the stop is done.
    restartStop = j.restart === true;
    desired = restartStop ? 'run' : 'stop';
    survivor = 'journal';
  } else if (j && !j.stoppedAt && trusted && j.spawn > i.state.spawns) {
    // A spawn state.json does not show yet (the daemon died before writing it): that process is the
    // service's current one.
    const patch = { spawns: j.spawn, pid: j.pid, startTime: j.startTime, startedAt: j.startedAt };
    go('running', { ...patch, stoppedAt: null, reason: null });
    ({ pid, startTime } = j);
    desired = 'run';
    survivor = 'journal';
  }
  const alive = () => (survivor === 'journal' ? i.journalAlive : i.recordAlive);
  if (isActive(status) && pid !== null && startTime !== null && alive()) {
    if (status === 'stopping')
      return {
        action: 'finishStop',
        desired: restartStop ? 'run' : 'stop',
        steps,
        adopt: { pid, startTime },
      };
    if (status === 'starting') go('running', {});
    return { action: 'adopt', desired: 'run', steps, adopt: { pid, startTime } };
  }
  if (status === 'stopping') {
    go('stopped', { pid: null });
    if (!restartStop) return { action: 'stopDone', desired: 'stop', steps, adopt: null, underWay: 'stop' };
    go('waiting', { reason: null });
    return { action: 'requeue', desired: 'run', steps, adopt: null, underWay: 'relaunch' };
  }
  if (status === 'starting' && pid === null) {
    // The daemon died between deciding to launch and spawning (or before the spawn's record): launch again.
    go('stopped', {});
    go('waiting', { reason: null });
    return { action: 'requeue', desired: 'run', steps, adopt: null, underWay: 'relaunch' };
  }
  if (isActive(status)) {
    const restart = i.restartPolicy !== 'no';
    go('failed', {
      pid: null,
      reason: 'process ended while the daemon was down',
      ...(restart ? { restarts: i.state.restarts + 1 } : {}),
    });
    if (!restart) return { action: 'diedWhileDown', desired: 'stop', steps, adopt: null };
    go('waiting', { reason: null });
    return { action: 'diedWhileDown', desired: 'run', steps, adopt: null };
  }
  if (status === 'restarting' && i.state.pendingRestart !== null) {
    // Waiting out a backoff: the rest of the wait (older state.json files record none: requeued).
    return { action: 'resumeBackoff', desired: 'run', steps, adopt: null };
  }
  if (status === 'waiting' || status === 'restarting' || desired === 'run') {
    // Waiting on dependencies, between restarts, or in the middle of a user restart.
    if (status !== 'waiting') go('waiting', { reason: null });
    return { action: 'requeue', desired: 'run', steps, adopt: null };
  }
  return { action: 'none', desired, steps, adopt: null };
}
