import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BakedLogSettings, BakedService } from '@kepler/config';
import { exitPhrase } from '../exitPhrase.js';
import type { CaptureIndexer, LogStore } from '../logs/index.js';
import {
  type OutputFile,
  type Platform,
  PlatformError,
  type ProcessExit,
  type SpawnedProcess,
} from '../platform/index.js';
import { awaitDaemon, type DaemonProcess, survivingDaemon } from './forkingStart.js';
import { clearedBy, type RetentionEvent } from './logRetention.js';

/** The process a service runs now. */
export interface LiveProcess {
  readonly pid: number;
  readonly startTime: string;
  /** Its process group: the pid, but for a forking service's daemon, whatever group it made. */
  readonly pgid: number;
  readonly exited: Promise<ProcessExit>;
  /**
   * Our own child (exit code known), or not: adopted after a daemon restart (exit code unknown), or a
   * forking service's daemon (known when the fork server reaped it).
   */
  readonly own: boolean;
  readonly startedAtMs: number;
}

type Stream = 'stdout' | 'stderr';

/** The environment with PORT set to the service's port, unless its environment sets PORT itself. */
export function withPort(env: Readonly<Record<string, string>>, port: number | null): Record<string, string> {
  return port === null || env.PORT !== undefined ? { ...env } : { ...env, PORT: String(port) };
}

/** One stream's output file and the indexer that stores it. */
interface Capture {
  readonly file: OutputFile;
  readonly indexer: CaptureIndexer;
}

/**
 * The process side of one service: spawning it with its output files, the capture that stores that
 * output in the logs (kept while this object lives, across the service's runs), storing the last
 * lines before an exit is acted on, adopting a process that survived a daemon restart, and stopping
 * the process tree. It decides nothing: ServiceRuntime says when.
 */
export class SupervisedProcess {
  private live: LiveProcess | null = null;
  private capture: { stdout: Capture | null; stderr: Capture | null } = { stdout: null, stderr: null };
  private cancelForeign: (() => void) | null = null;
  /** FIFOs of a process adopted from a daemon before output files (readLegacyFifos). */
  private readonly legacy = new Set<Readable>();

  constructor(
    private readonly platform: Platform,
    private readonly logs: LogStore,
    private readonly outputDir: string,
    private readonly service: string,
    /** `KEPLER_SERVICE_ID=<service id>`: the env entry (and cgroup) of everything the service starts. */
    private readonly marker: () => string,
    /** Reports what went wrong beside the service's own exit (a failing stop_command). */
    private readonly logError: (message: string) => void = () => undefined,
    /** The port this run was given (PORT for the stop_command, as for the service and its hooks). */
    private readonly port: () => number | null = () => null,
  ) {}

  /** The process running now, or null. */
  get current(): LiveProcess | null {
    return this.live;
  }

  private outputPath(stream: Stream): string {
    return join(this.outputDir, `${this.service}.${stream}`);
  }

  /**
   * Spawns the service's command. `proceed` is asked before the exec (a stop meanwhile cancels it:
   * SPAWN_CANCELLED). Throws what the spawn threw; on success the process is `current`. For a
   * `type: forking` service, that is the daemon its pid file names (see awaitDaemon); a failure
   * there stops everything the start left.
   */
  async spawn(spec: BakedService, proceed: () => boolean, port: number | null = null): Promise<LiveProcess> {
    const survivor = spec.type === 'forking' ? survivingDaemon(this.platform, spec, this.marker()) : null;
    if (survivor !== null) {
      this.attachCapture();
      return this.supervise(survivor, this.platform.clock.now());
    }
    const launchedAtMs = this.platform.clock.now(); // before the fork: the pid file is dated against it
    const launcher = await this.spawnCommand(spec, proceed, port);
    if (spec.type !== 'forking') return launcher;
    let daemon: DaemonProcess;
    try {
      daemon = await awaitDaemon(this.platform, spec, launcher, launchedAtMs, proceed);
    } catch (e) {
      await this.stop(spec.stopSignal as NodeJS.Signals, spec.stopGracePeriodMs);
      throw e;
    }
    return this.supervise(daemon, launcher.startedAtMs);
  }

