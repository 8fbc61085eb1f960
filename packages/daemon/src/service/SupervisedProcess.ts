import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BakedService } from '@kepler/config';
import type { LogStore } from '../logs/index.js';
import { type Platform, PlatformError, type ProcessExit } from '../platform/index.js';

/** The process a service runs now. */
export interface LiveProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly exited: Promise<ProcessExit>;
  /** Our own child (exit code known) or adopted after a daemon restart (exit code unknown). */
  readonly own: boolean;
  readonly startedAtMs: number;
}

/** How long an exit waits for the output pipes' EOF (a daemonised descendant may hold them open). */
export const LOG_DRAIN_MS = 200;

/**
 * The process side of one service: spawning it with its output FIFOs, the readers that carry that
 * output into the logs, the drain before an exit is acted on, adopting a process that survived a
 * daemon restart, and stopping the process tree. It decides nothing: ServiceRuntime says when.
 */
export class SupervisedProcess {
  private live: LiveProcess | null = null;
  private readers: { stdout: Readable | null; stderr: Readable | null } = { stdout: null, stderr: null };
  private drainWaiters: Array<() => void> = [];
  private cancelForeign: (() => void) | null = null;

  constructor(
    private readonly platform: Platform,
    private readonly logs: LogStore,
    private readonly fifoDir: string,
    private readonly service: string,
    /** `KEPLER_SERVICE_ID=<service id>`: the env entry (and cgroup) of everything the service starts. */
    private readonly marker: () => string,
  ) {}

  /** The process running now, or null. */
  get current(): LiveProcess | null {
    return this.live;
  }

  private fifo(stream: 'stdout' | 'stderr'): string {
    return join(this.fifoDir, `${this.service}.${stream}`);
  }

  /**
   * Spawns the service's command. `proceed` is asked before the exec (a stop meanwhile cancels it:
   * SPAWN_CANCELLED). Throws what the spawn threw; on success the process is `current`.
   */
  async spawn(spec: BakedService, proceed: () => boolean): Promise<LiveProcess> {
    const stdoutFifo = this.fifo('stdout');
    const stderrFifo = this.fifo('stderr');
    await this.platform.ensureFifos([stdoutFifo, stderrFifo]);
    const releaseSlot = await this.platform.spawnSlot(); // bounds a burst's set-up (see spawnPacing.ts)
    if (!proceed()) {
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
      this.attachReaders();
      const child = await this.platform.spawn({
        command: spec.command,
        cwd: spec.workingDir,
        env: { ...spec.environment },
        marker: this.marker(),
        user: spec.user,
        group: spec.group,
        limits: spec.limits,
        stdout: outFd,
        stderr: errFd,
        proceed,
      });
      this.live = {
        pid: child.pid,
        startTime: child.startTime,
        exited: child.exited,
        own: true,
        startedAtMs: this.platform.clock.now(),
      };
      return this.live;
    } finally {
      releaseSlot();
      if (outFd >= 0) this.platform.closeFd(outFd);
      if (errFd >= 0) this.platform.closeFd(errFd);
    }
  }

  /** Takes over a process that survived a daemon restart (the caller checked it is the same process). */
  adopt(pid: number, startTime: string, startedAtMs: number): LiveProcess {
    this.attachReaders();
    const watch = this.platform.watchForeignExit(pid, startTime);
    this.cancelForeign = watch.cancel;
    this.live = { pid, startTime, exited: watch.exited, own: false, startedAtMs };
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
   * Resolves with its exit; an adopted process's exit status is unknown (nulls).
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<ProcessExit> {
    const proc = this.live;
    if (proc === null) return { code: null, signal: null };
    if (proc.own || this.platform.isSameProcess(proc.pid, proc.startTime)) {
      await this.platform.stopProcessTree({
        pid: proc.pid,
        pgid: proc.pid,
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

  private attachReaders(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.readers[stream]) continue; // still open from an earlier run (a descendant holds the pipe)
      const reader = this.platform.openFifoReader(this.fifo(stream));
      const sink = this.logs.sink({ service: this.service, hook: null, stream });
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
  drained(): Promise<void> {
    if (!this.readers.stdout && !this.readers.stderr) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.platform.clock.setTimeout(resolve, LOG_DRAIN_MS);
      this.drainWaiters.push(() => {
        this.platform.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Daemon shutdown without stopping: stop watching and reading, leave the process running. */
  detach(): void {
    this.cancelForeign?.();
    for (const r of [this.readers.stdout, this.readers.stderr]) r?.destroy();
  }
}
