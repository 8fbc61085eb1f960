import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BakedConfig, BakedHook, GlobalHookName, ServiceHookName } from '@kepler/config';
import { MAX_CONFIG_FILE_BYTES, MAX_ENV_FILE_BYTES, readUserFile } from '@kepler/config/files';
import type { LogLine, ServiceInfo, ServiceStatus, StreamEvent } from '@kepler/protocol';
import { isActive, isTerminal, PENDING_OR_ACTIVE_STATUSES } from '@kepler/protocol';
import { snapshotText } from '../bake/bakeOffThread.js';
import { DaemonError } from '../errors.js';
import { formatMs } from '../formatMs.js';
import { runHook } from '../hooks/HookRunner.js';
import { LogStore } from '../logs/index.js';
import { linuxPlatform, type Platform } from '../platform/index.js';
import { OpQueue } from '../service/OpQueue.js';
import type { ServiceHost } from '../service/ServiceHost.js';
import { ServiceRuntime } from '../service/ServiceRuntime.js';
import {
  fromPersisted,
  type PersistedConfigState,
  type ServiceState,
  toPersisted,
  toServiceInfo,
} from '../service/serviceState.js';
import { ServiceWatchers } from '../watch/ServiceWatchers.js';
import {
  type DepView,
  evaluateEdge,
  startupCluster,
  stopOrder,
  withDependencies,
} from './dependencies/dependencies.js';
import { ReevaluationQueue } from './dependencies/ReevaluationQueue.js';
import { planRecovery } from './recovery.js';
import { writeFileAtomic } from './state/atomicWrite.js';
import { stateWarning } from './state/persistedState.js';
import { SpawnJournal, type SpawnRecord } from './state/SpawnJournal.js';
import { StateFile } from './state/StateFile.js';
import { UntrackedProcesses } from './UntrackedProcesses.js';
import { watchEvery } from './watchEvery.js';

/** What a start or restart does, known before it runs any hook (see `onPlanned`). */
export interface StartPlan {
  readonly started: readonly string[];
  readonly alreadyRunning: readonly string[];
}

/** Receives every status change and captured log line of a config (streaming requests subscribe). */
export type ConfigListener = (event: StreamEvent) => void;

/**
 * Everything Kepler knows and does for one config file: its baked snapshot, its state directory, its
 * services. Config-wide operations (start/stop/restart all, recreate) go through one queue; each
 * service additionally serialises its own operations.
 */
export class ConfigActor implements ServiceHost {
  readonly services = new Map<string, ServiceRuntime>();
  readonly logs: LogStore;
  readonly fifoDir: string;
  private readonly queue = new OpQueue();
  private readonly listeners = new Set<ConfigListener>();
  private readonly depTimers = new Map<string, NodeJS.Timeout[]>();
  private readonly watchers = new ServiceWatchers((line) => this.log(`${this.path}: ${line}`));
  private readonly reevaluation = new ReevaluationQueue(
    () => this.baked,
    (names) => this.evaluate(names),
  );
  private globalInitDone = false;
  private readonly stateFile: StateFile;
  private readonly spawnJournal: SpawnJournal;
  /** Live processes of services whose record was lost (see UntrackedProcesses), and who to look for. */
  private readonly untracked: UntrackedProcesses;
  private suspects: ReadonlySet<string> = new Set();
  /** What state.json's load found, for recover(): services without a valid entry, when it was written. */
  private loaded: { untrusted: ReadonlySet<string>; writtenAtMs: number | null } = {
    untrusted: new Set(),
    writtenAtMs: null,
  };
  /** What was wrong with state.json at load, for `ps` until the user next starts or stops the config. */
  private stateWarning: string | null = null;
  private snapshotWritten: boolean;
  private removed = false;
  /** Services a restart command is restarting together (no propagation among them). */
  private restarting: Set<string> | null = null;