  /** A forking service's daemon becomes the current process. */
  private supervise(daemon: DaemonProcess, startedAtMs: number): LiveProcess {
    // Not our child: its exit comes from the fork server that reaps it, or from polling.
    const watch = this.platform.watchDescendantExit(daemon.pid, daemon.startTime);
    this.cancelForeign = watch.cancel;
    this.live = { ...daemon, exited: watch.exited, own: false, startedAtMs };
    return this.live;
  }

  private async spawnCommand(
    spec: BakedService,
    proceed: () => boolean,
    port: number | null,
  ): Promise<LiveProcess> {
    const releaseSlot = await this.platform.spawnSlot(); // bounds a burst's set-up (see spawnPacing.ts)
    if (!proceed()) {
      releaseSlot();
      throw new PlatformError('SPAWN_CANCELLED', 'stopped before it started');
    }
    try {
      // The capture is attached before the fork: it stores the child's output from its checkpoint on.
      const child = await this.spawnAsService(spec, spec.command, port, proceed, () => this.attachCapture());
      this.live = {
        pid: child.pid,
        startTime: child.startTime,
        pgid: child.pid,
        exited: child.exited,
        own: true,
        startedAtMs: this.platform.clock.now(),
      };
      return this.live;
    } finally {
      releaseSlot();
    }
  }

  /**
   * Spawns `command` as the service runs (its user, group, environment, working_dir, limits and
   * marker). The child appends to the service's output files: what it writes is kept by the kernel
   * whether or not a daemon runs. `beforeSpawn` runs once the files exist.
   */
  private async spawnAsService(
    spec: BakedService,
    command: readonly string[],
    port: number | null,
    proceed?: () => boolean,
    beforeSpawn?: () => void,
  ): Promise<SpawnedProcess> {
    let outFd = -1;
    let errFd = -1;
    try {
      outFd = this.platform.openOutputForChild(this.outputPath('stdout'));
      errFd = this.platform.openOutputForChild(this.outputPath('stderr'));
      beforeSpawn?.();
      return await this.platform.spawn({
        command,
        cwd: spec.workingDir,
        env: withPort(spec.environment, port),
        marker: this.marker(),
        user: spec.user,
        group: spec.group,
        limits: spec.limits,
        stdout: outFd,
        stderr: errFd,
        proceed,
      });
    } finally {
      if (outFd >= 0) this.platform.closeFd(outFd);
      if (errFd >= 0) this.platform.closeFd(errFd);
    }
  }

  /** Takes over a process that survived a daemon restart (the caller checked it is the same process). */
  adopt(pid: number, startTime: string, startedAtMs: number): LiveProcess {
    this.attachCapture();
    this.readLegacyFifos(pid);
    const watch = this.platform.watchForeignExit(pid, startTime);
    this.cancelForeign = watch.cancel;
    // A forking daemon may have made another group: the marker (or cgroup) still finds it on stop.
    this.live = { pid, startTime, pgid: pid, exited: watch.exited, own: false, startedAtMs };
    return this.live;
  }

  /**
   * `proc` ended on its own: forgets it. False when it is not the current process any more (a stop
   * already took care of it).
   */
  ended(proc: LiveProcess): boolean {
    if (this.live !== proc) return false;
    this.live = null;
    this.cancelForeign = null;
    if (!proc.own) this.platform.removeCgroupOfMarker(this.marker()); // our own children release theirs (spawn.ts)
    return true;
  }

  /**
   * Stops the current process and everything it started (signal, grace, SIGKILL) and forgets it.
   * With a stop_command, that runs first and the signal follows only if the process has not exited
   * within the grace. Resolves with its exit; an adopted process's exit status is unknown (nulls).
   */
  async stop(
    signal: NodeJS.Signals,
    graceMs: number,
    spec: BakedService | null = null,
  ): Promise<ProcessExit> {
    const proc = this.live;
    if (proc === null) return { code: null, signal: null };
    if (proc.own || this.platform.isSameProcess(proc.pid, proc.startTime)) {
      if (spec?.stopCommand) await this.runStopCommand(spec, proc, graceMs);
      await this.platform.stopProcessTree({
        pid: proc.pid,
        pgid: proc.pgid,
        marker: this.marker(),
        signal,
        graceMs,
        exited: proc.exited,
      });
    } else {
      this.cancelForeign?.();
    }
    const exit = proc.own ? await proc.exited : { code: null, signal: null };
    this.live = null;
    this.cancelForeign = null;
    return exit;
  }

