import type { PassThrough } from 'node:stream';
import type { ProcessExit, SpawnSpec } from '../platform/index.js';

/** Signals a process ignores unless it handles them (everything else ends it by default). */
const IGNORED_BY_DEFAULT: ReadonlySet<string> = new Set(['SIGCHLD', 'SIGCONT', 'SIGURG', 'SIGWINCH']);
/** Signals no process can ignore. */
const UNCATCHABLE: ReadonlySet<string> = new Set(['SIGKILL', 'SIGSTOP']);

/** A fake process's output: the output files it was given (a service) or its pipes (a hook, a probe). */
export interface FakeProcessIo {
  readonly outputPaths: { readonly stdout: string | null; readonly stderr: string | null };
  readonly pipes: { readonly stdout: PassThrough | null; readonly stderr: PassThrough | null };
  /** Appends to an output file (kept by the fake system whether or not a daemon reads it). */
  writeOutput(path: string, chunk: Buffer): void;
}

/**
 * A process of the FakePlatform, driven by the test: it writes output, exits with a code, or dies of
 * a signal. Nothing runs: it lives until `exit`/`kill` (or a stop's signal) ends it.
 */
export class FakeProcess {
  /** Signals delivered, in order (by stops, or by the test's `kill`). */
  readonly signals: string[] = [];
  /** Its behaviour has run (FakePlatform.onSpawn): what the test scripted is in place. */
  started = false;
  /** CPU time it has used, seconds (set by the test; what readUsage reports). */
  cpuSeconds = 0;
  /** Its resident memory, bytes (set by the test). */
  memoryBytes = 0;
  /** How it ended, once it has. */
  exitStatus: ProcessExit | null = null;
  /** Resolves when it ends (for the test; the daemon is told through the Platform, if it still lives). */
  readonly exited: Promise<ProcessExit>;
  private resolveExited!: (exit: ProcessExit) => void;
  private readonly ignored = new Set<string>();
  private readonly exitListeners: Array<(exit: ProcessExit) => void> = [];

  constructor(
    readonly pid: number,
    /** Opaque, like /proc's start time: digits. */
    readonly startTime: string,
    /** What the daemon asked for; null for a process started outside any daemon (`launchOutside`). */
    readonly spec: SpawnSpec | null,
    readonly argv: readonly string[],
    /** The `KEY=VALUE` marker it carries, if any. */
    readonly marker: string | null,
    /** Order among every process of the fake system (0-based). */
    readonly index: number,
    /** The fake clock's time at the spawn. */
    readonly spawnedAtMs: number,
    readonly io: FakeProcessIo,
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
  }

  get alive(): boolean {
    return this.exitStatus === null;
  }

  get env(): Readonly<Record<string, string>> {
    return this.spec?.env ?? {};
  }

  get user(): string | null {
    return this.spec?.user ?? null;
  }

  get group(): string | null {
    return this.spec?.group ?? null;
  }

  get cwd(): string | null {
    return this.spec?.cwd ?? null;
  }

  /** A service's process writes to its output files; a hook's or probe's to pipes. */
  get kind(): 'service' | 'piped' | 'outside' {
    if (this.spec === null) return 'outside';
    return typeof this.spec.stdout === 'number' ? 'service' : 'piped';
  }

  /** Makes it ignore these signals (a stop then needs SIGKILL after its grace). */
  ignore(...signals: string[]): this {
    for (const s of signals) this.ignored.add(s);
    return this;
  }

  /** Writes to its stdout. */
  stdout(text: string): this {
    if (this.alive) this.write('stdout', Buffer.from(text));
    return this;
  }

  /** Writes to its stderr. */
  stderr(text: string): this {
    if (this.alive) this.write('stderr', Buffer.from(text));
    return this;
  }

  /** Writes each line (newline-terminated) to stdout. */
  print(...lines: string[]): this {
    for (const line of lines) this.stdout(`${line}\n`);
    return this;
  }

  /** Ends it with an exit code (nothing happens if it already ended). */
  exit(code: number): void {
    this.end({ code, signal: null });
  }

  /** Delivers a signal: it dies of it unless it ignores it. */
  kill(signal = 'SIGTERM'): void {
    if (!this.alive) return;
    this.signals.push(signal);
    if (UNCATCHABLE.has(signal) || !(this.ignored.has(signal) || IGNORED_BY_DEFAULT.has(signal)))
      this.end({ code: null, signal });
  }

  /** Called once it ends (at once if it already has). */
  onExit(listener: (exit: ProcessExit) => void): void {
    if (this.exitStatus) listener(this.exitStatus);
    else this.exitListeners.push(listener);
  }

  private write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const path = this.io.outputPaths[stream];
    if (path !== null) this.io.writeOutput(path, chunk);
    else this.io.pipes[stream]?.write(chunk);
  }

  private end(exit: ProcessExit): void {
    if (!this.alive) return;
    this.exitStatus = exit;
    // Its ends of the pipes close with it: readers see EOF.
    this.io.pipes.stdout?.end();
    this.io.pipes.stderr?.end();
    for (const l of this.exitListeners.splice(0)) l(exit);
    this.resolveExited(exit);
  }
}