  constructor(
    public baked: BakedConfig,
    readonly configDir: string,
    private readonly log: (line: string) => void = () => undefined,
    /** The OS (linuxPlatform in the daemon; a fake in the in-process tests). */
    readonly platform: Platform = linuxPlatform,
  ) {
    // Modes: root writes, the kepler group reads (logs, env copies); FIFOs are root's alone.
    mkdirSync(join(configDir, 'logs'), { recursive: true, mode: 0o750 });
    mkdirSync(join(configDir, 'env_files'), { recursive: true, mode: 0o750 });
    mkdirSync(join(configDir, 'fifo'), { recursive: true, mode: 0o700 });
    this.fifoDir = join(configDir, 'fifo');
    this.logs = new LogStore({
      dir: join(configDir, 'logs'),
      settings: (service) => this.baked.services[service]?.logs ?? this.baked.kepler.logs,
      onError: (err) => log(err.message),
      onResumed: log,
    });
    this.snapshotWritten = existsSync(join(configDir, 'expanded_config.yaml'));
    this.stateFile = new StateFile(join(configDir, 'state.json'), () => this.persistedState(), log);
    this.spawnJournal = new SpawnJournal(join(configDir, 'spawned'), log);
    this.untracked = new UntrackedProcesses(baked.sourcePath, platform);
    for (const name of baked.serviceOrder) {
      this.services.set(name, new ServiceRuntime(baked.services[name]!, this));
    }
    this.loadStateFile();
    this.onFirstLoad();
  }

  get path(): string {
    return this.baked.sourcePath;
  }

  /** The config's id in service ids: its directory's name (sha256 of the path), truncated. */
  get id(): string {
    return basename(this.configDir).slice(0, 16);
  }

  /** `<config id>.<service>`: what the marker of everything started for `service` carries. */
  serviceIdOf(service: string): string {
    return `${this.id}.${service}`;
  }

  // ---- persistence ------------------------------------------------------------------------------

  private onFirstLoad(): void {
    const source = join(this.configDir, 'source_path.txt');
    if (!existsSync(source)) writeFileAtomic(source, `${this.path}\n`);
    // Restored from a snapshot: the copies already match it; the source may have been edited since.
    if (!this.snapshotWritten) this.copySources();
  }

  /**
   * Copies the source config and its env files (what the snapshot was baked from). The copies are
   * 0640 root whatever the source's mode: env files hold secrets, and a copy must not widen access.
   */
  private copySources(): void {
    try {
      writeFileAtomic(join(this.configDir, 'config.yaml'), readUserFile(this.path, MAX_CONFIG_FILE_BYTES));
    } catch {
      // The source may be gone (orphaned config restored from its snapshot).
    }
    for (const f of this.baked.envFiles) {
      try {
        writeFileAtomic(join(this.configDir, 'env_files', basename(f)), readUserFile(f, MAX_ENV_FILE_BYTES));
      } catch {
        // Missing env files were already reported at bake time.
      }
    }
  }

  /**
   * Writes expanded_config.yaml (the snapshot later daemon restarts run from), as JSON: still YAML,
   * but rendered and read back ~100x faster (5,000 services: 40 ms instead of 4 s, and 23 s to parse).
   */
  async writeSnapshot(): Promise<void> {
    writeFileAtomic(join(this.configDir, 'expanded_config.yaml'), await snapshotText(this.baked));
    await this.spawnJournal.preallocate(this.baked.serviceOrder);
    this.snapshotWritten = true;
  }

  /** Loads state.json's records (recover() then reconciles them with spawned/ and the live processes). */
  private loadStateFile(): void {
    const reading = this.stateFile.read(this.baked.serviceOrder);
    const persisted = reading.state;
    if (reading.problems.length > 0) {
      for (const problem of reading.problems) this.log(`${this.path}: state.json: ${problem}`);
      this.stateWarning = stateWarning(reading.problems);
    }
    // Without a trustworthy record a service's process may still run; a first use (no snapshot, no
    // state.json) cannot have started anything.
    if (reading.exists || this.snapshotWritten) this.suspects = reading.untrusted;
    this.loaded = { untrusted: reading.untrusted, writtenAtMs: this.stateFile.writtenAtMs() };
    this.globalInitDone = persisted?.global_init_done === true;
    for (const [name, rt] of this.services) {
      const p = persisted?.services?.[name];
      if (!p) continue;
      const state = fromPersisted(p);
      rt.restore(state, p.desired ?? (PENDING_OR_ACTIVE_STATUSES.has(state.status) ? 'run' : 'stop'));
    }
  }