  /**
   * Ends what the service's hooks left running once no process of its own runs (after post_stop):
   * every carrier of its marker, as a stop ends them (see Platform.sweepMarker). Failures are logged.
   */
  async sweepLeftovers(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    try {
      await this.platform.sweepMarker({ marker: this.marker(), signal, graceMs });
    } catch (e) {
      this.logError(`cannot end what the hooks of ${this.service} left running: ${(e as Error).message}`);
    }
  }

  /**
   * Runs stop_command as the service runs (its user, environment, working_dir, limits and marker, so
   * a hung one is swept with it; output to the service's own files), then waits until the process
   * exits, the grace runs out, or the command fails (reported; the signal then follows at once).
   */
  private async runStopCommand(spec: BakedService, proc: LiveProcess, graceMs: number): Promise<void> {
    let ran: Promise<ProcessExit>;
    try {
      ran = (await this.spawnAsService(spec, spec.stopCommand ?? [], this.port())).exited;
    } catch (e) {
      this.logError(`stop_command of ${this.service}: ${(e as Error).message}`);
      return;
    }
    const clock = this.platform.clock;
    await new Promise<void>((resolve) => {
      const timer = clock.setTimeout(done, graceMs);
      function done() {
        clock.clearTimeout(timer);
        resolve();
      }
      void proc.exited.then(done);
      void ran.then((exit) => {
        if (exit.code === 0) return;
        this.logError(`stop_command of ${this.service} ${exitPhrase(exit)}; sending ${spec.stopSignal}`);
        done();
      });
    });
  }

  private attachCapture(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.capture[stream]) continue; // kept from an earlier run
      const file = this.platform.openOutputFile(this.outputPath(stream));
      try {
        const indexer = this.logs.capture({ service: this.service, hook: null, stream }, file);
        file.watch(() => indexer.notify());
        indexer.notify(); // what was written while no daemon ran
        this.capture[stream] = { file, indexer };
      } catch (err) {
        file.close();
        throw err;
      }
    }
  }

  /**
   * Stores everything the process wrote before its exit is acted on (its writes are in the output
   * files by now; a last line without `\n` is stored as a line). Output of descendants that outlive
   * it is stored as it comes.
   */
  drained(): Promise<void> {
    for (const c of [this.capture.stdout, this.capture.stderr]) c?.indexer.drain(true);
    return Promise.resolve();
  }

  /** Clears the service's own logs if `event` does (logRetention.ts). */
  clearLogs(retention: BakedLogSettings['retention'], event: RetentionEvent): void {
    const by = clearedBy(retention, event);
    if (by !== null) this.logs.clear(this.service, { by });
  }

  /** clearLogs once the output drained: late lines must not land after the clear. */
  async clearLogsAfterDrain(retention: BakedLogSettings['retention'], event: RetentionEvent): Promise<void> {
    if (clearedBy(retention, event) === null) return;
    await this.drained();
    this.clearLogs(retention, event);
  }

  /** A process an older daemon started writes to FIFOs: read them until their writers are gone. */
  private readLegacyFifos(pid: number): void {
    for (const [stream, fd] of [
      ['stdout', 1],
      ['stderr', 2],
    ] as const) {
      const reader = this.platform.openLegacyFifo(pid, fd);
      if (reader === null) continue;
      const sink = this.logs.sink({ service: this.service, hook: null, stream });
      this.legacy.add(reader);
      reader.on('data', (chunk: Buffer) => sink.write(chunk));
      const done = () => {
        this.legacy.delete(reader);
        sink.end();
      };
      reader.on('end', done);
      reader.on('error', done);
      reader.on('close', done);
    }
  }

  /**
   * No process runs (after a daemon restart): stores what the last ones wrote and no daemon stored
   * (a last line without `\n` as a line), then lets the output files go until the next spawn.
   */
  storeLeftovers(): void {
    try {
      this.attachCapture();
      this.drained();
    } catch {
      // No output file to read (never made, or removed): nothing was left.
    }
    this.releaseCapture();
  }

  /** Daemon shutdown without stopping: stop watching and reading, leave the process running. */
  detach(): void {
    this.cancelForeign?.();
    for (const reader of this.legacy) reader.destroy();
    this.releaseCapture();
  }

  private releaseCapture(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const c = this.capture[stream];
      if (c === null) continue;
      c.indexer.drain();
      c.indexer.close();
      c.file.close();
      this.capture[stream] = null;
    }
  }
}
