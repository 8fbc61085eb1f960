import { basename } from 'node:path';
import {
  type ForeignWatch,
  type OutputFile,
  type PidFileState,
  type Platform,
  PlatformError,
  type PortHolder,
  type ProcessExit,
  type ResourceUsage,
  type ServiceProcess,
  type SpawnedProcess,
  type SpawnSpec,
  type StopTreeOptions,
  type SweepOptions,
  signalName,
  type UsageTarget,
} from '../platform/index.js';
import type { Behaviour, SpawnFailure } from './behaviours.js';
import type { FakeClock } from './FakeClock.js';
import type { FakeProcess } from './FakeProcess.js';
import { FAKE_WAIT_MS, FakeSystem, matches, type SpawnMatch, type StopRequest } from './FakeSystem.js';
import { resolveFakeUser } from './fakeUsers.js';

export type { SpawnMatch, StopRequest } from './FakeSystem.js';
export { FAKE_WAIT_MS } from './FakeSystem.js';

export interface FakePlatformOptions {
  /** The clock also follows real time and its timers fire on their own (see FakeClock). */
  realTime?: boolean;
}

/**
 * The Platform of in-process tests: processes in memory, driven by the test. One FakePlatform is one
 * daemon life; `nextDaemon()` gives the platform of the daemon started after it, over the same
 * processes, and makes this one dead: its children's exits and foreign watches are no longer
 * reported and it spawns nothing (a dead daemon notices nothing). The test API (`onSpawn`, `spawns`,
 * `waitForSpawn`, `clock`, ...) is shared by every life.
 */
export class FakePlatform implements Platform {
  private dead = false;
  private readonly system: FakeSystem;

  constructor(opts: FakePlatformOptions | FakeSystem = {}) {
    this.system = opts instanceof FakeSystem ? opts : new FakeSystem(opts);
  }

  get clock(): FakeClock {
    return this.system.clock;
  }

  // ---- the test's side ----------------------------------------------------------------------------

  /** What matching spawns do (the newest matching rule wins). Returns a function removing the rule. */
  onSpawn(match: SpawnMatch, does: Behaviour | SpawnFailure): () => void {
    const rule = { match, does };
    this.system.rules.push(rule);
    return () => {
      const i = this.system.rules.indexOf(rule);
      if (i >= 0) this.system.rules.splice(i, 1);
    };
  }

  /** Processes spawned by any daemon life (matching `match`), in spawn order. */
  spawns(match?: SpawnMatch): FakeProcess[] {
    return this.system.processes.filter((p) => p.spec !== null && (!match || matches(match, p.spec, p.argv)));
  }

  /**
   * Resolves with the `after`-th (0-based) process matching `match`, once it has been spawned and its
   * behaviour has run (so an `ignore` is in place before the test stops it).
   */
  waitForSpawn(match: SpawnMatch, opts: { after?: number; timeoutMs?: number } = {}): Promise<FakeProcess> {
    const after = opts.after ?? 0;
    const found = () => {
      const p = this.spawns(match)[after];
      return p?.started ? p : undefined;
    };
    return new Promise((resolve, reject) => {
      const check = () => {
        const p = found();
        if (!p) return;
        clearTimeout(timer);
        this.system.spawnListeners.delete(check);
        resolve(p);
      };
      const timer = setTimeout(() => {
        this.system.spawnListeners.delete(check);
        const seen = this.spawns(match).length;
        reject(
          new Error(
            `no spawn #${after + 1} of ${String(match)} within ${opts.timeoutMs ?? FAKE_WAIT_MS} ms (${seen} seen)`,
          ),
        );
      }, opts.timeoutMs ?? FAKE_WAIT_MS);
      this.system.spawnListeners.add(check);
      check();
    });
  }

  /** Every process of the fake system, in creation order. */
  get processes(): readonly FakeProcess[] {
    return this.system.processes;
  }

  /** The process with `pid`, alive or not. */
  process(pid: number): FakeProcess | undefined {
    return this.system.byPid.get(pid);
  }

  /** Stop requests received (stopProcessTree calls), in order. */
  get stops(): readonly StopRequest[] {
    return this.system.stops;
  }

  /** readUsage calls by any daemon life so far (a daemon nobody watches makes none). */
  get usageReads(): number {
    return this.system.usageReads;
  }

  /** Markers whose cgroup removal was asked (an adopted process ended). */
  get removedCgroups(): readonly string[] {
    return this.system.removedCgroups;
  }