  /**
   * After a daemon restart: adopt services whose process survived (same pid AND start time), finish
   * stops a crash interrupted, and apply restart policies to those that died while no daemon watched
   * them (config/recovery.ts plans; each service applies its plan through its transitions).
   */
  recover(): void {
    const platform = this.platform;
    for (const rt of this.services.values()) {
      const { state } = rt;
      const journal = this.spawnJournal.read(rt.name);
      const plan = planRecovery({
        state,
        desired: rt.desired,
        journal,
        stateWrittenAtMs: this.loaded.writtenAtMs,
        trusted: !this.loaded.untrusted.has(rt.name),
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
      rt.applyRecovery(plan);
      if (plan.action === 'adopt') this.updateWatcher(rt.name); // no status change armed restart.watch
      // Waiting on its dependencies again: with its dependency timeouts armed.
      if (rt.state.status === 'waiting') this.armDepTimers(rt);
    }
    for (const line of this.untracked.detect(this.suspects, this.services)) this.log(line);
    // Written before the load is answered: a first use leaves a complete state directory behind.
    this.persistNow();
    this.evaluate();
  }

  launchRefusal(service: string): string | null {
    return this.untracked.refusal(service);
  }

  /** Config-level warnings for `ps`: state.json was corrupt at load, untracked processes are alive. */
  warnings(): string[] {
    const found = this.untracked.refusals();
    return this.stateWarning === null ? found : [this.stateWarning, ...found];
  }

  /** Persists every service's state (coalesced, off the event loop: see StateFile). */
  persist(): void {
    if (!this.removed) this.stateFile.schedule();
  }

  recordSpawn(service: string, record: SpawnRecord): void {
    if (!this.removed) this.spawnJournal.record(service, record);
  }

  /** Persists now, synchronously (first load, recreate). */
  persistNow(): void {
    if (!this.removed) this.stateFile.writeNow();
  }

  private persistedState(): PersistedConfigState {
    const state: PersistedConfigState = { version: 1, global_init_done: this.globalInitDone, services: {} };
    for (const [name, rt] of this.services) state.services[name] = toPersisted(rt.state, rt.desired);
    return state;
  }

  // ---- events -----------------------------------------------------------------------------------

  subscribe(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StreamEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure (a closed client) must not break supervision.
      }
    }
  }

  statusChanged(name: string, previous: ServiceStatus, state: ServiceState): void {
    const info = toServiceInfo(this.path, name, state);
    this.emit({
      type: 'serviceStatusChanged',
      service: name,
      status: state.status,
      previous,
      reason: state.reason,
      info,
    });
    if (state.status !== 'waiting') this.clearDepTimers(name);
    // A stop on request reaches the disk even when state.json cannot (see SpawnJournal).
    if (state.status === 'stopped' && !this.removed && this.services.get(name)?.desired === 'stop')
      this.spawnJournal.recordStop(name, state.spawns);
    // ... and so does the start of one, before its signal: a crash before state.json says `stopping`
    // must not leave the restarted daemon adopting the process as wanted.
    if (state.status === 'stopping' && !this.removed && this.services.get(name)?.desired === 'stop')
      this.spawnJournal.recordStopping(name, state.spawns);
    this.updateWatcher(name);
    this.reevaluation.changed(name);
  }

  progress(service: string, message: string): void {
    this.emit({ type: 'progress', service, message });
  }

  // ---- hooks ------------------------------------------------------------------------------------

  async runServiceHook(
    service: string,
    hookName: ServiceHookName,
    hook: BakedHook,
    signal?: AbortSignal,
  ): Promise<string | null> {
    this.progress(service, `running ${hookName} hook`);
    const outcome = await runHook({
      platform: this.platform,
      logs: this.logs,
      owner: service,
      hookName,
      hook,
      serviceId: this.serviceIdOf(service),
      signal,
    });
    if (outcome.ok) return null;
    const reason = outcome.reason ?? `${hookName} hook failed`;
    this.progress(service, reason);
    return reason;
  }

  private async runGlobalHook(hookName: GlobalHookName): Promise<boolean> {
    const hook = this.baked.kepler.hooks[hookName];
    if (!hook) return true;
    this.progress('global', `running ${hookName} hook`);
    const outcome = await runHook({
      platform: this.platform,
      logs: this.logs,
      owner: 'global',
      hookName,
      hook,
      serviceId: this.serviceIdOf('global'),
    });
    if (!outcome.ok) this.progress('global', outcome.reason ?? `${hookName} hook failed`);
    return outcome.ok;
  }

  logError(message: string): void {
    this.log(message);
  }

