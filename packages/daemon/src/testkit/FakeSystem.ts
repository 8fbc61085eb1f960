import { PassThrough } from 'node:stream';
import type { SpawnSpec, StopTreeOptions } from '../platform/index.js';
import { type Behaviour, runsUntilStopped, type SpawnFailure } from './behaviours.js';
import { FakeClock } from './FakeClock.js';
import { FakeProcess } from './FakeProcess.js';

/** Which spawns a rule applies to: argv[0] exactly, or a test on the spec. */
export type SpawnMatch = string | ((spec: SpawnSpec) => boolean);

/** A stop request as the fake received it (the signal by name). */
export type StopRequest = Omit<StopTreeOptions, 'signal' | 'exited'> & { signal: string };

/** Real-time limit of the fake's own waits (waitForSpawn): a test must not hang on a wrong guess. */
export const FAKE_WAIT_MS = 4_000;

const FIRST_PID = 40_000;
const FIRST_START_TIME = 1_000_000;
const FIRST_FD = 1_000;

/** Whether a rule or query matches a process (argv, and its spawn spec when a daemon spawned it). */
export function matches(match: SpawnMatch, spec: SpawnSpec | null, argv: readonly string[]): boolean {
  if (typeof match === 'string') return argv[0] === match;
  return spec !== null && match(spec);
}

/**
 * The OS shared by every daemon life of a test: the process table, the FIFOs, the clock and the
 * test's scripts. Outlives a daemon restart, so processes that "survived" can be adopted.
 */
export class FakeSystem {
  readonly clock: FakeClock;
  readonly processes: FakeProcess[] = [];
  readonly byPid = new Map<number, FakeProcess>();
  readonly rules: Array<{ match: SpawnMatch; does: Behaviour | SpawnFailure }> = [];
  readonly stops: StopRequest[] = [];
  readonly removedCgroups: string[] = [];
  readonly fifos = new Set<string>();
  readonly spawnListeners = new Set<() => void>();
  private readonly fds = new Map<number, string>();
  private readonly readers = new Map<string, PassThrough>();
  /** What was written to a FIFO while nobody read it (the daemon was down): the next reader gets it. */
  private readonly unread = new Map<string, Buffer[]>();
  private nextPid = FIRST_PID;
  private nextFd = FIRST_FD;

  constructor(opts: { realTime?: boolean }) {
    this.clock = new FakeClock(opts.realTime ?? false);
  }

  create(
    spec: SpawnSpec | null,
    argv: readonly string[],
    marker: string | null,
    fifos: { stdout: string; stderr: string } | null = null,
  ): FakeProcess {
    const pid = this.nextPid++;
    const fifoPaths = {
      stdout:
        typeof spec?.stdout === 'number' ? (this.fds.get(spec.stdout) ?? null) : (fifos?.stdout ?? null),
      stderr:
        typeof spec?.stderr === 'number' ? (this.fds.get(spec.stderr) ?? null) : (fifos?.stderr ?? null),
    };
    const pipes = {
      stdout: spec?.stdout === 'pipe' ? new PassThrough() : null,
      stderr: spec?.stderr === 'pipe' ? new PassThrough() : null,
    };
    const proc = new FakeProcess(
      pid,
      String(FIRST_START_TIME + pid),
      spec,
      argv,
      marker,
      this.processes.length,
      this.clock.now(),
      { fifoPaths, pipes, writeFifo: (path, chunk) => this.writeFifo(path, chunk) },
    );
    this.processes.push(proc);
    this.byPid.set(pid, proc);
    proc.onExit(() => {
      for (const path of [fifoPaths.stdout, fifoPaths.stderr]) if (path !== null) this.releaseWriter(path);
    });
    return proc;
  }

  /** Wakes waitForSpawn (once a spawned process's behaviour is in place). */
  announce(): void {
    for (const l of [...this.spawnListeners]) l();
  }

  behaviourFor(spec: SpawnSpec): Behaviour | SpawnFailure {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const rule = this.rules[i]!;
      if (matches(rule.match, spec, spec.command)) return rule.does;
    }
    return runsUntilStopped;
  }

  live(): FakeProcess[] {
    return this.processes.filter((p) => p.alive);
  }

  openFd(path: string): number {
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    return fd;
  }

  closeFd(fd: number): void {
    const path = this.fds.get(fd);
    this.fds.delete(fd);
    if (path !== undefined) this.releaseWriter(path);
  }

  openReader(path: string): PassThrough {
    const reader = new PassThrough();
    this.readers.set(path, reader);
    for (const chunk of this.unread.get(path) ?? []) reader.write(chunk);
    this.unread.delete(path);
    return reader;
  }

  writeFifo(path: string, chunk: Buffer): void {
    const reader = this.readers.get(path);
    if (reader && !reader.destroyed && !reader.writableEnded) reader.write(chunk);
    else this.unread.set(path, [...(this.unread.get(path) ?? []), chunk]);
  }

  /** The last writer of a FIFO gone (no live process, no open fd): its reader sees EOF. */
  private releaseWriter(path: string): void {
    if ([...this.fds.values()].includes(path)) return;
    if (this.live().some((p) => p.io.fifoPaths.stdout === path || p.io.fifoPaths.stderr === path)) return;
    const reader = this.readers.get(path);
    this.readers.delete(path);
    if (reader && !reader.destroyed) reader.end();
  }
}
