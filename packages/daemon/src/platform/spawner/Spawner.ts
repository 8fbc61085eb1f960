import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, constants as fsConstants } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readSmallProcFile, readStat, watchForeignExit } from '../procfs.js';
import { signalName } from '../signals.js';
import type { ProcessExit } from '../spawn.js';

/**
 * Where the build puts the fork server (packages/daemon/dist): beside the bundled daemon (dist/main.js),
 * one level up from dist/platform/index.js, or from this source file (tests run the sources).
 */
export const SPAWNER_PATH =
  ['./kepler-spawner', '../kepler-spawner', '../../../dist/kepler-spawner']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((p) => p.endsWith('/dist/kepler-spawner') && existsSync(p)) ??
  fileURLToPath(new URL('../../../dist/kepler-spawner', import.meta.url));

/** Exits of processes nobody watched yet (orphans the fork server reaped) kept for a late watcher. */
const MAX_UNCLAIMED_EXITS = 256;

/** A spawner that exits this many times in a row before answering anything is given up on. */
const MAX_SILENT_DEATHS = 3;

/** Where a child's stdout or stderr goes: a path it opens (before dropping privileges) and open(2) flags. */
export interface SpawnerStdio {
  path: string;
  flags: number;
}

/** One process for the fork server to start; everything is already resolved and validated. */
export interface SpawnerRequest {
  /** Absolute path of the file to exec. */
  exe: string;
  argv: readonly string[];
  env: readonly string[];
  cwd: string;
  /** `<cgroup>/cgroup.procs`, joined by the child before exec; null for none. */
  cgroupProcs: string | null;
  stdout: SpawnerStdio;
  stderr: SpawnerStdio;
  limits: { memoryBytes: number | null; cpuTimeSec: number | null; maxFds: number | null };
  /** Set in the child (groups, gid, uid, in that order); null keeps the spawner's (the daemon's). */
  credentials: { uid: number; gid: number; groups: readonly number[] } | null;
}

/** What the fork server reports for a started process. */
export interface SpawnerProcess {
  pid: number;
  startTime: string;
  exited: Promise<ProcessExit>;
}

/** The child failed before exec: the step (`exec`, `chdir`, `setrlimit(AS)`, ...) and the errno code. */
export class SpawnerStepError extends Error {
  constructor(
    readonly step: string,
    readonly errno: string,
  ) {
    super(`${step}: ${errno}`);
    this.name = 'SpawnerStepError';
  }
}

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, n]) => [n, name] as const),
);
const O_ACCMODE = 0o3;

function errnoName(n: string): string {
  return ERRNO_NAMES.get(Number(n)) ?? `errno ${n}`;
}

/**
 * The flags to reopen one of the daemon's fds with (access mode and append), from /proc/self/fdinfo
 * (read into procfs's shared buffer: twice a spawn, and readFileSync allocates 64 KiB per /proc file).
 */
export function stdioOfFd(fd: number): SpawnerStdio {
  const info = readSmallProcFile(`/proc/self/fdinfo/${fd}`);
  const flags = Number.parseInt(/^flags:\s+([0-7]+)/m.exec(info)?.[1] ?? '1', 8);
  return { path: `/proc/${process.pid}/fd/${fd}`, flags: flags & (O_ACCMODE | fsConstants.O_APPEND) };
}

interface Running {
  startTime: string;
  resolve(exit: ProcessExit): void;
}

/**
 * The daemon's side of kepler-spawner (see kepler-spawner.c): forking the ~60 MB daemon per service
 * is what made starts slow, so a small fork server started once forks instead, and the child sets
 * up the cgroup, rlimits and credentials itself before its one exec. Replies come back in order on
 * one stream. When the fork server dies, the processes it started keep running: their exits are
 * watched through /proc from then on (as adopted ones), and the next spawn starts a new server.
 * Never keeps the daemon alive by itself.
 */
export class Spawner {
  private child: ChildProcess | null = null;
  private pending = new Map<string, { resolve(value: unknown): void; reject(e: Error): void }>();
  private running = new Map<number, Running>();
  /** X lines for pids nobody watched: a watchDescendant that comes after the exit finds its status here. */
  private unclaimed = new Map<number, ProcessExit>();
  private nextId = 1;
  private text = '';
  private silentDeaths = 0;
  private answered = false;
  private disabled = false;
  private built: boolean | undefined;

  constructor(private readonly path: string = SPAWNER_PATH) {}

  /** False when the binary is missing or keeps dying: callers use the exec chain instead. */
  get available(): boolean {
    this.built ??= existsSync(this.path); // looked for once: a binary removed later fails its launch
    return !this.disabled && this.built;
  }

  /** The fork server's pid, or null while none runs (tests). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts one process. Rejects with SpawnerStepError (a step failed in the child) or Error (the server died). */
  spawn(req: SpawnerRequest): Promise<SpawnerProcess> {
    const { memoryBytes, cpuTimeSec, maxFds } = req.limits;
    const creds = req.credentials;
    const fields = [
      req.exe,
      req.cwd,
      req.cgroupProcs ?? '',
      req.stdout.path,
      String(req.stdout.flags),
      req.stderr.path,
      String(req.stderr.flags),
      memoryBytes === null ? '' : String(memoryBytes),
      cpuTimeSec === null ? '' : String(cpuTimeSec),
      maxFds === null ? '' : String(maxFds),
      creds === null ? '' : String(creds.uid),
      creds === null ? '' : String(creds.gid),
      creds === null ? '' : creds.groups.join(','),
      String(req.argv.length),
      ...req.argv,
      String(req.env.length),
      ...req.env,
    ];
    return this.request('spawn', fields) as Promise<SpawnerProcess>;
  }