  // ---- dependencies -----------------------------------------------------------------------------

  private depView(name: string): DepView {
    const rt = this.services.get(name)!;
    const s = rt.state.status;
    const willRestart = rt.desired === 'run' && (PENDING_OR_ACTIVE_STATUSES.has(s) || s === 'stopped');
    return {
      status: s,
      exitCode: rt.state.exitCode,
      signal: rt.state.signal,
      wasHealthy: rt.state.wasHealthy,
      hasHealthcheck: rt.spec.healthcheck !== null,
      willRestart,
    };
  }

  /** Launches the waiting services (of `names`) whose dependencies are satisfied; fails those that never can be. */
  evaluate(names: readonly string[] = this.baked.serviceOrder): void {
    if (this.removed) return;
    for (const name of names) {
      const rt = this.services.get(name);
      if (rt === undefined || rt.state.status !== 'waiting' || rt.desired !== 'run') continue;
      let ready = true;
      let pendingReason: string | null = null;
      for (const [dep, edge] of Object.entries(rt.spec.dependsOn)) {
        const verdict = evaluateEdge(dep, edge, this.depView(dep));
        if (verdict.verdict === 'impossible') {
          rt.failWaiting(`dependency not satisfied: ${verdict.reason}`);
          ready = false;
          break;
        }
        if (verdict.verdict === 'pending') {
          ready = false;
          pendingReason ??= verdict.reason;
        }
      }
      if (rt.state.status !== 'waiting') continue;
      if (ready) {
        this.clearDepTimers(rt.name);
        void rt.launch();
      } else if (pendingReason && rt.state.reason !== pendingReason) {
        rt.noteWaitingReason(pendingReason);
        this.progress(rt.name, pendingReason);
      }
    }
  }

  private armDepTimers(rt: ServiceRuntime): void {
    this.clearDepTimers(rt.name);
    const timers: NodeJS.Timeout[] = [];
    for (const [dep, edge] of Object.entries(rt.spec.dependsOn)) {
      if (edge.timeoutMs === null) continue;
      timers.push(
        setTimeout(() => {
          if (rt.state.status !== 'waiting') return;
          const v = evaluateEdge(dep, edge, this.depView(dep));
          if (v.verdict === 'satisfied') return;
          rt.failWaiting(`timed out after ${formatMs(edge.timeoutMs!)} ${v.reason || `waiting for ${dep}`}`);
        }, edge.timeoutMs),
      );
    }
    if (timers.length) this.depTimers.set(rt.name, timers);
  }

  private clearDepTimers(name: string): void {
    for (const t of this.depTimers.get(name) ?? []) clearTimeout(t);
    this.depTimers.delete(name);
  }

  restartInitiated(name: string): void {
    for (const dependent of this.reevaluation.dependents(name, true)) {
      if (this.restarting?.has(dependent)) continue; // restarted by the same command anyway
      const rt = this.services.get(dependent)!;
      if (rt.desired !== 'run' || isTerminal(rt.state.status)) continue;
      this.progress(dependent, `restarting because ${name} restarts`);
      void rt.stop({ manual: false, afterwards: 'waiting' }).then(() => {
        this.armDepTimers(rt);
        this.evaluate([dependent]);
      });
    }
  }