  /**
   * A process no daemon of this test started (one that outlived an earlier daemon, for a state.json
   * written by the test): adoptable by pid and start time, found by its marker. `outputs`: the
   * service's output files it appends to (Harness.outputsOf), so a daemon adopting it stores its output.
   */
  launchOutside(
    argv: readonly string[],
    opts: { marker?: string; outputs?: { stdout: string; stderr: string } } = {},
  ): FakeProcess {
    const proc = this.system.create(null, argv, opts.marker ?? null, opts.outputs ?? null);
    proc.started = true;
    this.system.announce();
    return proc;
  }

  /**
   * A process `parent` forked that lives on after it (a daemonised `type: forking` process): same
   * marker and output files, found by pid file; its end is reported like a reaped orphan's.
   */
  forkFrom(parent: FakeProcess): FakeProcess {
    return this.launchOutside(parent.argv, {
      ...(parent.marker !== null ? { marker: parent.marker } : {}),
      outputs: {
        stdout: parent.io.outputPaths.stdout ?? '',
        stderr: parent.io.outputPaths.stderr ?? '',
      },
    });
  }

  /** Writes a small file (a pid file) the daemon reads through the platform; null removes it. */
  writeFile(path: string, text: string | null): void {
    if (text === null) this.system.files.delete(path);
    else this.system.files.set(path, { text, writtenAtMs: this.clock.now() });
  }

  /** This daemon life ends; returns the platform of the next one (same processes, clock and scripts). */
  nextDaemon(): FakePlatform {
    this.dead = true;
    return new FakePlatform(this.system);
  }

  /** The end of a test: no daemon life reacts any more, every process is killed, every timer cancelled. */
  shutdown(): void {
    this.dead = true;
    for (const p of this.system.live()) p.kill('SIGKILL');
    this.system.clock.cancelAll();
  }

  // ---- the daemon's side (Platform) -------------------------------------------------------------

  async spawn(spec: SpawnSpec): Promise<SpawnedProcess> {
    if (this.dead) throw new PlatformError('SPAWN_FAILED', 'the daemon of this platform has ended');
    if (spec.proceed && !spec.proceed())
      throw new PlatformError('SPAWN_CANCELLED', 'stopped before it started');
    const does = this.system.behaviourFor(spec);
    if (typeof does !== 'function') throw new PlatformError('SPAWN_FAILED', does.spawnError);
    const proc = this.system.create(spec, spec.command, spec.marker ?? null);
    const exited = new Promise<ProcessExit>((resolve) => {
      proc.onExit((exit) => {
        if (!this.dead) resolve(exit); // a dead daemon reaps nothing
      });
    });
    // After the spawn has returned, as a real process starts running after fork/exec.
    setImmediate(() => {
      does(proc);
      proc.started = true;
      this.system.announce();
    });
    const { pipes } = proc.io;
    return {
      pid: proc.pid,
      startTime: proc.startTime,
      exited,
      cgroup: null,
      stdout: pipes.stdout,
      stderr: pipes.stderr,
    };
  }

