import type { BakedConfig, BakedHook, ServiceHookName } from '@kepler/config';
import type { DependencyEdge, HealthResult, ServiceStatus } from '@kepler/protocol';
import { isActive, isTerminal, PENDING_OR_ACTIVE_STATUSES } from '@kepler/protocol';
import { sourcesOf } from '../bake/bakeOffThread.js';
import { changedSources, type SourceFile } from '../bake/bakeSources.js';
import { ConfigHooks } from '../hooks/ConfigHooks.js';
import { LogStore } from '../logs/index.js';
import { linuxPlatform, type Platform } from '../platform/index.js';
import { assignPort, type PortAssignment, PortBook, type RouteTarget } from '../ports/index.js';
import type { NewSpawn, ServiceHost } from '../service/ServiceHost.js';
import { ServiceRuntime } from '../service/ServiceRuntime.js';
import { withPort } from '../service/SupervisedProcess.js';
import {
  type NetworkInfo,
  type PersistedConfigState,
  type ServiceState,
  toPersisted,
  toServiceInfo,
} from '../service/serviceState.js';
import { ServiceWatchers } from '../watch/ServiceWatchers.js';
import { ConfigDirectory } from './ConfigDirectory.js';
import { ConfigEvents, type ConfigListener, type HealthListener } from './ConfigEvents.js';
import { DependencyGate } from './dependencies/DependencyGate.js';
import { planRecovery } from './recovery.js';
import { ConfigRecords } from './state/ConfigRecords.js';
import { UntrackedProcesses } from './UntrackedProcesses.js';

/**
 * One config's services and what they ask of it (ServiceHost): their records on disk, the event
 * stream, dependency gating, hooks, file watching, and recovery at start-up. ConfigActor adds the
 * user's operations on top. The parts live beside it: ConfigDirectory (files), state/ConfigRecords
 * (state.json, spawned/), DependencyGate (waiting, launching, restart propagation), ConfigEvents (the
 * event stream), recovery.ts (the start-up planner).
 */
export class ConfigHost implements ServiceHost {
  readonly services = new Map<string, ServiceRuntime>();
  readonly logs: LogStore;
  readonly outputDir: string;
  protected readonly dir: ConfigDirectory;
  protected readonly events = new ConfigEvents();
  protected readonly records: ConfigRecords;
  protected readonly gate: DependencyGate;
  protected readonly hooks: ConfigHooks;
  protected readonly watchers = new ServiceWatchers((line) => this.log(`${this.path}: ${line}`));
  /** Live processes of services whose record was lost (see UntrackedProcesses). */
  readonly untracked: UntrackedProcesses;
  protected snapshotWritten: boolean;
  /** What the snapshot was baked from (null: not recorded, e.g. a snapshot of an older daemon). */
  protected sources: readonly SourceFile[] | null;
  protected removed = false;

  constructor(
    public baked: BakedConfig,
    readonly configDir: string,
    protected readonly log: (line: string) => void = () => undefined,
    /** The OS (linuxPlatform in the daemon; a fake in the in-process tests). */
    readonly platform: Platform = linuxPlatform,
    /** The daemon's ports and host names, shared by every config (one of its own in tests). */
    protected readonly book: PortBook = new PortBook(),
  ) {
    this.dir = new ConfigDirectory(configDir);
    this.dir.create();
    this.outputDir = this.dir.outputDir;
    this.logs = new LogStore({
      dir: this.dir.logsDir,
      settings: (service) => this.baked.services[service]?.logs ?? this.baked.kepler.logs,
      onError: (err) => log(err.message),
      onResumed: log,
    });
    this.snapshotWritten = this.dir.hasSnapshot();
    this.sources = sourcesOf(baked) ?? (this.snapshotWritten ? this.dir.readSources() : null);
    this.records = new ConfigRecords(this.dir, () => this.persistedState(), log);
    this.gate = new DependencyGate({
      baked: () => this.baked,
      service: (name) => this.services.get(name),
      live: () => !this.removed,
      progress: (service, message) => this.events.progress(service, message),
    });
    this.hooks = new ConfigHooks({
      platform,
      logs: this.logs,
      baked: () => this.baked,
      serviceIdOf: (owner) => this.serviceIdOf(owner),
      progress: (owner, message) => this.events.progress(owner, message),
      log: (line) => this.log(`${this.path}: ${line}`),
    });
    this.untracked = new UntrackedProcesses(baked.sourcePath, platform);
    for (const name of baked.serviceOrder) {
      this.services.set(name, new ServiceRuntime(baked.services[name]!, this));
    }
    const loaded = this.records.load(baked.serviceOrder, this.snapshotWritten, this.path);
    for (const [name, { state, desired }] of loaded) this.services.get(name)?.restore(state, desired);
    this.syncNetwork();
    this.dir.recordSourcePath(this.path);
    // Restored from a snapshot: the copies already match it; the source may have been edited since.
    if (!this.snapshotWritten) this.dir.copySources(this.baked);
  }

