import type { BakedService } from '@kepler/config';
import { isActive } from '@kepler/protocol';
import { serviceMarker } from '../hooks/HookRunner.js';
import type { Platform, ProcessExit } from '../platform/index.js';
import type { RetentionEvent } from './logRetention.js';
import { OpQueue } from './OpQueue.js';
import { RestartTimer } from './RestartTimer.js';
import type { RecoveryPlan } from './recoveryPlan.js';
import { decideRestart, nextRestart, type RestartTo, restartPolicyOf } from './restartPolicy.js';
import { type HealthVerdicts, ServiceHealth } from './ServiceHealth.js';
import type { RestartOptions, ServiceHost, StopOptions } from './ServiceHost.js';
import { ServiceTransitions } from './ServiceTransitions.js';
import { type LiveProcess, SupervisedProcess } from './SupervisedProcess.js';
import { exitPatch, type ServiceState, unhealthyDetail } from './serviceState.js';
import { unresolvableUser } from './serviceUsers.js';

/**
 * One service of one config: its status, what the user wants of it, and the operations on it. Every
 * operation runs through the service's queue, so a stop, a crash restart and a user restart never
 * interleave. The status changes only in transition(); others read `state` and `desired` and change
 * them through the intent methods (markWaiting, withdrawWish, failLaunch, ...).
 */
export class ServiceRuntime extends ServiceTransitions {
  private readonly queue = new OpQueue();
  private readonly process: SupervisedProcess;
  private stopping = false;
  private launchQueued = false;
  private readonly restartTimer = new RestartTimer(
    () => this.platform.clock,
    () => void this.queue.run(() => this.doLaunch('auto')),
  );
  /** Aborts the on_init / pre_start hook of a launch in progress. */
  private launchAbort: AbortController | null = null;
  /** A user restart stopped the service; its next launch runs post_restart after post_start. */
  private postRestartPending = false;
  /**
   * The last launch's post_start/post_restart hooks (resolved when there are none): config-wide hooks
   * that follow "all services started" (global post_start/post_restart) wait for them.
   */
  postLaunchHooks: Promise<void> = Promise.resolve();
  /**
   * The last post_exit hook (resolved when there is none). It runs beside the restart, not before it;
   * a foreground `start` waits for it so the hook's output is shown before the CLI exits.
   */
  postExitHook: Promise<void> = Promise.resolve();
  private readonly health: ServiceHealth;

  constructor(spec: BakedService, host: ServiceHost) {
    super(spec, host);
    this.process = new SupervisedProcess(
      host.platform,
      host.logs,
      host.outputDir,
      spec.name,
      () => this.marker,
      (message) => host.logError(message),
      () => this.state.port,
    );
    this.health = new ServiceHealth(
      host,
      () => this.spec,
      () => this.marker,
      this.healthVerdicts(),
      () => this.state.port,
    );
  }

  private get platform(): Platform {
    return this.host.platform;
  }

  /** `KEPLER_SERVICE_ID=<service id>`: the env entry that marks every process the service starts. */
  get marker(): string {
    return serviceMarker(this.host.serviceIdOf(this.name));
  }

  /**
   * Applies a recovery plan (config/recovery.ts) after a daemon restart: its steps through
   * transition(), then adopts the surviving process (and finishes a stop it interrupted).
   */
  applyRecovery(plan: RecoveryPlan): void {
    this.wish = plan.desired; // first: the steps' side effects (journal, watchers) read it
    // What a process wrote that no daemon stored (it ended, or lines were buffered, while none ran)
    // is stored before the steps act on its exit; a survivor's is stored from its adoption on.
    if (plan.adopt === null && (plan.action !== 'none' || this.state.spawns > 0))
      this.process.storeLeftovers();
    for (const step of plan.steps) this.recoveryStep(step.to, step.patch);
    // Waiting out a backoff when the daemon died: the rest of it (its status and reason stay).
    if (plan.action === 'resumeBackoff') this.restartTimer.arm(this.state.pendingRestart!);
    if (plan.adopt === null) return;
    const { pid, startTime } = plan.adopt;
    const startedAtMs = this.state.startedAt ? Date.parse(this.state.startedAt) : this.platform.clock.now();
    const proc = this.process.adopt(pid, startTime, startedAtMs);
    this.watchExit(proc);
    this.health.start(proc.startedAtMs, this.state.wasHealthy, this.state.health);
    // Still the same process: a stop the crash interrupted is finished now.
    if (plan.action === 'finishStop') void this.stop(plan.desired === 'run' ? { afterwards: 'waiting' } : {});
  }

