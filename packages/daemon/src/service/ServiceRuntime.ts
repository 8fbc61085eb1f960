import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BakedHook, BakedService, ServiceHookName } from '@kepler/config';
import type { ServiceStatus } from '@kepler/protocol';
import type { SpawnRecord } from '../config/state/SpawnJournal.js';
import { DaemonError } from '../errors.js';
import { HealthMonitor, type ProbeResult } from '../health/HealthMonitor.js';
import { MARKER_ENV } from '../hooks/HookRunner.js';
import type { LogStore } from '../logs/index.js';
import { linuxPlatform, type Platform, PlatformError, type ProcessExit } from '../platform/index.js';
import { canTransition, isActive, isTerminal } from './lifecycle.js';
import { OpQueue } from './OpQueue.js';
import { initialServiceState, type ServiceState } from './serviceState.js';

/** What a service needs from the config that owns it (implemented by ConfigActor). */
export interface ServiceHost {
  readonly logs: LogStore;
  /** The OS as the supervisor sees it (the real one, or a test's fake). */
  readonly platform: Platform;
  /** Directory holding the services' stdout/stderr FIFOs. */
  readonly fifoDir: string;
  /** Marker value shared by everything this config starts: `<config id>.<service>`. */
  markerFor(service: string): string;
  /** Writes the config's state soon (coalesced). */
  persist(): void;
  /** Puts a just-spawned process on disk before it is reported (see SpawnJournal). */
  recordSpawn(service: string, record: SpawnRecord): void;
  statusChanged(name: string, previous: ServiceStatus, state: ServiceState): void;
  /** Runs a hook to completion; resolves with null when it succeeded, else its one-line failure reason. */
  runServiceHook(
    service: string,
    hookName: ServiceHookName,
    hook: BakedHook,
    signal?: AbortSignal,
  ): Promise<string | null>;
  /** The service is about to restart (crash, user, watch): dependents with `restart: true` follow. */
  restartInitiated(name: string): void;
  /** Runs a health-check command the way the service runs (env, cwd, user). */
  runProbe(
    service: BakedService,
    test: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ProbeResult>;
  /** Reports a supervision error that must not take the daemon down. */
  logError(message: string): void;
  /** Why the service must not be launched now (live processes nobody supervises), or null. */
  launchRefusal(service: string): string | null;
}

interface LiveProcess {
  pid: number;
  startTime: string;
  exited: Promise<ProcessExit>;
  /** Our own child (exit code known) or adopted after a daemon restart (exit code unknown). */
  own: boolean;
  startedAtMs: number;
}

export interface StopOptions {
  /** Overrides the service's stop_signal. */
  signal?: string;
  /** false for stops Kepler decides itself (restart propagation): no post_stop hook. */
  manual?: boolean;
  /** Part of a restart: logs follow retention.on_restart, not on_stop. */
  restarting?: boolean;
  /** Restart propagation: go back to waiting on dependencies instead of stopped. */
  afterwards?: 'waiting';
}

/** How long an exit waits for the output pipes' EOF (a daemonised descendant may hold them open). */
export const LOG_DRAIN_MS = 200;

/** Automatic restarts that follow a crash within `reset_after` back off exponentially. */
export function backoffDelayMs(
  consecutive: number,
  b: { initialMs: number; multiplier: number; maxMs: number },
): number {
  if (consecutive <= 0) return 0; // the first automatic restart happens at once
  return Math.min(b.maxMs, b.initialMs * b.multiplier ** (consecutive - 1));
}

/**
 * One service of one config: its process, its status and the operations on it. Every operation runs
 * through the service's queue, so a stop, a crash restart and a user restart never interleave.
 */
export class ServiceRuntime {
  state: ServiceState = initialServiceState();
  /** What the user asked for last: the supervisor keeps a `run` service running per its policy. */
  desired: 'run' | 'stop' = 'stop';
  private readonly queue = new OpQueue();
  private proc: LiveProcess | null = null;
  private stopping = false;
  private launchQueued = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private consecutiveCrashes = 0;
  private drainWaiters: Array<() => void> = [];
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
  private health: HealthMonitor | null = null;
  private readers: { stdout: Readable | null; stderr: Readable | null } = { stdout: null, stderr: null };
  private cancelForeign: (() => void) | null = null;

  constructor(
    public spec: BakedService,
    private readonly host: ServiceHost,
  ) {}

