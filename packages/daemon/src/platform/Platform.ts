import type { Readable } from 'node:stream';
import type { OutputFile } from './outputFile.js';
import type { PidFileState } from './pidFile.js';
import type { PortHolder } from './portHolders.js';
import type { ServiceProcess } from './serviceProcesses.js';
import type { ProcessExit, SpawnedProcess, SpawnSpec } from './spawn.js';
import type { ResourceUsage, UsageTarget } from './usage.js';
import type { ResolvedUser } from './users.js';

/** How stopProcessTree ends a process and everything it started. */
export interface StopTreeOptions {
  pid: number;
  pgid: number;
  /**
   * The service's marker (its cgroup and its escapees). Absent: only the process group is stopped,
   * for a hook or health check ended early while its service keeps running.
   */
  marker?: string;
  signal: NodeJS.Signals | number;
  graceMs: number;
  /** Resolves when the main process has exited (our own child): polls wake up at once instead of waiting. */
  exited?: Promise<unknown>;
}

/** How sweepMarker ends what carries a marker when no main process is known (what hooks left behind). */
export interface SweepOptions {
  marker: string;
  signal: NodeJS.Signals | number;
  graceMs: number;
}

/** A process the daemon did not start (adopted after a restart): its end is seen by polling. */
export interface ForeignWatch {
  exited: Promise<ProcessExit>;
  cancel(): void;
}

/** Time as the supervisor sees it: backoff waits, drain waits and `startedAt` arithmetic. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout | null | undefined): void;
}

/**
 * Everything the supervisor (config actors, service runtimes, hooks, probes) asks of the OS. The
 * daemon passes `linuxPlatform`; in-process tests pass a fake (src/testkit), so supervision can be
 * tested without root, real processes or /proc. Nothing in platform/ imports the supervisor.
 */
export interface Platform {
  /** Starts a process in its own session and process group (and the marker's cgroup), as its user, with its limits. */
  spawn(spec: SpawnSpec): Promise<SpawnedProcess>;
  /** Signals a process group, waits the grace, SIGKILLs it and sweeps the marker's escapees. */
  stopProcessTree(opts: StopTreeOptions): Promise<{ killed: boolean }>;
  /**
   * Ends every live process of the marker (its cgroup, else its environment), whatever its process
   * group, as stopProcessTree ends a service's; removes the empty cgroup. Resolves with how many were
   * found (0: nothing to end). For what hooks left running (`sleep 1000 &`), which no stop of a main
   * process reaches: the global hooks' marker, or a service's after its post_stop.
   */
  sweepMarker(opts: SweepOptions): Promise<number>;
  /** True while `pid` is the process that had `startTime` (a recycled pid is another process). */
  isSameProcess(pid: number, startTime: string): boolean;
  /** Watches a process that is not our child until it ends. */
  watchForeignExit(pid: number, startTime: string): ForeignWatch;
  /**
   * Watches a process a service forked (a `type: forking` daemon): its exit status is known when the
   * fork server reaps it (it is their subreaper), else its end is seen by polling, as for an adopted one.
   */
  watchDescendantExit(pid: number, startTime: string): ForeignWatch;
  /** Reads a forking service's pid file and judges the pid it names against the process started to write it. */
  readPidFile(path: string, launcher: { startTime: string }): PidFileState;
  /** Live processes of each marker's service, whatever started them. */
  findServiceProcesses(markers: readonly string[]): Map<string, ServiceProcess[]>;
  /** Removes the marker's cgroup once it is empty (an adopted process ended). */
  removeCgroupOfMarker(marker: string): void;
  /**
   * CPU and memory of each target's service, by marker (its cgroup, else its process tree in /proc);
   * null for a service with nothing to read. Reads the OS on each call: callers decide how often.
   */
  readUsage(targets: readonly UsageTarget[]): Map<string, ResourceUsage | null>;
  /** Resolves a service's user and group; throws PlatformError naming what is unknown. */
  resolveUser(user: string | null, group: string | null): ResolvedUser;

  /**
   * Opens (creating it) a service's output file for a child's stdout/stderr: O_APPEND, so what the
   * service writes is kept by the kernel whether or not a daemon runs (see outputFile.ts).
   */
  openOutputForChild(path: string): number;
  /** The daemon's read side of a service's output file (created empty if missing). */
  openOutputFile(path: string): OutputFile;
  /**
   * The FIFO an adopted process started by an older daemon writes its stdout (1) or stderr (2) to,
   * opened for reading; null when it writes elsewhere (see legacyFifo.ts).
   */
  openLegacyFifo(pid: number, fd: 1 | 2): Readable | null;
  /** Closes a descriptor opened by openOutputForChild once the child has its copy. */
  closeFd(fd: number): void;

  /** Waits for a launch slice (a burst of launches is spread over event-loop turns). */
  launchSlice(): Promise<void>;
  /** Waits for one of the bounded spawn slots; call the returned function to give it back. */
  spawnSlot(): Promise<() => void>;

  readonly clock: Clock;

  /** Who listens on TCP `port` (any address): null when nothing does; [] when the holder is not visible. */
  findPortHolders(port: number): PortHolder[] | null;
}
