import type { BakedConfig } from '@kepler/config';
import type { LogLine, ServiceInfo, UpPlan } from '@kepler/protocol';
import { isActive, PENDING_OR_ACTIVE_STATUSES } from '@kepler/protocol';
import { sourcesOf } from '../bake/bakeOffThread.js';
import { hashesByPath } from '../bake/bakeSources.js';
import { DaemonError } from '../errors.js';
import type { BatchLimits, LogReadQuery } from '../logs/index.js';
import { OpQueue } from '../service/OpQueue.js';
import type { ServiceRuntime } from '../service/ServiceRuntime.js';
import { toServiceInfo } from '../service/serviceState.js';
import { ConfigHost } from './ConfigHost.js';
import { startupCluster, stopOrder, withDependencies } from './dependencies/dependencies.js';
import { diffSnapshots } from './snapshotDiff.js';

export { readSourcePath } from './ConfigDirectory.js';
export type { ConfigListener } from './ConfigEvents.js';

/** What a start or restart does, known before it runs any hook (see `onPlanned`). */
export interface StartPlan {
  readonly started: readonly string[];
  readonly alreadyRunning: readonly string[];
}

type StartOutcome = { started: string[]; alreadyRunning: string[]; targets: string[] };

/**
 * Everything Kepler knows and does for one config file: the user's operations on its services.
 * Config-wide operations (start/stop/restart all, recreate, removal) go through one queue; each
 * service additionally serialises its own operations (service/ServiceRuntime). What the services
 * ask of their config (records, events, dependency gating, hooks, watching, recovery) is ConfigHost.
 */
export class ConfigActor extends ConfigHost {
  private readonly queue = new OpQueue();

  // ---- operations -------------------------------------------------------------------------------

  /**
   * Start: the named services (or all) and, transitively, what they depend on. Services already
   * running or pending are left alone. Returns once every service is either waiting on its
   * dependencies or launched; readiness is observed through events.
   */
  start(
    names: readonly string[],
    opts: { onPlanned?: (plan: StartPlan) => void } = {},
  ): Promise<StartOutcome> {
    this.checkNames(names);
    return this.queue.run(async () => {
      this.assertLive();
      return this.startNow(names, opts);
    });
  }

  /** Recovery, then `kepler start` of the `restart: always` services the last shutdown stopped running. */
  override recover(): string[] {
    const resumed = super.recover();
    if (resumed.length)
      void this.start(resumed).catch((e) => this.log(`${this.path}: ${(e as Error).message}`));
    return resumed;
  }

  /**
   * `kepler up`: replaces the running snapshot by `next` (freshly baked) and applies the difference
   * (snapshotDiff.ts): services whose definition changed, and their `restart: true` dependents, are
   * stopped if they run and started again; removed ones are stopped; unchanged ones keep their
   * process. Then it starts like `start` (the named services, or all). `dryRun`: the plan alone.
   * `noStart` (the ad-hoc config's edits): applies the plan and starts nothing, not even what it stopped.
   */
  up(
    next: BakedConfig,
    names: readonly string[],
    opts: {
      dryRun?: boolean;
      noStart?: boolean;
      onPlan?: (plan: UpPlan) => void;
      onPlanned?: (plan: StartPlan) => void;
    } = {},
  ): Promise<StartOutcome & { plan: UpPlan }> {
    this.checkNames(names, next);
    return this.queue.run(async () => {
      this.assertLive();
      const nextSources = sourcesOf(next);
      const plan = diffSnapshots(this.baked, next, {
        running: this.sources && hashesByPath(this.sources),
        next: nextSources && hashesByPath(nextSources),
      });
      opts.onPlan?.(plan);
      if (opts.dryRun) return { plan, started: [], alreadyRunning: [], targets: [] };
      const again = await this.applyPlan(next, plan);
      if (opts.noStart) return { plan, started: [], alreadyRunning: [], targets: [] };
      // Recreated services that ran run again, named or not: the snapshot was replaced whole.
      const wanted = names.length ? [...new Set([...names, ...again])] : [];
      return { plan, ...(await this.startNow(wanted, opts)) };
    });
  }