  private get platform(): Platform {
    return this.host.platform;
  }

  get name(): string {
    return this.spec.name;
  }

  get marker(): string {
    return `${MARKER_ENV}=${this.host.markerFor(this.name)}`;
  }

  /** Applies a status change through the transition table, persists it and emits the event. */
  transition(to: ServiceStatus, patch: Partial<ServiceState> = {}): void {
    const from = this.state.status;
    if (!canTransition(from, to)) {
      throw new DaemonError('INTERNAL', `illegal transition of ${this.name}: ${from} -> ${to}`);
    }
    Object.assign(this.state, patch);
    this.state.status = to;
    this.host.persist();
    if (from !== to || patch.reason !== undefined) this.host.statusChanged(this.name, from, this.state);
  }

  /** Marks the service as wanted and waiting for its dependencies; the actor decides when to launch. */
  markWaiting(reason: string | null): void {
    this.desired = 'run';
    this.consecutiveCrashes = 0;
    if (this.state.status !== 'waiting') this.transition('waiting', { reason });
  }

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

  private async doLaunch(requested: 'start' | 'restart' | 'auto'): Promise<void> {
    if (this.desired !== 'run' || this.proc) return;
    // A launch that completes a user restart (restartStop, then waiting on dependencies) is a restart.
    const postRestart = this.postRestartPending;
    this.postRestartPending = false;
    const kind = postRestart ? 'restart' : requested;
    this.clearRestartTimer();
    this.transition('starting', { reason: null, exitCode: null, signal: null });
    const retention = this.spec.logs.retention;
    if (
      (kind === 'start' && retention.onStart === 'clear') ||
      (kind !== 'start' && retention.onRestart === 'clear')
    ) {
      this.host.logs.clear(this.name, { by: kind === 'start' ? 'on_start' : 'on_restart' });
    }
    const hooks = this.spec.hooks;
    // An unknown user or group, or an earlier run's processes still alive, fail it before any hook runs.
    const badUser =
      unresolvableUser(this.spec, this.platform.resolveUser) ?? this.host.launchRefusal(this.name);
    if (badUser !== null) {
      this.desired = 'stop'; // a launch failure ends the wish: nothing retries it
      this.transition('failed', { reason: badUser, stoppedAt: new Date().toISOString() });
      return;
    }
    // A stop arriving while a launch hook runs aborts the hook instead of queueing behind it.
    const abort = new AbortController();
    this.launchAbort = abort;
    let failure: string | null = null;
    try {
      if (!this.state.initDone && hooks.on_init) {
        failure = await this.host.runServiceHook(this.name, 'on_init', hooks.on_init, abort.signal);
        if (failure === null) {
          this.state.initDone = true;
          this.host.persist();
        }
      } else if (!this.state.initDone) {
        this.state.initDone = true;
        this.host.persist();
      }
      if (failure === null && hooks.pre_start && this.desired === 'run') {
        failure = await this.host.runServiceHook(this.name, 'pre_start', hooks.pre_start, abort.signal);
      }
    } finally {
      this.launchAbort = null;
    }
    if (failure !== null && this.desired === 'run') {
      this.desired = 'stop'; // a launch failure ends the wish: nothing retries it
      this.transition('failed', { reason: failure, stoppedAt: new Date().toISOString() });
      return;
    }
    if (this.desired !== 'run') {
      this.transition('stopped', { reason: null });
      return;
    }
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
      if (this.desired !== 'run') return this.transition('stopped', { reason: null });
      this.desired = 'stop'; // a launch failure ends the wish: nothing retries it
      this.transition('failed', {
        reason: (e as Error).message,
        pid: null,
        stoppedAt: new Date().toISOString(),
      });
      return;
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
    const stdoutFifo = join(this.host.fifoDir, `${this.name}.stdout`);
    const stderrFifo = join(this.host.fifoDir, `${this.name}.stderr`);
    await this.platform.ensureFifos([stdoutFifo, stderrFifo]);
    const releaseSlot = await this.platform.spawnSlot(); // bounds a burst's set-up (see spawnPacing.ts)
    if (this.desired !== 'run') {
      releaseSlot();
      throw new PlatformError('SPAWN_CANCELLED', 'stopped before it started');
    }
    // The child holds each FIFO read-write, so its writes block instead of failing while no daemon
    // reads (a daemon crash); our read side is opened while our write fd keeps the FIFO from EOF.
    let outFd = -1;
    let errFd = -1;
    try {
      outFd = this.platform.openFifoForChild(stdoutFifo);
      errFd = this.platform.openFifoForChild(stderrFifo);
      this.attachReaders(stdoutFifo, stderrFifo);
      const child = await this.platform.spawn({
        command: this.spec.command,
        cwd: this.spec.workingDir,
        env: { ...this.spec.environment },
        marker: this.marker,
        user: this.spec.user,
        group: this.spec.group,
        limits: this.spec.limits,
        stdout: outFd,
        stderr: errFd,
        proceed: () => this.desired === 'run',
      });
      this.proc = {
        pid: child.pid,
        startTime: child.startTime,
        exited: child.exited,
        own: true,
        startedAtMs: this.platform.clock.now(),
      };
    } finally {
      releaseSlot();
      if (outFd >= 0) this.platform.closeFd(outFd);
      if (errFd >= 0) this.platform.closeFd(errFd);
    }
    const proc = this.proc;
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
    void proc.exited.then((exit) => this.queue.run(() => this.onExit(proc, exit)));
    this.startHealth();
  }