  get path(): string {
    return this.baked.sourcePath;
  }

  /** The config's id in service ids: its directory's name (sha256 of the path), truncated. */
  get id(): string {
    return this.dir.configId;
  }

  // ---- what its services ask of it (ServiceHost) --------------------------------------------------

  /** `<config id>.<service>`: what the marker of everything started for `service` carries. */
  serviceIdOf(service: string): string {
    return `${this.id}.${service}`;
  }

  /** Persists every service's state (coalesced, off the event loop: see StateFile). */
  persist(): void {
    this.records.schedule();
  }

  recordSpawn(service: string, spawn: NewSpawn): void {
    this.records.recordSpawn(service, spawn);
  }

  statusChanged(name: string, previous: ServiceStatus, state: ServiceState): void {
    const info = toServiceInfo(this.path, name, state, 0, [], this.networkInfo(name));
    this.events.emit({
      type: 'serviceStatusChanged',
      service: name,
      status: state.status,
      previous,
      reason: state.reason,
      info,
    });
    const desired = this.services.get(name)?.desired ?? 'stop';
    this.records.statusChanged(name, state.status, state.spawns, desired);
    if (this.services.get(name)?.spec.hostname !== undefined) this.book.touch(); // the proxy's routes
    this.updateWatcher(name);
    this.gate.changed(name, state.status);
  }

  runServiceHook(
    service: string,
    hookName: ServiceHookName,
    hook: BakedHook,
    signal?: AbortSignal,
  ): Promise<string | null> {
    const port = this.services.get(service)?.state.port ?? null;
    const run = { ...hook, environment: withPort(hook.environment, port) };
    return this.hooks.runServiceHook(service, hookName, run, signal);
  }

  restartInitiated(name: string): Promise<void> {
    return this.gate.propagateRestart(name);
  }

  logError(message: string): void {
    this.log(message);
  }

  launchRefusal(service: string): string | null {
    return this.untracked.refusal(service);
  }

  assignPort(service: string): Promise<PortAssignment> {
    const rt = this.services.get(service);
    if (!rt) return Promise.resolve({ port: null });
    return assignPort({
      spec: rt.spec,
      ref: { config: this.path, service },
      previous: rt.state.port,
      book: this.book,
      findPortHolders: (port) => this.platform.findPortHolders(port),
      target: () => this.routeTarget(service),
    });
  }

  // ---- ports and host names -----------------------------------------------------------------------

  /** What the proxy reads of a routed service at each request (by name: a new snapshot replaces runtimes). */
  private routeTarget(service: string): RouteTarget {
    const rt = this.services.get(service);
    return rt ? { status: rt.state.status, port: rt.state.port } : { status: 'stopped', port: null };
  }

  /** The service's port and proxy URL for `ps`, `inspect` and events. */
  networkInfo(service: string): NetworkInfo {
    const rt = this.services.get(service);
    if (!rt) return {};
    const hostname = rt.spec.hostname;
    const owned = hostname !== undefined && this.book.route(hostname)?.config === this.path;
    // The current definition's: a fixed port before its first start too; none once a new snapshot
    // dropped it (the state keeps the last start's port, which `auto` reuses).
    const { port: wanted } = rt.spec;
    const port = wanted === undefined ? null : wanted === 'auto' ? rt.state.port : wanted;
    return {
      ...(port !== null ? { port } : {}),
      ...(owned ? { url: this.book.urlOf(hostname) } : {}),
    };
  }