  /** Marks the service as wanted and waiting for its dependencies; the actor decides when to launch. */
  markWaiting(reason: string | null): void {
    this.wish = 'run';
    this.amend({ consecutiveCrashes: 0, resumeAtStart: false });
    if (this.state.status !== 'waiting') this.transition('waiting', { reason });
  }

  // ---- launch -----------------------------------------------------------------------------------

  /** Launches now (dependencies are satisfied). */
  launch(kind: 'start' | 'restart' = 'start'): Promise<void> {
    if (this.launchQueued) return this.idle(); // evaluated again while waiting for its slice
    this.launchQueued = true;
    return this.queue.run(async () => {
      await this.platform.launchSlice(); // a burst of launches is spread over event-loop turns (spawnPacing.ts)
      this.launchQueued = false;
      return this.doLaunch(kind);
    });
  }

  /** A launch failure ends the wish: nothing retries it. */
  private async doLaunch(requested: 'start' | 'restart' | 'auto'): Promise<void> {
    if (this.wish !== 'run' || this.process.current) return;
    // A launch that completes a user restart (restartStop, then waiting on dependencies) is a restart.
    const postRestart = this.postRestartPending;
    this.postRestartPending = false;
    const kind = postRestart ? 'restart' : requested;
    this.restartTimer.clear();
    this.transition('starting', { reason: null, exitCode: null, signal: null });
    this.process.clearLogs(this.spec.logs.retention, { kind: 'launch', launch: kind });
    const hooks = this.spec.hooks;
    // An unknown user or group, or an earlier run's processes still alive, fail it before any hook runs.
    const badUser =
      unresolvableUser(this.spec, this.platform.resolveUser) ?? this.host.launchRefusal(this.name);
    if (badUser !== null) return this.fail(badUser, {}, 'spawn');
    const network = await this.host.assignPort(this.name); // a taken fixed port fails it here
    if ('refusal' in network) return this.fail(network.refusal, {}, 'spawn');
    this.amend({ port: network.port });
    // A stop arriving while a launch hook runs aborts the hook instead of queueing behind it.
    const abort = new AbortController();
    this.launchAbort = abort;
    let failure: string | null = null;
    try {
      if (!this.state.initDone && hooks.on_init)
        failure = await this.host.runServiceHook(this.name, 'on_init', hooks.on_init, abort.signal);
      if (!this.state.initDone && failure === null) {
        this.amend({ initDone: true }); // no on_init, or it succeeded
        this.host.persist();
      }
      if (failure === null && hooks.pre_start && this.wish === 'run') {
        failure = await this.host.runServiceHook(this.name, 'pre_start', hooks.pre_start, abort.signal);
      }
    } finally {
      this.launchAbort = null;
    }
    if (failure !== null && this.wish === 'run') return this.fail(failure, {}, 'hook');
    if (this.wish !== 'run') return this.transition('stopped', { reason: null });
    // Set before the spawn: whoever sees `running` (inside spawn) must find this launch's promise.
    let hooksDone: () => void = () => undefined;
    this.postLaunchHooks = new Promise<void>((resolve) => {
      hooksDone = resolve;
    });
    try {
      await this.spawn();
    } catch (e) {
      hooksDone();
      // Stopped while the spawn waited for its turn: nothing was started.
      if (this.wish !== 'run') return this.transition('stopped', { reason: null });
      return this.fail((e as Error).message, { pid: null }, 'spawn');
    }
    // post_start then post_restart, in that order, without holding the service's queue.
    void (async () => {
      if (hooks.post_start) await this.host.runServiceHook(this.name, 'post_start', hooks.post_start);
      if (postRestart && hooks.post_restart) {
        await this.host.runServiceHook(this.name, 'post_restart', hooks.post_restart);
      }
    })().finally(hooksDone);
  }

  private async spawn(): Promise<void> {
    const proc = await this.process.spawn(this.spec, () => this.wish === 'run', this.state.port);
    const startedAt = new Date(proc.startedAtMs).toISOString();
    const spawn = this.state.spawns + 1;
    try {
      this.host.recordSpawn(this.name, { spawn, pid: proc.pid, startTime: proc.startTime, startedAt });
    } catch (e) {
      // The process runs either way and must stay watched; state.json still records it shortly.
      this.host.logError(`cannot record the spawn of ${this.name}: ${(e as Error).message}`);
    }
    this.transition('running', {
      spawns: spawn,
      pid: proc.pid,
      startTime: proc.startTime,
      startedAt,
      stoppedAt: null,
      healthFailures: 0,
      health: this.spec.healthcheck ? 'starting' : null,
      lastHealthOutput: null,
      wasHealthy: false,
      reason: null,
    });
    this.watchExit(proc);
    this.health.start(proc.startedAtMs, this.state.wasHealthy);
  }

