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

/** A service's output file, in memory: appended by its processes, read by the daemon at any offset. */
export class FakeOutput {
  private data = Buffer.alloc(0);
  readonly listeners = new Set<() => void>();
  /** Bytes before this were released (a hole); reads of them give zeros, as a punched hole does. */
  releasedTo = 0;

  constructor(readonly id: number) {}

  get size(): number {
    return this.data.length;
  }

  append(chunk: Buffer): void {
    this.data = Buffer.concat([this.data, chunk]);
    for (const l of [...this.listeners]) l();
  }

  read(buf: Buffer, pos: number): number {
    if (pos >= this.data.length) return 0;
    return this.data.copy(buf, 0, pos, Math.min(this.data.length, pos + buf.length));
  }

  release(upTo: number): void {
    if (upTo <= this.releasedTo) return;
    this.data.fill(0, this.releasedTo, upTo);
    this.releasedTo = upTo;
  }
}

/**
 * The OS shared by every daemon life of a test: the process table, the output files, the clock and
 * the test's scripts. Outlives a daemon restart, so processes that "survived" can be adopted.
 */
export class FakeSystem {
  readonly clock: FakeClock;
  readonly processes: FakeProcess[] = [];
  readonly byPid = new Map<number, FakeProcess>();
  readonly rules: Array<{ match: SpawnMatch; does: Behaviour | SpawnFailure }> = [];
  readonly stops: StopRequest[] = [];
  readonly removedCgroups: string[] = [];
  readonly outputs = new Map<string, FakeOutput>();
  readonly spawnListeners = new Set<() => void>();
  /** Small files the test writes (pid files), with the clock's time of the write. */
  readonly files = new Map<string, { text: string; writtenAtMs: number }>();
  /** readUsage calls by any daemon life (a daemon nobody watches makes none). */
  usageReads = 0;
  private readonly fds = new Map<number, string>();
  private nextPid = FIRST_PID;
  private nextFd = FIRST_FD;

  constructor(opts: { realTime?: boolean }) {
    this.clock = new FakeClock(opts.realTime ?? false);
  }

  create(
    spec: SpawnSpec | null,
    argv: readonly string[],
    marker: string | null,
    outputs: { stdout: string; stderr: string } | null = null,
  ): FakeProcess {
    const pid = this.nextPid++;
    const outputPaths = {
      stdout:
        typeof spec?.stdout === 'number' ? (this.fds.get(spec.stdout) ?? null) : (outputs?.stdout ?? null),
      stderr:
        typeof spec?.stderr === 'number' ? (this.fds.get(spec.stderr) ?? null) : (outputs?.stderr ?? null),
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
      { outputPaths, pipes, writeOutput: (path, chunk) => this.output(path).append(chunk) },
    );
    this.processes.push(proc);
    this.byPid.set(pid, proc);
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
    this.output(path);
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    return fd;
  }

  closeFd(fd: number): void {
    this.fds.delete(fd);
  }

  /** The output file at `path`, created empty if missing. */
  output(path: string): FakeOutput {
    let out = this.outputs.get(path);
    if (out === undefined) {
      out = new FakeOutput(this.outputs.size + 1);
      this.outputs.set(path, out);
    }
    return out;
  }
}