  /** Stops what the plan replaces or removes, swaps the snapshot in; returns what ran and must run again. */
  private async applyPlan(next: BakedConfig, plan: UpPlan): Promise<string[]> {
    const action = new Map(plan.services.map((c) => [c.service, c.action]));
    const busy = [...this.services.values()].filter(
      (rt) => action.get(rt.name) !== 'unchanged' && this.hasToStop(rt),
    );
    const again = busy.filter((rt) => action.get(rt.name) !== 'remove').map((rt) => rt.name);
    for (const rt of busy) rt.withdrawWish();
    const order = stopOrder(
      this.baked,
      busy.map((rt) => rt.name),
    );
    await this.stopEach(order, `up of ${this.path}: stops had errors: `);
    const unchanged = plan.services.filter((c) => c.action === 'unchanged').map((c) => c.service);
    await this.adoptSnapshot(next, new Set(unchanged));
    return again;
  }

  /** The body of start, inside the queue (also the second half of `up`). */
  private async startNow(
    names: readonly string[],
    opts: { onPlanned?: (plan: StartPlan) => void },
  ): Promise<StartOutcome> {
    const targets = withDependencies(this.baked, names.length ? names : this.baked.serviceOrder);
    const started: string[] = [];
    const alreadyRunning: string[] = [];
    for (const name of targets) {
      const rt = this.services.get(name)!;
      if (PENDING_OR_ACTIVE_STATUSES.has(rt.state.status) && rt.desired === 'run') alreadyRunning.push(name);
      else started.push(name);
    }
    // Refused before the plan is reported: a foreground start must not announce what it will follow.
    const refused = started.map((n) => this.launchRefusal(n)).filter((r) => r !== null);
    if (refused.length > 0) throw new DaemonError('SERVICES_RUNNING', `cannot start ${refused.join('; ')}`);
    opts.onPlanned?.({ started, alreadyRunning });
    const result = { started, alreadyRunning, targets };
    if (started.length === 0) return result;
    this.records.warning = null; // reported until the user acts on the config
    if (!this.snapshotWritten) await this.writeSnapshot();
    if (!this.records.globalInitDone && this.baked.kepler.hooks.on_init) {
      if (!(await this.hooks.runGlobalHook('on_init'))) return this.failAll(started, 'on_init', result);
    }
    if (!this.records.globalInitDone) {
      this.records.globalInitDone = true;
      this.persist();
    }
    if (!(await this.hooks.runGlobalHook('pre_start'))) return this.failAll(started, 'pre_start', result);
    for (const name of started) this.gate.wait(this.services.get(name)!);
    this.gate.evaluate();
    if (this.baked.kepler.hooks.post_start)
      void this.launched(this.startupOnly(started)).then(() => this.hooks.runGlobalHook('post_start'));
    return result;
  }

  /** Stop: the named services, or all (dependents first, then reverse config order) with global hooks. */
  stop(
    names: readonly string[],
    opts: { signal?: string; clean?: boolean; shutdown?: boolean } = {},
  ): Promise<{ stopped: string[]; cleaned: boolean }> {
    this.checkNames(names);
    return this.queue.run(async () => {
      this.assertLive();
      const all = names.length === 0;
      const order = stopOrder(this.baked, all ? this.baked.serviceOrder : names);
      const toStop = order.filter((n) => this.hasToStop(this.services.get(n)!));
      this.records.warning = null; // reported until the user acts on the config
      // Withdraw the wish first, so nothing waiting launches while we stop its neighbours.
      for (const n of toStop) this.services.get(n)!.withdrawWish(opts.shutdown);
      if (all && toStop.length) await this.hooks.runGlobalHook('pre_stop');
      await this.stopEach(toStop, `stop of ${this.path} had errors: `, opts);
      if (all && toStop.length) await this.hooks.runGlobalHook('post_stop');
      const cleaned = opts.clean === true && all;
      if (cleaned) await this.hooks.runGlobalHook('pre_cleanup');
      // Last, as a service's stop ends what its hooks left: what global hooks left running ends too.
      if (all) await this.hooks.endGlobalLeftovers();
      return { stopped: toStop, cleaned };
    });
  }

