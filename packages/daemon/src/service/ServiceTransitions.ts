import type { BakedService } from '@kepler/config';
import type { BackoffState, CauseKind, CauseRecord, ServiceStatus } from '@kepler/protocol';
import { isTerminal } from '@kepler/protocol';
import { DaemonError } from '../errors.js';
import { canTransition } from './lifecycle.js';
import { describeExit, type ExitFacts, restartPolicyOf } from './restartPolicy.js';
import type { ServiceHost } from './ServiceHost.js';
import {
  backoffOf,
  initialServiceState,
  type ServiceState,
  unhealthyDetail,
  withHealthResult,
} from './serviceState.js';

/**
 * A service's status and what the user wants of it, behind one door: the status changes only in
 * transition() (the table in lifecycle.ts; persisted; the event emitted), and callers outside the
 * service change `state` and `desired` only through the intent methods here and in ServiceRuntime.
 */
export abstract class ServiceTransitions {
  private current: ServiceState = initialServiceState();
  /** What the user asked for last: the supervisor keeps a `run` service running per its policy. */
  protected wish: 'run' | 'stop' = 'stop';
  /** Why the next status change happens: the transition records it as `lastCause` (see noteCause). */
  private pendingCause: CauseRecord | null = null;

  constructor(
    public spec: BakedService,
    protected readonly host: ServiceHost,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The service's state (read-only: it changes through transition() and the intent methods). */
  get state(): Readonly<ServiceState> {
    return this.current;
  }

  /** What the user asked for last. */
  get desired(): 'run' | 'stop' {
    return this.wish;
  }

  get isTerminal(): boolean {
    return isTerminal(this.current.status);
  }

  /** Automatic restarts in a row, and the pending one's wait (for `inspect`). */
  backoff(): BackoffState {
    return backoffOf(this.current);
  }

  /** Applies a status change through the transition table, persists it and emits the event. */
  protected transition(to: ServiceStatus, patch: Partial<ServiceState> = {}): void {
    const from = this.current.status;
    if (!canTransition(from, to)) {
      throw new DaemonError('INTERNAL', `illegal transition of ${this.name}: ${from} -> ${to}`);
    }
    Object.assign(this.current, patch);
    if (this.pendingCause !== null) {
      this.current.lastCause = this.pendingCause;
      this.pendingCause = null;
    }
    if (from !== to) this.current.statusSince = new Date().toISOString();
    // A pending automatic restart belongs to `restarting`: a launch, stop or failure ends it.
    if (to !== 'restarting') this.current.pendingRestart = null;
    this.current.status = to;
    this.host.persist();
    if (from !== to || patch.reason !== undefined) this.host.statusChanged(this.name, from, this.current);
  }

  /**
   * A step of a recovery plan: transition(), except that a step changing neither the status nor the
   * reason (a stop record bringing its spawn count and time to a service state.json already shows
   * stopped) is persisted without an event.
   */
  protected recoveryStep(to: ServiceStatus, patch: Partial<ServiceState>): void {
    const { status, reason } = this.current;
    if (to !== status || (patch.reason !== undefined && patch.reason !== reason)) {
      this.transition(to, patch);
      return;
    }
    Object.assign(this.current, patch);
    this.host.persist();
  }

  /** Changes fields that are not the status (counters, health output, init done); no event. */
  protected amend(patch: Partial<Omit<ServiceState, 'status'>>): void {
    Object.assign(this.current, patch);
  }

  /**
   * Why the next status change happens (a restart and what asked for it, or a failure): the next
   * transition() records it as `lastCause`, with the time of this call.
   */
  protected noteCause(what: CauseRecord['what'], kind: CauseKind, detail: string): void {
    this.pendingCause = { what, kind, detail, at: new Date().toISOString() };
  }

  /** Notes why an exit nobody asked for restarts the service or fails it (a clean `exited` has no cause). */
  protected noteExit(exit: ExitFacts, outcome: 'restart' | 'failed' | 'exited'): void {
    const { failedRun, how } = describeExit(exit);
    if (outcome === 'restart') this.noteCause('restart', failedRun ? 'crash' : 'exit', how);
    else if (outcome === 'failed') this.noteCause('failure', 'crash', how);
  }

  /** A health check result: failures in a row, its output, and the history `inspect` shows; no event. */
  protected recordHealthResult(r: { ok: boolean; output: string; failures: number }): void {
    const healthResults = withHealthResult(this.current.healthResults, r);
    this.amend({ healthFailures: r.failures, lastHealthOutput: r.output, healthResults });
    this.host.healthChecked?.(this.name, {
      ...healthResults[healthResults.length - 1]!,
      failures: r.failures,
    });
  }

  /** Failed health checks made it unhealthy: the transition records why. */
  protected turnUnhealthy(): void {
    this.noteCause('failure', 'health', unhealthyDetail(this.current));
    this.transition('unhealthy', { health: 'unhealthy' });
  }

  /** `failed` with its one-line reason; a failure ends the wish to run (nothing retries it). */
  protected fail(reason: string, patch: Partial<ServiceState> = {}, kind: CauseKind = 'crash'): void {
    this.wish = 'stop';
    this.noteCause('failure', kind, reason);
    this.transition('failed', { ...patch, reason, stoppedAt: new Date().toISOString() });
  }

  // ---- intents ----------------------------------------------------------------------------------

  /** Loads the state.json record at start-up (before recovery); no event: nothing changed. */
  restore(record: ServiceState, desired: 'run' | 'stop'): void {
    this.current = { ...record };
    this.wish = desired;
  }

  /** Recreate: the new runtime of a service continues its predecessor's state (all services stopped). */
  carryStateFrom(old: ServiceTransitions): void {
    this.current = { ...old.current };
  }

  /** `kepler up`: the same definition from a new snapshot (nothing that matters differs); no event. */
  adoptSpec(spec: BakedService): void {
    this.spec = spec;
  }

  /** Why a waiting service still waits (shown by `ps`); not a status change, so no event. */
  noteWaitingReason(reason: string): void {
    this.amend({ reason });
  }

  /**
   * The user no longer wants it to run (a stop is about to follow): nothing waiting launches it. With
   * `shutdown` (the daemon's own stop, no user's) a wanted `restart: always` service is marked to be
   * started again by the next daemon (`resumeAtStart`); any other stop clears that mark.
   */
  withdrawWish(shutdown = false): void {
    const resume = shutdown && this.wish === 'run' && restartPolicyOf(this.spec) === 'always';
    this.amend({ resumeAtStart: resume });
    this.wish = 'stop';
  }

  /** Recovery reads the shutdown's mark once, whatever its plan: the mark is not carried on. */
  takeResumeMark(): boolean {
    const marked = this.current.resumeAtStart;
    this.amend({ resumeAtStart: false });
    return marked;
  }

  /** A config-wide launch step failed (global on_init/pre_start) before it ran: `failed`, not wanted. */
  failLaunch(reason: string): void {
    const s = this.current.status;
    if (s !== 'stopped' && !isTerminal(s)) return;
    this.fail(reason, {}, 'hook');
  }

  /** Fails a waiting service (dependency timeout or a dependency that can never be satisfied). */
  failWaiting(reason: string): void {
    if (this.current.status !== 'waiting') return;
    this.fail(reason, {}, 'dependency');
  }
}