  private watchExit(proc: LiveProcess): void {
    void proc.exited.then((exit) => this.queue.run(() => this.onExit(proc, exit)));
  }

  /** Handles the end of a process that nobody asked to stop: restart policy and backoff. */
  private async onExit(proc: LiveProcess, exit: ProcessExit): Promise<void> {
    if (!this.process.ended(proc)) return;
    this.health.stop();
    if (this.stopping) return; // the stop operation finishes the bookkeeping
    const stoppedAt = new Date().toISOString();
    // The last lines first: retention and anyone reacting to the exit must see the whole output.
    await this.process.drained();
    const hooks = this.spec.hooks;
    if (hooks.post_exit) {
      this.postExitHook = this.host
        .runServiceHook(this.name, 'post_exit', hooks.post_exit)
        .then(() => undefined);
    }
    this.process.clearLogs(this.spec.logs.retention, { kind: 'exit' });
    const decision = decideRestart({
      exit: { code: exit.code, signal: exit.signal, own: proc.own },
      policy: restartPolicyOf(this.spec),
      desired: this.wish,
      consecutiveCrashes: this.state.consecutiveCrashes,
      ranMs: this.platform.clock.now() - proc.startedAtMs,
      backoff: this.spec.restart.backoff,
      maxRetries: this.spec.restart.maxRetries,
    });
    const patch = exitPatch(exit, stoppedAt);
    this.noteExit({ ...exit, own: proc.own }, decision.restart ? 'restart' : decision.status);
    if (!decision.restart) {
      this.wish = 'stop';
      this.transition(decision.status, { ...patch, reason: decision.reason });
      return;
    }
    await this.restartAfter(decision, { ...patch, restarts: this.state.restarts + 1 }, true);
  }

  /**
   * `restarting` (with `patch`), then the launch: at once inside this queue slot when the delay is 0
   * (no timer hop), else once the backoff, kept in state.json as `pendingRestart`, has passed.
   */
  private async restartAfter(next: RestartTo, patch: Partial<ServiceState>, propagate: boolean) {
    const { consecutiveCrashes, reason } = next;
    const pendingRestart = this.restartTimer.waitOf(next.delayMs);
    this.transition('restarting', { ...patch, consecutiveCrashes, reason, pendingRestart });
    if (propagate) void this.host.restartInitiated(this.name); // it died: its dependents stop at once
    if (pendingRestart === null) return this.doLaunch('auto');
    this.restartTimer.arm(pendingRestart);
  }

  // ---- stop and restart -------------------------------------------------------------------------

  /** Stops the service (and everything it started). `then` runs inside the same queue slot. */
  stop(opts: StopOptions = {}): Promise<void> {
    if (opts.afterwards !== 'waiting') {
      this.wish = 'stop';
      this.launchAbort?.abort();
    }
    return this.queue.run(() => this.doStop(opts));
  }

  private async doStop(opts: StopOptions): Promise<void> {
    if (opts.cause) this.noteCause('restart', opts.cause.kind, opts.cause.detail);
    const requeue = opts.afterwards === 'waiting';
    const restarting = opts.restarting === true;
    const retention: RetentionEvent = { kind: 'stop', restarting, requeue, shutdown: opts.shutdown === true };
    // A restart's stop keeps the wish to run: dependents evaluating meanwhile must see "will restart".
    this.wish = requeue || restarting ? 'run' : 'stop';
    this.restartTimer.clear();
    if (!this.process.current) {
      const s = this.state.status;
      if (requeue) {
        if (s !== 'waiting' && s !== 'stopped') this.transition('stopped', { reason: null });
        this.transition('waiting', { reason: null });
      } else if (s === 'waiting' || s === 'restarting' || s === 'starting') {
        this.transition('stopped', { reason: null });
        // Stopped between crash restarts (or before its launch): still a stop, on_stop applies (not at shutdown).
        if (s === 'restarting') await this.process.clearLogsAfterDrain(this.spec.logs.retention, retention);
      }
      return;
    }
    this.stopping = true;
    try {
      this.health.stop();
      this.transition('stopping', { reason: null });
      const hooks = this.spec.hooks;
      if (hooks.pre_stop) await this.host.runServiceHook(this.name, 'pre_stop', hooks.pre_stop);
      const signal = (opts.signal ?? this.spec.stopSignal) as NodeJS.Signals;
      const exit = await this.process.stop(signal, this.spec.stopGracePeriodMs, this.spec);
      await this.process.drained(); // last lines before `stopped`: a foreground start ends there
      this.transition('stopped', { ...exitPatch(exit, new Date().toISOString()), reason: null });
      if (opts.manual !== false && hooks.post_stop) {
        await this.host.runServiceHook(this.name, 'post_stop', hooks.post_stop);
        // The process was swept before it ran: what post_stop left running (`cmd &`) goes now.
        await this.process.sweepLeftovers(signal, this.spec.stopGracePeriodMs);
      }
      await this.process.clearLogsAfterDrain(this.spec.logs.retention, retention);
    } finally {
      this.stopping = false;
    }
    if (requeue) this.transition('waiting', { reason: null, restarts: this.state.restarts + 1 });
  }