  /**
   * Watches a process the fork server reaps although it did not start it: a descendant of a service
   * re-parented to it (the server is its children's subreaper) once its own parent exited. Null when
   * the server will not see its exit (none runs, or the process still has another parent): poll then.
   */
  watchDescendant(pid: number, startTime: string): { exited: Promise<ProcessExit>; cancel(): void } | null {
    const server = this.child?.pid;
    if (server === undefined) return null;
    const stat = readStat(pid);
    if (stat === null || stat.startTime !== startTime) {
      // Gone already: reaped here or elsewhere. Its X line, if the server reaped it, comes before the
      // answer to a ping sent now; then its status is known, else unknown.
      const exited = this.request('ping', []).then(
        () => this.unclaimed.get(pid) ?? { code: null, signal: null },
        () => ({ code: null, signal: null }),
      );
      return { exited, cancel: () => undefined };
    }
    if (stat.ppid !== server) return null;
    let entry: Running | undefined;
    const exited = new Promise<ProcessExit>((resolve) => {
      entry = { startTime, resolve };
      this.running.set(pid, entry);
    });
    return {
      exited,
      cancel: () => {
        if (this.running.get(pid) === entry) this.running.delete(pid);
      },
    };
  }

  private request(verb: string, fields: readonly string[]): Promise<unknown> {
    if (fields.some((f) => f.includes('\0'))) {
      return Promise.reject(new Error('an argument or environment entry contains a NUL byte'));
    }
    const child = this.child ?? this.launch();
    const id = String(this.nextId++);
    const body = Buffer.from(`${verb}\0${id}\0${fields.join('\0')}\0`, 'utf8');
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32LE(body.length, 0);
    body.copy(frame, 4);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const stdin = child.stdin;
      (child.stdout as Socket | null)?.ref(); // a reply is awaited: stay alive for it
      if (stdin === null) return;
      // Requests made in the same turn go out in one write (a burst of starts is one syscall).
      if (!stdin.writableCorked) process.nextTick(() => stdin.uncork());
      stdin.cork();
      stdin.write(frame);
    });
  }

  private launch(): ChildProcess {
    // Its own session: a signal to the daemon's process group does not take it down mid-stop.
    const child = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    this.child = child;
    this.answered = false;
    child.unref();
    child.stdin?.on('error', () => {}); // EPIPE when it died: 'exit' handles that
    child.stdout?.setEncoding('latin1');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    (child.stdout as Socket | null)?.unref();
    child.on('error', () => this.onExit(child)); // could not be started (EACCES, ENOEXEC)
    child.on('close', () => this.onExit(child)); // after its last reply was read
    return child;
  }

  private onData(chunk: string): void {
    this.text += chunk;
    let nl = this.text.indexOf('\n');
    while (nl >= 0) {
      this.onLine(this.text.slice(0, nl).split(' '));
      this.text = this.text.slice(nl + 1);
      nl = this.text.indexOf('\n');
    }
    if (this.pending.size === 0) (this.child?.stdout as Socket | null | undefined)?.unref();
  }

  private onLine([kind, a = '', b = '', c = '']: string[]): void {
    this.answered = true;
    this.silentDeaths = 0;
    if (kind === 'X') {
      const pid = Number(a);
      const proc = this.running.get(pid);
      this.running.delete(pid);
      const code = Number(b);
      const signal = Number(c);
      const exit = { code: code >= 0 ? code : null, signal: signal >= 0 ? signalName(signal) : null };
      if (proc !== undefined) proc.resolve(exit);
      else this.keepUnclaimed(pid, exit);
      return;
    }
    const request = this.pending.get(a);
    this.pending.delete(a);
    if (request === undefined) return;
    if (kind === 'P') {
      request.resolve(undefined);
      return;
    }
    if (kind === 'F') {
      request.reject(new SpawnerStepError(b, errnoName(c)));
      return;
    }
    const pid = Number(b);
    const startTime = c === '-' ? '' : c;
    // Registered before this line's successors are read: its X line cannot come first.
    const exited = new Promise<ProcessExit>((resolve) => this.running.set(pid, { startTime, resolve }));
    request.resolve({ pid, startTime, exited });
  }

  private keepUnclaimed(pid: number, exit: ProcessExit): void {
    this.unclaimed.delete(pid); // re-inserted as the newest
    this.unclaimed.set(pid, exit);
    if (this.unclaimed.size > MAX_UNCLAIMED_EXITS) {
      const oldest = this.unclaimed.keys().next().value;
      if (oldest !== undefined) this.unclaimed.delete(oldest);
    }
  }

  private onExit(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = null;
    this.text = '';
    if (!this.answered && ++this.silentDeaths >= MAX_SILENT_DEATHS) this.disabled = true;
    const lost = new Error('the fork server (kepler-spawner) exited');
    for (const request of this.pending.values()) request.reject(lost);
    this.pending.clear();
    // Its children live on (re-parented): watch them like adopted processes.
    for (const [pid, proc] of this.running) {
      void watchForeignExit(pid, proc.startTime).exited.then(proc.resolve);
    }
    this.running.clear();
    this.unclaimed.clear();
  }
}