  // ---- file watching ----------------------------------------------------------------------------

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
          this.progress(name, `restarting: ${paths.slice(0, 3).join(', ')} changed`);
          void rt.restart();
        },
      };
    });
  }

  // ---- operations -------------------------------------------------------------------------------

  private checkNames(names: readonly string[]): void {
    const unknown = names.filter((n) => !this.services.has(n));
    if (unknown.length) {
      throw new DaemonError(
        'UNKNOWN_SERVICE',
        `no such service${unknown.length > 1 ? 's' : ''} in ${this.path}: ${unknown.join(', ')} (services: ${this.baked.serviceOrder.join(', ')})`,
      );
    }
  }

  /**
   * Start: the named services (or all) and, transitively, what they depend on. Services already
   * running or pending are left alone. Returns once every service is either waiting on its
   * dependencies or launched; readiness is observed through events.
   */
  start(
    names: readonly string[],
    opts: { onPlanned?: (plan: StartPlan) => void } = {},
  ): Promise<{ started: string[]; alreadyRunning: string[]; targets: string[] }> {
    this.checkNames(names);
    return this.queue.run(async () => {
      this.assertLive();
      const targets = withDependencies(this.baked, names.length ? names : this.baked.serviceOrder);
      const started: string[] = [];
      const alreadyRunning: string[] = [];
      for (const name of targets) {
        const rt = this.services.get(name)!;
        if (PENDING_OR_ACTIVE_STATUSES.has(rt.state.status) && rt.desired === 'run')
          alreadyRunning.push(name);
        else started.push(name);
      }
      // Refused before the plan is reported: a foreground start must not announce what it will follow.
      const refused = started.map((n) => this.launchRefusal(n)).filter((r) => r !== null);
      if (refused.length > 0) throw new DaemonError('SERVICES_RUNNING', `cannot start ${refused.join('; ')}`);
      opts.onPlanned?.({ started, alreadyRunning });
      if (started.length === 0) return { started, alreadyRunning, targets };
      this.stateWarning = null; // reported until the user acts on the config
      if (!this.snapshotWritten) await this.writeSnapshot();
      if (!this.globalInitDone && this.baked.kepler.hooks.on_init) {
        if (!(await this.runGlobalHook('on_init'))) {
          this.failAll(started, 'global on_init hook failed');
          return { started, alreadyRunning, targets };
        }
      }
      if (!this.globalInitDone) {
        this.globalInitDone = true;
        this.persist();
      }
      if (!(await this.runGlobalHook('pre_start'))) {
        this.failAll(started, 'global pre_start hook failed');
        return { started, alreadyRunning, targets };
      }
      for (const name of started) {
        const rt = this.services.get(name)!;
        rt.markWaiting(null);
        this.armDepTimers(rt);
      }
      this.evaluate();
      if (this.baked.kepler.hooks.post_start)
        void this.launched(this.startupOnly(started)).then(() => this.runGlobalHook('post_start'));
      return { started, alreadyRunning, targets };
    });
  }

  private failAll(names: readonly string[], reason: string): void {
    for (const name of names) {
      const rt = this.services.get(name)!;
      rt.failLaunch(reason);
    }
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

  /** Resolves when `holds` is true of every named service (see watchEvery), or on abort. */
  untilEvery(names: readonly string[], holds: (name: string) => boolean, abort?: AbortSignal): Promise<void> {
    if (abort?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let finished = false;
      let cancel: () => void = () => undefined;
      const done = () => {
        finished = true;
        cancel();
        abort?.removeEventListener('abort', done);
        resolve();
      };
      cancel = watchEvery((l) => this.subscribe(l), names, holds, done);
      // Resolving on abort drops the subscription: a cancelled stream must not leak a listener.
      if (!finished) abort?.addEventListener('abort', done, { once: true });
    });
  }

  /** Stop: the named services, or all (dependents first, then reverse config order) with global hooks. */
  stop(
    names: readonly string[],
    opts: { signal?: string; clean?: boolean } = {},
  ): Promise<{ stopped: string[]; cleaned: boolean }> {
    this.checkNames(names);
    return this.queue.run(async () => {
      this.assertLive();
      const all = names.length === 0;
      const order = stopOrder(this.baked, all ? this.baked.serviceOrder : names);
      const toStop = order.filter((n) => {
        const rt = this.services.get(n)!;
        return (
          rt.desired === 'run' || PENDING_OR_ACTIVE_STATUSES.has(rt.state.status) || this.untracked.has(n)
        );
      });
      this.stateWarning = null; // reported until the user acts on the config
      // Withdraw the wish first, so nothing waiting launches while we stop its neighbours.
      for (const n of toStop) this.services.get(n)!.withdrawWish();
      if (all && toStop.length) await this.runGlobalHook('pre_stop');
      const failures: string[] = [];
      for (const n of toStop) {
        const rt = this.services.get(n)!;
        // One service's failure must not leave the others running.
        await rt
          .stop({ signal: opts.signal })
          .then(() => this.untracked.stop(rt, opts.signal))
          .catch((e: unknown) => failures.push(`${n}: ${(e as Error).message}`));
      }
      if (failures.length) this.log(`stop of ${this.path} had errors: ${failures.join('; ')}`);
      if (all && toStop.length) await this.runGlobalHook('post_stop');
      let cleaned = false;
      if (opts.clean && all) {
        await this.runGlobalHook('pre_cleanup');
        cleaned = true;
      }
      return { stopped: toStop, cleaned };
    });
  }

  /**
   * Restart: only services that are running (all running ones when none is named). They stop
   * dependents first, then start again through dependency evaluation, so a dependent waits for its
   * restarted dependency's condition. Services restarted together do not also propagate to each other.
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
      opts.onPlanned?.({ started: running, alreadyRunning: [] });
      if (running.length === 0) return { restarted: [] };
      if (all) await this.runGlobalHook('pre_restart');
      this.restarting = new Set(running);
      try {
        for (const n of stopOrder(this.baked, running))
          await this.services.get(n)!.restartStop({ signal: opts.signal });
      } finally {
        this.restarting = null;
      }
      for (const n of running) {
        const rt = this.services.get(n)!;
        rt.markWaiting(null);
        this.armDepTimers(rt);
      }
      this.evaluate();
      if (all) {
        void this.launched(this.startupOnly(running)).then(() => this.runGlobalHook('post_restart'));
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
          `cannot recreate ${this.path} while services run (${busy.map((r) => r.name).join(', ')}): stop them first with \`kepler stop\``,
        );
      }
      const previous = new Map(this.services);
      for (const rt of this.services.values()) rt.detach();
      this.baked = baked;
      this.services.clear();
      for (const name of baked.serviceOrder) {
        const rt = new ServiceRuntime(baked.services[name]!, this);
        const old = previous.get(name);
        if (old) rt.carryStateFrom(old);
        // A record left by an earlier service of this name must not look like a newer spawn.
        else this.spawnJournal.forget(name);
        this.services.set(name, rt);
      }
      this.copySources();
      await this.writeSnapshot();
      this.persistNow();
    });
  }

  ps(): ServiceInfo[] {
    return [...this.services.values()].map((rt) =>
      toServiceInfo(this.path, rt.name, rt.state, this.logs.notStored(rt.name)),
    );
  }

  /** Marks the lines of services whose `logs.timestamp` is false, so text views leave the time out. */
  forDisplay(lines: LogLine[]): LogLine[] {
    const global = this.baked.kepler.logs.timestamp;
    const shows = (service: string) => this.baked.services[service]?.logs.timestamp ?? global;
    return lines.map((l) => (shows(l.service) ? l : { ...l, timestamp: false }));
  }

  readLogs(q: { services: readonly string[]; head?: number; tail?: number; noHook?: boolean }): LogLine[] {
    this.checkNames(q.services);
    return this.logs.read(q);
  }

  /** Stored lines in batches for sending (see LogStore.readBatches); checks the names first. */
  readLogBatches(
    q: { services: readonly string[]; head?: number; tail?: number; noHook?: boolean },
    limits: { maxLines: number; maxBytes: number },
  ): Generator<LogLine[]> {
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

  /** Stops everything (daemon shutdown or `stop --clean`). */
  async stopAll(): Promise<void> {
    await this.stop([]);
  }

  /**
   * Removes the state directory (stop --clean, prune) in the config's queue, after whatever was queued
   * before it. Operations queued after it fail with CONFIG_NOT_LOADED: the registry forgets the actor.
   */
  remove(): Promise<void> {
    return this.queue.run(() => this.removeStateDir());
  }

  private assertLive(): void {
    if (this.removed) {
      throw new DaemonError(
        'CONFIG_NOT_LOADED',
        `${this.path} was removed meanwhile (stop --clean or prune): run the command again`,
      );
    }
  }

  private async removeStateDir(): Promise<void> {
    this.removed = true;
    this.stateFile.close();
    for (const rt of this.services.values()) rt.detach();
    this.watchers.close();
    this.logs.closeAll();
    // A state.json write in flight would create its temp file while the tree is removed (ENOTEMPTY).
    await this.stateFile.settled();
    rmSync(this.configDir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Flushes logs and state (daemon shutdown). */
  close(): void {
    this.watchers.close();
    for (const timers of this.depTimers.values()) for (const t of timers) clearTimeout(t);
    for (const rt of this.services.values()) rt.detach();
    this.logs.flushAll();
    if (!this.removed) this.stateFile.closeWithFinalWrite();
  }
}

/** Reads a snapshot's source path (for prune and status without loading it). */
export function readSourcePath(configDir: string): string | null {
  try {
    return readFileSync(join(configDir, 'source_path.txt'), 'utf8').trim();
  } catch {
    return null;
  }
}