  /**
   * Restart: only services that are running (all running ones when none is named). They stop
   * dependents first, then start again through dependency evaluation, so a dependent waits for its
   * restarted dependency's condition. Services restarted together do not also propagate to each other.
   * `restarted` is the services restarted by name; the plan adds the `restart: true` dependents that
   * restart with them (DependencyGate.propagateRestart), which `--wait` waits for too.
   */
  restart(
    names: readonly string[],
    opts: { signal?: string; onPlanned?: (plan: StartPlan) => void } = {},
  ): Promise<{ restarted: string[] }> {
    this.checkNames(names);
    return this.queue.run(async () => {
      this.assertLive();
      const all = names.length === 0;
      const running = (all ? this.baked.serviceOrder : names).filter((n) =>
        isActive(this.services.get(n)!.state.status),
      );
      opts.onPlanned?.({ started: [...running, ...this.gate.restartedWith(running)], alreadyRunning: [] });
      if (running.length === 0) return { restarted: [] };
      if (all) await this.hooks.runGlobalHook('pre_restart');
      await this.gate.restartTogether(running, async () => {
        for (const n of stopOrder(this.baked, running))
          await this.services.get(n)!.restartStop({ signal: opts.signal });
      });
      for (const n of running) this.gate.wait(this.services.get(n)!);
      this.gate.evaluate();
      if (all) {
        void this.launched(this.startupOnly(running)).then(() => this.hooks.runGlobalHook('post_restart'));
      }
      return { restarted: running };
    });
  }

  /** Replaces the snapshot (recreate): only while every service is stopped. */
  recreate(baked: BakedConfig): Promise<void> {
    return this.queue.run(async () => {
      this.assertLive();
      // `desired: run` with a terminal status is the middle of a restart: busy too.
      const busy = [...this.services.values()].filter(
        (rt) => PENDING_OR_ACTIVE_STATUSES.has(rt.state.status) || rt.desired === 'run',
      );
      if (busy.length) {
        throw new DaemonError(
          'SERVICES_RUNNING',
          `cannot recreate ${this.path} while services run (${busy.map((r) => r.name).join(', ')}): \`kepler up\` applies changes without stopping everything (or \`kepler stop\` first)`,
        );
      }
      await this.adoptSnapshot(baked);
    });
  }

  // ---- reading ----------------------------------------------------------------------------------

  ps(): ServiceInfo[] {
    return [...this.services.values()].map((rt) => this.infoOf(rt));
  }

  /** One service as `ps` shows it (also `inspect`'s row): state, unstored output, unmet soft edges, port. */
  infoOf(rt: ServiceRuntime): ServiceInfo {
    return toServiceInfo(
      this.path,
      rt.name,
      rt.state,
      this.logs.notStored(rt.name),
      this.gate.unmetSoftEdges(rt),
      this.networkInfo(rt.name),
    );
  }

  /** Marks the lines of services whose `logs.timestamp` is false, so text views leave the time out. */
  forDisplay(lines: LogLine[]): LogLine[] {
    const global = this.baked.kepler.logs.timestamp;
    const shows = (service: string) => this.baked.services[service]?.logs.timestamp ?? global;
    return lines.map((l) => (shows(l.service) ? l : { ...l, timestamp: false }));
  }

  readLogs(q: LogReadQuery): LogLine[] {
    this.checkNames(q.services);
    return this.logs.read(q);
  }

  /** Stored lines in batches for sending (see LogStore.readBatches); checks the names first. */
  readLogBatches(q: LogReadQuery, limits: BatchLimits): Generator<LogLine[]> {
    this.checkNames(q.services);
    return this.logs.readBatches(q, limits);
  }

  get runningCount(): number {
    return [...this.services.values()].filter((rt) => isActive(rt.state.status)).length;
  }

  get isIdle(): boolean {
    if (this.untracked.refusals().length > 0) return false; // prune must not orphan them
    return [...this.services.values()].every((rt) => !PENDING_OR_ACTIVE_STATUSES.has(rt.state.status));
  }

  // ---- the end of a config ----------------------------------------------------------------------

  /**
   * Stops everything (`prune --force`, or with `shutdown` the daemon's shutdown: hooks and statuses as
   * a stop, but retention keeps the logs, which survive daemon restarts).
   */
  async stopAll(opts: { shutdown?: boolean } = {}): Promise<void> {
    await this.stop([], opts);
  }