  /** User restart: the seed's hook order pre_restart, pre_stop, stop, post_stop, pre_start, spawn, post_start, post_restart. */
  restart(opts: RestartOptions = {}): Promise<void> {
    return this.queue.run(async () => {
      await this.doRestartStop(opts);
      this.wish = 'run';
      await this.doLaunch('restart');
    });
  }

  /**
   * The first half of a restart (pre_restart, pre_stop, stop, post_stop). The launch follows through
   * the config's dependency evaluation, and runs post_start then post_restart.
   */
  restartStop(opts: RestartOptions = {}): Promise<void> {
    return this.queue.run(() => this.doRestartStop(opts));
  }

  private async doRestartStop(opts: RestartOptions): Promise<void> {
    const hooks = this.spec.hooks;
    if (hooks.pre_restart) await this.host.runServiceHook(this.name, 'pre_restart', hooks.pre_restart);
    await this.host.restartInitiated(this.name); // its `restart: true` dependents stop first
    const cause = opts.cause ?? { kind: 'user', detail: 'restart requested' };
    await this.doStop({ signal: opts.signal, restarting: true, cause });
    this.amend({ consecutiveCrashes: 0, restarts: this.state.restarts + 1 });
    this.postRestartPending = true;
  }

  /** Waits for every queued operation on this service to finish. */
  idle(): Promise<void> {
    return this.queue.run(() => undefined);
  }

  /** Daemon shutdown without stopping (used by tests simulating a crash): detach everything. */
  detach(): void {
    this.restartTimer.clear();
    this.health.stop();
    this.process.detach();
  }

  // ---- health -----------------------------------------------------------------------------------

  /** What the health watch reports (its hooks run there), applied while the service runs. */
  private healthVerdicts(): HealthVerdicts {
    return {
      counts: () => isActive(this.state.status) && this.state.status !== 'stopping',
      onResult: (r) => this.recordHealthResult(r),
      onHealthy: () => this.transition('healthy', { health: 'healthy', wasHealthy: true }),
      onUnhealthy: () => this.turnUnhealthy(),
      restart: () => this.healthAction(null),
      fail: (reason) => this.healthAction(reason),
    };
  }

  /**
   * A health verdict's action on the current run: `on_unhealthy: restart` (`failure` null) takes the
   * restart path (pre_restart .. post_restart, `restart: true` dependents follow), counted and backed
   * off with crash restarts; a `failure` (start_timeout) stops the run and fails the service.
   */
  private healthAction(failure: string | null): Promise<void> {
    const proc = this.process.current;
    return this.queue.run(async () => {
      // Ended meanwhile, or a stop is on its way (it withdrew the wish before queueing).
      if (!proc || this.process.current !== proc || this.wish !== 'run') return;
      if (failure === null && this.state.status !== 'unhealthy') return; // healthy again, or stopping
      const ranMs = this.platform.clock.now() - proc.startedAtMs;
      const count = { ...this.spec.restart, consecutiveCrashes: this.state.consecutiveCrashes, ranMs };
      const decision = failure === null ? nextRestart(count, 'unhealthy') : null;
      if (!decision?.restart) {
        await this.doStop({ manual: false });
        if (this.state.status === 'stopped')
          this.fail(failure ?? decision?.reason ?? 'unhealthy', {}, 'health');
        return;
      }
      await this.doRestartStop({ cause: { kind: 'health', detail: unhealthyDetail(this.state) } });
      if (this.wish !== 'run') return;
      await this.restartAfter(decision, {}, false);
    });
  }
}
