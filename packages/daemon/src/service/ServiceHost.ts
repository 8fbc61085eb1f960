import type { BakedHook, ServiceHookName } from '@kepler/config';
import type { CauseKind, HealthResult, ServiceStatus } from '@kepler/protocol';
import type { LogStore } from '../logs/index.js';
import type { Platform } from '../platform/index.js';
import type { ServiceState } from './serviceState.js';

/** A process just spawned for a service, as the host records it (config/state/SpawnJournal). */
export interface NewSpawn {
  /** The service's spawn count with this one. */
  readonly spawn: number;
  readonly pid: number;
  /** /proc start time, paired with the pid. */
  readonly startTime: string;
  /** ISO time of the spawn. */
  readonly startedAt: string;
}

/** What a service needs from the config that owns it (implemented by ConfigActor). */
export interface ServiceHost {
  readonly logs: LogStore;
  /** The OS as the supervisor sees it (the real one, or a test's fake). */
  readonly platform: Platform;
  /** Directory holding the services' stdout/stderr output files (see ConfigDirectory.outputDir). */
  readonly outputDir: string;
  /** The service id shared by everything this config starts for `service`: `<config id>.<service>`. */
  serviceIdOf(service: string): string;
  /** Writes the config's state soon (coalesced). */
  persist(): void;
  /** Puts a just-spawned process on disk before it is reported (see SpawnJournal). */
  recordSpawn(service: string, record: NewSpawn): void;
  statusChanged(name: string, previous: ServiceStatus, state: ServiceState): void;
  /**
   * One health check of `name` finished (`failures`: failed checks in a row). No status changes with
   * it: for watchers of every result (the HTTP API's event stream). Optional: tests' hosts leave it out.
   */
  healthChecked?(name: string, result: HealthResult & { readonly failures: number }): void;
  /** Runs a hook to completion; resolves with null when it succeeded, else its one-line failure reason. */
  runServiceHook(
    service: string,
    hookName: ServiceHookName,
    hook: BakedHook,
    signal?: AbortSignal,
  ): Promise<string | null>;
  /**
   * The service is about to restart (crash, user, watch, health): dependents with `restart: true`
   * follow. Resolves once they have stopped (at once when none had to): a restart on purpose stops
   * the service only then, so its dependents go first.
   */
  restartInitiated(name: string): Promise<void>;
  /** Reports a supervision error that must not take the daemon down. */
  logError(message: string): void;
  /** Why the service must not be launched now (live processes nobody supervises), or null. */
  launchRefusal(service: string): string | null;
  /** Before a launch: claims its hostname and gives it its port (ports/assignPort), or says why not. */
  assignPort(service: string): Promise<{ readonly port: number | null } | { readonly refusal: string }>;
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
  /** The daemon's shutdown stopping everything: logs are kept (on_stop is for a user's stop). */
  shutdown?: boolean;
  /** Part of a restart: what asked for it, recorded as the service's `lastCause`. */
  cause?: { kind: CauseKind; detail: string };
}

export interface RestartOptions {
  /** Overrides the service's stop_signal. */
  signal?: string;
  /** What asked for the restart (default: a user's request). */
  cause?: { kind: CauseKind; detail: string };
}