  /**
   * Tells the book the hostnames this config declares (after a load or a new snapshot), and takes back
   * the ports and hostnames its services held before a daemon restart (they had started).
   */
  protected syncNetwork(): void {
    const hostnames = new Map<string, string>();
    for (const [name, rt] of this.services) if (rt.spec.hostname) hostnames.set(name, rt.spec.hostname);
    this.book.syncConfig(this.path, hostnames);
    for (const [service, rt] of this.services) {
      if (rt.state.port === null) continue;
      this.book.reserve({ config: this.path, service }, rt.state.port);
      const hostname = rt.spec.hostname;
      if (hostname === undefined) continue;
      const target = () => this.routeTarget(service);
      const holder = this.book.claim({ config: this.path, service, hostname, target });
      if (holder) this.log(`${this.path}: ${service}: hostname ${hostname} is routed to ${holder.config}`);
    }
  }

  // ---- start-up ---------------------------------------------------------------------------------

  /**
   * After a daemon restart: adopt services whose process survived (same pid AND start time), finish
   * stops a crash interrupted, and apply restart policies to those that died while no daemon watched
   * them (config/recovery.ts plans; each service applies its plan through its transitions). Returns
   * the services the last shutdown stopped that are to start again (`resume`: ConfigActor starts them).
   */
  recover(): string[] {
    const platform = this.platform;
    const resumed: string[] = [];
    const restarted: string[] = [];
    for (const rt of this.services.values()) {
      const { state } = rt;
      const facts = this.records.recoveryFacts(rt.name);
      const journal = facts.journal;
      const plan = planRecovery({
        state,
        desired: rt.desired,
        resumeAfterShutdown: rt.takeResumeMark(),
        ...facts,
        // Getters: a /proc lookup each, made only when the plan needs to know.
        get recordAlive() {
          return (
            state.pid !== null &&
            state.startTime !== null &&
            platform.isSameProcess(state.pid, state.startTime)
          );
        },
        get journalAlive() {
          return journal !== null && platform.isSameProcess(journal.pid, journal.startTime);
        },
        restartPolicy: rt.spec.restart.policy,
      });
      if (plan.underWay) this.untracked.underWayAtCrash(rt, plan.underWay);
      rt.applyRecovery(plan);
      if (plan.action === 'resume') resumed.push(rt.name);
      if (plan.action === 'diedWhileDown' && plan.desired === 'run') restarted.push(rt.name);
      if (plan.action === 'adopt') this.updateWatcher(rt.name); // no status change armed restart.watch
      // Waiting on its dependencies again: with its dependency timeouts armed.
      if (rt.state.status === 'waiting') this.gate.armTimers(rt);
    }
    // Once every service is adopted: a dependency that died while down restarts, so `restart: true` dependents do.
    for (const name of restarted) void this.gate.propagateRestart(name);
    for (const line of this.untracked.detect(this.records.suspects, this.services)) this.log(line);
    // Written before the load is answered: a first use leaves a complete state directory behind.
    this.records.writeNow();
    this.gate.evaluate();
    if (resumed.length > 0)
      this.log(
        `${this.path}: starting ${resumed.join(', ')} again (restart: always, ran at the last shutdown)`,
      );
    return resumed;
  }

  /** A stop has work to do: the service is wanted, pending or active, or has untracked processes. */
  protected hasToStop(rt: ServiceRuntime): boolean {
    return (
      rt.desired === 'run' || PENDING_OR_ACTIVE_STATUSES.has(rt.state.status) || this.untracked.has(rt.name)
    );
  }

  /**
   * The files the snapshot was baked from (the config, a Lua file, an env file) that changed since:
   * one `stat` per file, a hash only when the stat differs (see bake/bakeSources.ts). Empty when none
   * changed or the sources were not recorded.
   */
  changedSourcePaths(): string[] {
    return this.sources === null ? [] : changedSources(this.sources).map((file) => file.path);
  }

