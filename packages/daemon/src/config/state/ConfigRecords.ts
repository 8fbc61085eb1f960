import { PENDING_OR_ACTIVE_STATUSES, type ServiceStatus } from '@kepler/protocol';
import type { NewSpawn } from '../../service/ServiceHost.js';
import { fromPersisted, type PersistedConfigState, type ServiceState } from '../../service/serviceState.js';
import type { ConfigDirectory } from '../ConfigDirectory.js';
import { stateWarning } from './persistedState.js';
import { SpawnJournal, type SpawnRecord } from './SpawnJournal.js';
import { StateFile } from './StateFile.js';

/** One service's record as state.json kept it. */
export interface LoadedService {
  readonly state: ServiceState;
  readonly desired: 'run' | 'stop';
}

/**
 * What one config keeps on disk about its services: state.json (every status change, coalesced,
 * off the event loop) and the spawned/ journal (each spawn and each stop on request, written in place
 * so they reach the disk when state.json cannot). Nothing is written once the config is removed.
 */
export class ConfigRecords {
  private readonly stateFile: StateFile;
  private readonly journal: SpawnJournal;
  private removed = false;
  /** The global on_init hook has run (it runs once per state directory). */
  globalInitDone = false;
  /** What was wrong with state.json at load, for `ps` until the user next starts or stops the config. */
  warning: string | null = null;
  /** Services that may have live processes nobody recorded (see UntrackedProcesses). */
  suspects: ReadonlySet<string> = new Set();
  private untrusted: ReadonlySet<string> = new Set();
  private writtenAtMs: number | null = null;

  constructor(
    dir: ConfigDirectory,
    snapshot: () => PersistedConfigState,
    private readonly log: (line: string) => void,
  ) {
    this.stateFile = new StateFile(dir.stateFile, snapshot, log);
    this.journal = new SpawnJournal(dir.spawnedDir, log);
  }

  /** Reads state.json (checked field by field); `label` names the config in what is logged. */
  load(services: readonly string[], hasSnapshot: boolean, label: string): Map<string, LoadedService> {
    const reading = this.stateFile.read(services);
    if (reading.problems.length > 0) {
      for (const problem of reading.problems) this.log(`${label}: state.json: ${problem}`);
      this.warning = stateWarning(reading.problems);
    }
    // Without a trustworthy record a service's process may still run; a first use (no snapshot, no
    // state.json) cannot have started anything.
    if (reading.exists || hasSnapshot) this.suspects = reading.untrusted;
    this.untrusted = reading.untrusted;
    this.writtenAtMs = this.stateFile.writtenAtMs();
    this.globalInitDone = reading.state?.global_init_done === true;
    const loaded = new Map<string, LoadedService>();
    for (const name of services) {
      const p = reading.state?.services?.[name];
      if (!p) continue;
      const state = fromPersisted(p);
      loaded.set(name, {
        state,
        desired: p.desired ?? (PENDING_OR_ACTIVE_STATUSES.has(state.status) ? 'run' : 'stop'),
      });
    }
    return loaded;
  }

  /** What recovery needs besides the service's own record: its journal entry, and how far to trust state.json. */
  recoveryFacts(service: string): {
    journal: SpawnRecord | null;
    stateWrittenAtMs: number | null;
    trusted: boolean;
  } {
    return {
      journal: this.journal.read(service),
      stateWrittenAtMs: this.writtenAtMs,
      trusted: !this.untrusted.has(service),
    };
  }

  /** Writes state.json soon (coalesced, off the event loop). */
  schedule(): void {
    if (!this.removed) this.stateFile.schedule();
  }

  /** Writes state.json now, synchronously (first load, recreate). */
  writeNow(): void {
    if (!this.removed) this.stateFile.writeNow();
  }

  recordSpawn(service: string, spawn: NewSpawn): void {
    if (!this.removed) this.journal.record(service, spawn);
  }

  /**
   * A stop on request reaches the disk even when state.json cannot (see SpawnJournal), and so does the
   * start of one, before its signal: a crash before state.json says `stopping` must not leave the
   * restarted daemon adopting the process as wanted.
   */
  statusChanged(service: string, status: ServiceStatus, spawns: number, desired: 'run' | 'stop'): void {
    if (this.removed) return;
    // A restart's stop (wanted running after it): a crash before state.json shows it must relaunch, not fail.
    if (desired === 'run' && status === 'stopping') this.journal.recordStopping(service, spawns, true);
    if (desired !== 'stop') return;
    if (status === 'stopped') this.journal.recordStop(service, spawns);
    else if (status === 'stopping') this.journal.recordStopping(service, spawns);
  }

  /** Blank journal records for every service, so later writes need no free space. */
  preallocate(services: readonly string[]): Promise<void> {
    return this.journal.preallocate(services);
  }

  /** A record left by an earlier service of this name must not look like a newer spawn (recreate). */
  forget(service: string): void {
    this.journal.forget(service);
  }

  /** The config's directory is about to be removed: stop writing, and wait for a write in flight. */
  async remove(): Promise<void> {
    this.removed = true;
    this.stateFile.close();
    // A state.json write in flight would create its temp file while the tree is removed (ENOTEMPTY).
    await this.stateFile.settled();
  }

  /** Daemon shutdown: the last state, written synchronously. */
  close(): void {
    if (!this.removed) this.stateFile.closeWithFinalWrite();
  }

  /** Resolves once no state.json write is in flight (its temp file is gone or renamed). */
  settled(): Promise<void> {
    return this.stateFile.settled();
  }
}