  async stopProcessTree(opts: StopTreeOptions): Promise<{ killed: boolean }> {
    const signal = typeof opts.signal === 'number' ? signalName(opts.signal) : opts.signal;
    const { exited: _exited, ...rest } = opts;
    this.system.stops.push({ ...rest, signal });
    const targets = this.system
      .live()
      .filter((p) => p.pid === opts.pgid || (opts.marker !== undefined && p.marker === opts.marker));
    for (const p of targets) p.kill(signal);
    const left = () => targets.filter((p) => p.alive);
    if (left().length > 0) {
      await new Promise<void>((resolve) => {
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          this.clock.clearTimeout(timer);
          resolve();
        };
        const timer = this.clock.setTimeout(done, opts.graceMs);
        for (const p of targets) p.onExit(() => left().length === 0 && done());
      });
    }
    const survivors = left();
    for (const p of survivors) p.kill('SIGKILL');
    return { killed: survivors.length > 0 };
  }

  /** As the real one: a stop (recorded in `stops`) from the first live carrier of the marker, if any. */
  async sweepMarker(opts: SweepOptions): Promise<number> {
    const found = this.system.live().filter((p) => p.marker === opts.marker);
    const lead = found[0];
    if (lead !== undefined) await this.stopProcessTree({ pid: lead.pid, pgid: lead.pid, ...opts });
    return found.length;
  }

  isSameProcess(pid: number, startTime: string): boolean {
    const p = this.system.byPid.get(pid);
    return p?.alive === true && p.startTime === startTime;
  }

  watchForeignExit(pid: number, startTime: string): ForeignWatch {
    let cancelled = false;
    const exited = new Promise<ProcessExit>((resolve) => {
      const p = this.system.byPid.get(pid);
      const gone = () => {
        if (!cancelled && !this.dead) resolve({ code: null, signal: null }); // not our child: no status
      };
      if (p === undefined || p.startTime !== startTime) gone();
      else p.onExit(gone);
    });
    return {
      exited,
      cancel: () => {
        cancelled = true;
      },
    };
  }

  /** The fake system is every forked process's reaper: its status is known, while this daemon lives. */
  watchDescendantExit(pid: number, startTime: string): ForeignWatch {
    let cancelled = false;
    const exited = new Promise<ProcessExit>((resolve) => {
      const p = this.system.byPid.get(pid);
      if (p === undefined || p.startTime !== startTime) resolve({ code: null, signal: null });
      else
        p.onExit((exit) => {
          if (!cancelled && !this.dead) resolve(exit);
        });
    });
    return {
      exited,
      cancel: () => {
        cancelled = true;
      },
    };
  }

  readPidFile(path: string, launcher: { startTime: string }): PidFileState {
    const file = this.system.files.get(path);
    if (file === undefined || file.text.trim() === '') return { state: 'missing' };
    const pid = Number(file.text.trim());
    if (!Number.isSafeInteger(pid) || pid < 2) return { state: 'invalid', detail: 'not a pid' };
    const p = this.system.byPid.get(pid);
    if (p === undefined || !p.alive) return { state: 'dead', pid, writtenAtMs: file.writtenAtMs };
    if (Number(p.startTime) < Number(launcher.startTime)) return { state: 'earlier', pid };
    return { state: 'alive', pid, startTime: p.startTime, pgid: p.pid };
  }

  findServiceProcesses(markers: readonly string[]): Map<string, ServiceProcess[]> {
    const found = new Map<string, ServiceProcess[]>();
    for (const marker of markers) {
      const procs = this.system.live().filter((p) => p.marker === marker);
      if (procs.length === 0) continue;
      found.set(
        marker,
        procs.map((p) => ({
          pid: p.pid,
          startTime: p.startTime,
          pgid: p.pid,
          name: basename(p.argv[0] ?? ''),
        })),
      );
    }
    return found;
  }

  /** The live processes carrying each target's marker, summed (as a cgroup would); null when none lives. */
  readUsage(targets: readonly UsageTarget[]): Map<string, ResourceUsage | null> {
    this.system.usageReads++;
    const found = new Map<string, ResourceUsage | null>();
    for (const t of targets) {
      const procs = this.system.live().filter((p) => p.marker === t.marker);
      found.set(
        t.marker,
        procs.length === 0
          ? null
          : {
              cpuSeconds: procs.reduce((sum, p) => sum + p.cpuSeconds, 0),
              memoryBytes: procs.reduce((sum, p) => sum + p.memoryBytes, 0),
              source: 'cgroup',
              processes: procs.length,
            },
      );
    }
    return found;
  }

  removeCgroupOfMarker(marker: string): void {
    this.system.removedCgroups.push(marker);
  }

  resolveUser = resolveFakeUser;

  /** Ports taken by processes outside the test (none unless a test sets some). */
  readonly takenPorts = new Map<number, PortHolder[]>();

  findPortHolders(port: number): PortHolder[] | null {
    return this.takenPorts.get(port) ?? null;
  }

  openOutputForChild(path: string): number {
    return this.system.openFd(path);
  }

  /** The daemon's side of an in-memory output file; a dead daemon life is told of no change. */
  openOutputFile(path: string): OutputFile {
    const out = this.system.output(path);
    let listener: (() => void) | null = null;
    return {
      id: out.id,
      size: () => out.size,
      read: (buf, pos) => out.read(buf, pos),
      release: (upTo) => out.release(upTo),
      watch: (onChange) => {
        listener = () => {
          if (!this.dead) onChange();
        };
        out.listeners.add(listener);
      },
      close: () => {
        if (listener !== null) out.listeners.delete(listener);
      },
    };
  }

  /** Fake processes write to output files only. */
  openLegacyFifo(): null {
    return null;
  }

  closeFd(fd: number): void {
    this.system.closeFd(fd);
  }

  async launchSlice(): Promise<void> {}

  async spawnSlot(): Promise<() => void> {
    return () => undefined;
  }
}