  /**
   * Removes the config's directory (stop --clean, prune) in the config's queue, after whatever was
   * queued before it. Operations queued after it fail with CONFIG_NOT_LOADED: the registry forgets it.
   */
  remove(): Promise<void> {
    return this.queue.run(async () => {
      this.removed = true;
      this.book.syncConfig(this.path, null);
      const recordsStopped = this.records.remove(); // nothing is written into the tree from here on
      for (const rt of this.services.values()) rt.detach();
      this.watchers.close();
      this.gate.close();
      this.logs.closeAll();
      await recordsStopped;
      this.dir.remove();
    });
  }

  /**
   * `kepler down` after its stop: forgets the snapshot, so the next command bakes the file afresh, and
   * ends this actor (the registry forgets it; operations queued after it fail with CONFIG_NOT_LOADED).
   * The state directory (state.json, logs) stays.
   */
  forgetSnapshot(): Promise<void> {
    return this.queue.run(async () => {
      this.removed = true;
      this.book.syncConfig(this.path, null);
      this.close();
      this.logs.closeAll();
      this.dir.forgetSnapshot();
    });
  }

  /** Flushes logs and state (daemon shutdown). */
  close(): void {
    this.watchers.close();
    this.gate.close();
    for (const rt of this.services.values()) rt.detach();
    this.logs.flushAll();
    this.records.close();
  }

  /** Resolves once a state write that was in flight at close has finished (tests remove the tree). */
  settled(): Promise<void> {
    return this.records.settled();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** Stops `order` one by one, with their untracked processes; failures are logged after `failed`. */
  private async stopEach(
    order: readonly string[],
    failed: string,
    stop: { signal?: string; shutdown?: boolean } = {},
  ): Promise<void> {
    const failures: string[] = [];
    for (const n of order) {
      const rt = this.services.get(n)!;
      // One service's failure must not leave the others running.
      await rt
        .stop(stop)
        .then(() => this.untracked.stop(rt, stop.signal))
        .catch((e: unknown) => failures.push(`${n}: ${(e as Error).message}`));
    }
    if (failures.length) this.log(`${failed}${failures.join('; ')}`);
  }

  private failAll<T>(names: readonly string[], hook: 'on_init' | 'pre_start', result: T): T {
    for (const name of names) this.services.get(name)!.failLaunch(`global ${hook} hook failed`);
    return result;
  }

  /** The names in the startup cluster: deferred services may never start, global post hooks do not wait on them. */
  private startupOnly(names: readonly string[]): string[] {
    const cluster = startupCluster(this.baked, new Set(names));
    return names.filter((n) => cluster.has(n));
  }

  /**
   * Resolves once every named service has been launched (or has ended) and its post_start /
   * post_restart hooks have finished: global post_* hooks wait on it, so they come last.
   */
  private async launched(names: readonly string[]): Promise<void> {
    await this.untilEvery(names, (n) => {
      const rt = this.services.get(n)!;
      const s = rt.state.status;
      return rt.desired === 'stop' || (s !== 'waiting' && s !== 'starting' && s !== 'stopped');
    });
    await Promise.all(names.map((n) => this.services.get(n)!.postLaunchHooks));
  }

  /** Resolves once the config-wide operations queued so far have run (a stop: its post_stop hooks too). */
  operationsDone(): Promise<void> {
    return this.queue.run(() => undefined);
  }

  /** Throws UNKNOWN_SERVICE naming each of `names` the config has no service of (and the ones it has). */
  checkNames(names: readonly string[], baked: BakedConfig = this.baked): void {
    checkServiceNames(this.path, baked, names);
  }

  private assertLive(): void {
    if (this.removed) {
      throw new DaemonError(
        'CONFIG_NOT_LOADED',
        `${this.path} was removed meanwhile (stop --clean, down or prune): run the command again`,
      );
    }
  }
}

/** checkNames for `baked`, the config at `path`, loaded or not (`up --dry-run` of an unloaded one). */
export function checkServiceNames(path: string, baked: BakedConfig, names: readonly string[]): void {
  const unknown = names.filter((n) => !(n in baked.services));
  if (unknown.length === 0) return;
  const services = `(services: ${baked.serviceOrder.join(', ')})`;
  const noSuch = `no such service${unknown.length > 1 ? 's' : ''}`;
  throw new DaemonError('UNKNOWN_SERVICE', `${noSuch} in ${path}: ${unknown.join(', ')} ${services}`);
}