  private attachReaders(stdoutFifo: string, stderrFifo: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.readers[stream]) continue; // still open from an earlier run (a descendant holds the pipe)
      const reader = this.platform.openFifoReader(stream === 'stdout' ? stdoutFifo : stderrFifo);
      const sink = this.host.logs.sink({ service: this.name, hook: null, stream });
      this.readers[stream] = reader;
      reader.on('data', (chunk: Buffer) => sink.write(chunk));
      const done = () => {
        sink.end();
        if (this.readers[stream] === reader) this.readers[stream] = null;
        if (!this.readers.stdout && !this.readers.stderr)
          for (const wake of this.drainWaiters.splice(0)) wake();
      };
      reader.on('end', done);
      reader.on('error', done);
      reader.on('close', done);
    }
  }

  /**
   * Resolves once both output pipes reached EOF (everything the process wrote is in the logs), or
   * after LOG_DRAIN_MS when a descendant still holds them open.
   */
  private drained(): Promise<void> {
    if (!this.readers.stdout && !this.readers.stderr) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.platform.clock.setTimeout(resolve, LOG_DRAIN_MS);
      this.drainWaiters.push(() => {
        this.platform.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Adopts a process that survived a daemon restart, if it is still the same process. */
  adopt(): boolean {
    const { pid, startTime } = this.state;
    if (pid === null || startTime === null || !this.platform.isSameProcess(pid, startTime)) return false;
    this.desired = 'run';
    this.attachReaders(
      join(this.host.fifoDir, `${this.name}.stdout`),
      join(this.host.fifoDir, `${this.name}.stderr`),
    );
    const watch = this.platform.watchForeignExit(pid, startTime);
    this.cancelForeign = watch.cancel;
    const startedAtMs = this.state.startedAt ? Date.parse(this.state.startedAt) : this.platform.clock.now();
    const proc: LiveProcess = { pid, startTime, exited: watch.exited, own: false, startedAtMs };
    this.proc = proc;
    void proc.exited.then((exit) => this.queue.run(() => this.onExit(proc, exit)));
    if (this.state.status === 'starting') this.transition('running');
    this.startHealth();
    return true;
  }

  /** Handles the end of a process that nobody asked to stop: restart policy and backoff. */
  private async onExit(proc: LiveProcess, exit: ProcessExit): Promise<void> {
    if (this.proc !== proc) return;
    this.proc = null;
    this.cancelForeign = null;
    if (!proc.own) this.platform.removeCgroupOfMarker(this.marker); // our own children release theirs (spawn.ts)
    this.stopHealth();
    if (this.stopping) return; // the stop operation finishes the bookkeeping
    const stoppedAt = new Date().toISOString();
    // The last lines first: retention and anyone reacting to the exit must see the whole output.
    await this.drained();
    const unknown = !proc.own && exit.code === null && exit.signal === null;
    const failedRun = unknown || exit.code !== 0;
    const how = unknown
      ? 'ended while the daemon was restarted (exit status unknown)'
      : exit.signal
        ? `killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
    const hooks = this.spec.hooks;
    if (hooks.post_exit) {
      this.postExitHook = this.host
        .runServiceHook(this.name, 'post_exit', hooks.post_exit)
        .then(() => undefined);
    }
    if (this.spec.logs.retention.onExit === 'clear') this.host.logs.clear(this.name, { by: 'on_exit' });
    const policy = this.spec.restart.policy;
    const restart = this.desired === 'run' && (policy === 'always' || (policy === 'on-failure' && failedRun));
    const patch = { pid: null, exitCode: exit.code, signal: exit.signal, stoppedAt };
    if (!restart) {
      this.desired = 'stop';
      this.transition(failedRun ? 'failed' : 'exited', { ...patch, reason: failedRun ? how : null });
      return;
    }
    if (this.platform.clock.now() - proc.startedAtMs >= this.spec.restart.backoff.resetAfterMs)
      this.consecutiveCrashes = 0;
    const delay = backoffDelayMs(this.consecutiveCrashes, this.spec.restart.backoff);
    this.consecutiveCrashes++;
    this.transition('restarting', {
      ...patch,
      restarts: this.state.restarts + 1,
      reason: `${how}; restarting${delay > 0 ? ` in ${delay} ms` : ''}`,
    });
    this.host.restartInitiated(this.name);
    if (delay === 0) {
      await this.doLaunch('auto'); // still inside this queue slot: no timer hop on the hot path
      return;
    }
    this.restartTimer = this.platform.clock.setTimeout(() => {
      this.restartTimer = null;
      void this.queue.run(() => this.doLaunch('auto'));
    }, delay);
  }

  /** Stops the service (and everything it started). `then` runs inside the same queue slot. */
  stop(opts: StopOptions = {}): Promise<void> {
    if (opts.afterwards !== 'waiting') {
      this.desired = 'stop';
      this.launchAbort?.abort();
    }
    return this.queue.run(() => this.doStop(opts));
  }

  private async doStop(opts: StopOptions): Promise<void> {
    const requeue = opts.afterwards === 'waiting';
    // A restart's stop keeps the wish to run: dependents evaluating meanwhile must see "will restart".
    this.desired = requeue || opts.restarting ? 'run' : 'stop';
    this.clearRestartTimer();
    if (!this.proc) {
      const s = this.state.status;
      if (requeue) {
        if (s !== 'waiting' && s !== 'stopped') this.transition('stopped', { reason: null });
        this.transition('waiting', { reason: null });
      } else if (s === 'waiting' || s === 'restarting' || s === 'starting') {
        this.transition('stopped', { reason: null });
        // Stopped between crash restarts (or before its launch): still a stop, so on_stop applies.
        if (s === 'restarting' && this.spec.logs.retention.onStop === 'clear' && !opts.restarting) {
          await this.drained();
          this.host.logs.clear(this.name, { by: 'on_stop' });
        }
      }
      return;
    }
    const proc = this.proc;
    this.stopping = true;
    try {
      this.stopHealth();
      this.transition('stopping', { reason: null });
      const hooks = this.spec.hooks;
      if (hooks.pre_stop) await this.host.runServiceHook(this.name, 'pre_stop', hooks.pre_stop);
      const signal = (opts.signal ?? this.spec.stopSignal) as NodeJS.Signals;
      if (proc.own || this.platform.isSameProcess(proc.pid, proc.startTime)) {
        await this.platform.stopProcessTree({
          pid: proc.pid,
          pgid: proc.pid,
          marker: this.marker,
          signal,
          graceMs: this.spec.stopGracePeriodMs,
          exited: proc.exited,
        });
      } else {
        this.cancelForeign?.();
      }
      const exit = proc.own ? await proc.exited : { code: null, signal: null };
      this.proc = null;
      this.cancelForeign = null;
      this.transition('stopped', {
        pid: null,
        exitCode: exit.code,
        signal: exit.signal,
        stoppedAt: new Date().toISOString(),
        reason: null,
      });
      if (opts.manual !== false && hooks.post_stop) {
        await this.host.runServiceHook(this.name, 'post_stop', hooks.post_stop);
      }
      if (this.spec.logs.retention.onStop === 'clear' && !requeue && !opts.restarting) {
        await this.drained(); // late lines must not land after the clear
        this.host.logs.clear(this.name, { by: 'on_stop' });
      }
    } finally {
      this.stopping = false;
    }
    if (requeue) this.transition('waiting', { reason: null });
  }

  /** User restart: the seed's hook order pre_restart, pre_stop, stop, post_stop, pre_start, spawn, post_start, post_restart. */
  restart(opts: { signal?: string } = {}): Promise<void> {
    return this.queue.run(async () => {
      await this.doRestartStop(opts);
      this.desired = 'run';
      await this.doLaunch('restart');
    });
  }

  /**
   * The first half of a restart (pre_restart, pre_stop, stop, post_stop). The launch follows through
   * the config's dependency evaluation, and runs post_start then post_restart.
   */
  restartStop(opts: { signal?: string } = {}): Promise<void> {
    return this.queue.run(() => this.doRestartStop(opts));
  }

  private async doRestartStop(opts: { signal?: string }): Promise<void> {
    const hooks = this.spec.hooks;
    if (hooks.pre_restart) await this.host.runServiceHook(this.name, 'pre_restart', hooks.pre_restart);
    this.host.restartInitiated(this.name);
    await this.doStop({ signal: opts.signal, restarting: true });
    this.consecutiveCrashes = 0;
    this.state.restarts += 1;
    this.postRestartPending = true;
  }

  /** Fails a waiting service (dependency timeout or a dependency that can never be satisfied). */
  failWaiting(reason: string): void {
    if (this.state.status !== 'waiting') return;
    this.desired = 'stop';
    this.transition('failed', { reason, stoppedAt: new Date().toISOString() });
  }

  /** Waits for every queued operation on this service to finish. */
  idle(): Promise<void> {
    return this.queue.run(() => undefined);
  }

  /** Daemon shutdown without stopping (used by tests simulating a crash): detach everything. */
  detach(): void {
    this.clearRestartTimer();
    this.stopHealth();
    this.cancelForeign?.();
    for (const r of [this.readers.stdout, this.readers.stderr]) r?.destroy();
  }

  get isTerminal(): boolean {
    return isTerminal(this.state.status);
  }

  private startHealth(): void {
    const check = this.spec.healthcheck;
    if (!check) return;
    this.stopHealth();
    const monitor = new HealthMonitor(
      check,
      (test, timeoutMs, signal) => this.host.runProbe(this.spec, test, timeoutMs, signal),
      {
        onError: (err) =>
          this.host.logError(`health check of ${this.name}: ${(err as Error)?.message ?? String(err)}`),
        onResult: (r) => {
          this.state.healthFailures = r.failures;
          this.state.lastHealthOutput = r.output;
        },
        onHealthy: () => {
          if (this.health !== monitor || !isActive(this.state.status) || this.state.status === 'stopping')
            return;
          this.transition('healthy', { health: 'healthy', wasHealthy: true });
          const hook = this.spec.hooks.post_healthcheck_success;
          if (hook) void this.host.runServiceHook(this.name, 'post_healthcheck_success', hook);
        },
        onUnhealthy: () => {
          if (this.health !== monitor || !isActive(this.state.status) || this.state.status === 'stopping')
            return;
          this.transition('unhealthy', { health: 'unhealthy' });
          const hook = this.spec.hooks.post_healthcheck_fail;
          if (hook) void this.host.runServiceHook(this.name, 'post_healthcheck_fail', hook);
        },
      },
    );
    this.health = monitor;
    monitor.start();
  }

  private stopHealth(): void {
    this.health?.stop();
    this.health = null;
  }

  private clearRestartTimer(): void {
    this.platform.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}

/**
 * Resolves the user and group of the service and of each of its hooks (a hook's own `user` wins):
 * the first that names an unknown user or group, as a one-line reason, or null when all resolve.
 * Does not check that the daemon may switch to them (spawnService does).
 */
export function unresolvableUser(
  spec: Pick<BakedService, 'user' | 'group' | 'hooks'>,
  resolveUser: Platform['resolveUser'] = linuxPlatform.resolveUser,
): string | null {
  const targets: Array<[string, string | null, string | null]> = [['', spec.user, spec.group]];
  for (const [name, hook] of Object.entries(spec.hooks)) {
    if (hook) targets.push([`${name} hook: `, hook.user, hook.group]);
  }
  for (const [prefix, user, group] of targets) {
    if (user === null && group === null) continue;
    try {
      resolveUser(user, group);
    } catch (e) {
      if (e instanceof PlatformError) return `${prefix}${e.message}`;
      throw e;
    }
  }
  return null;
}