  /**
   * Config-level warnings for `ps`: state.json was corrupt at load, untracked processes are alive, the
   * reverse proxy cannot listen while this config declares a hostname (its URLs lead nowhere).
   */
  warnings(): string[] {
    const found = this.untracked.refusals();
    const problem = this.book.proxyProblem;
    if (problem !== null && [...this.services.values()].some((rt) => rt.spec.hostname !== undefined))
      found.push(`${problem}: hostnames are not routed`);
    return this.records.warning === null ? found : [this.records.warning, ...found];
  }

  /** Each `depends_on` edge of `service` with its verdict now (`inspect`). */
  dependencyEdges(service: string): DependencyEdge[] {
    return this.gate.edges(service);
  }

  subscribe(listener: ConfigListener): () => void {
    return this.events.subscribe(listener);
  }

  /** Each health check's result as it finishes (the HTTP API's event stream). */
  subscribeHealth(listener: HealthListener): () => void {
    return this.events.subscribeHealth(listener);
  }

  healthChecked(name: string, result: HealthResult & { readonly failures: number }): void {
    this.events.healthChecked(name, result);
  }

  /** Resolves when `holds` is true of every named service (see watchEvery), or on abort. */
  untilEvery(names: readonly string[], holds: (name: string) => boolean, abort?: AbortSignal): Promise<void> {
    return this.events.untilEvery(names, holds, abort);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /**
   * Replaces the snapshot by `next` (recreate, up). Services named in `unchanged` keep their runtime,
   * and so their process, with the new definition; every other service of `next` gets a new runtime
   * that continues its predecessor's state (stopped by the caller); services `next` lacks are
   * detached. Then the copies of the sources, the snapshot and state.json are written.
   */
  protected async adoptSnapshot(
    next: BakedConfig,
    unchanged: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const previous = new Map(this.services);
    this.baked = next;
    this.sources = sourcesOf(next);
    this.services.clear();
    for (const name of next.serviceOrder) {
      const old = previous.get(name);
      if (old && unchanged.has(name)) {
        old.adoptSpec(next.services[name]!);
        this.services.set(name, old);
        continue;
      }
      const rt = new ServiceRuntime(next.services[name]!, this);
      if (old) {
        old.detach();
        rt.carryStateFrom(old);
      } else this.records.forget(name);
      this.services.set(name, rt);
    }
    for (const [name, old] of previous) if (!this.services.has(name)) old.detach();
    this.syncNetwork();
    this.dir.copySources(next);
    await this.writeSnapshot();
    this.records.writeNow();
  }

  /** Writes the snapshot later daemon restarts run from, and the spawn journal's blank records. */
  protected async writeSnapshot(): Promise<void> {
    await this.dir.writeSnapshot(this.baked);
    if (this.sources !== null) this.dir.writeSources(this.sources);
    await this.records.preallocate(this.baked.serviceOrder);
    this.snapshotWritten = true;
  }

  private persistedState(): PersistedConfigState {
    const services: PersistedConfigState['services'] = {};
    for (const [name, rt] of this.services) services[name] = toPersisted(rt.state, rt.desired);
    return { version: 1, global_init_done: this.records.globalInitDone, services };
  }

  /** Arms or disarms restart.watch after a status change. */
  private updateWatcher(name: string): void {
    const rt = this.services.get(name);
    if (!rt || rt.spec.restart.watch.length === 0) return;
    this.watchers.update(name, () => {
      // `stopped` while still wanted is the middle of a restart: keep watching, or changes saved during
      // the restart are lost and the new watcher's initial scan opens a blind window.
      const s = rt.state.status;
      if (rt.desired !== 'run' || (isTerminal(s) && s !== 'stopped')) return null;
      return {
        root: rt.spec.workingDir,
        patterns: rt.spec.restart.watch,
        onError: (err: unknown) =>
          this.log(`${this.path}: watching files of ${name}: ${(err as Error)?.message ?? String(err)}`),
        onChange: (paths) => {
          if (rt.desired !== 'run' || !isActive(rt.state.status)) return;
          const changed = `${paths.slice(0, 3).join(', ')} changed`;
          this.events.progress(name, `restarting: ${changed}`);
          void rt.restart({ cause: { kind: 'watch', detail: changed } });
        },
      };
    });
  }
}
