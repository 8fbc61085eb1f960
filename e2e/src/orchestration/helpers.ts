import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CLI, type CliResult, type TestDaemon, waitFor } from '../testkit.js';

/** Generous per-wait deadline: 2 cores shared with other helpers' suites. */
export const WAIT_MS = 30_000;

/** Any service field of `ps --json`. */
export type Svc = Record<string, unknown>;

/**
 * One scenario: its own directory (so its own config path and state) under the daemon's work dir, a
 * record file services and hooks append to, and `kepler -f <its config>` shortcuts.
 */
export class Scenario {
  readonly dir: string;
  readonly config: string;
  /** Absolute path of the record file (`echo X >> $REC` in commands and hooks). */
  readonly rec: string;

  constructor(
    readonly d: TestDaemon,
    name: string,
    yaml: string,
  ) {
    this.dir = join(d.workDir, name);
    mkdirSync(this.dir, { recursive: true });
    this.config = join(this.dir, 'kepler.yaml');
    this.rec = join(this.dir, 'rec.txt');
    writeFileSync(this.config, yaml.replaceAll('$REC', this.rec).replaceAll('$DIR', this.dir));
  }

  cli(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    return this.d.cli(['-f', this.config, ...args], { cwd: this.dir, ...opts });
  }

  /** Runs a command and fails the test with its output unless it exits 0. */
  async ok(args: readonly string[]): Promise<CliResult> {
    const r = await this.cli(args);
    if (r.code !== 0) throw new Error(`kepler ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  ps(): Promise<Svc[]> {
    return this.d.ps(this.config);
  }

  async svc(name: string): Promise<Svc> {
    return this.d.service(this.config, name);
  }

  /** Polls until `name` satisfies `pred` and returns its `ps --json` entry. */
  waitSvc(name: string, pred: (s: Svc) => boolean, what: string, timeoutMs = WAIT_MS): Promise<Svc> {
    return waitFor(
      async () => {
        const s = await this.svc(name);
        return pred(s) ? s : null;
      },
      `${name} ${what}`,
      { timeoutMs, intervalMs: 100 },
    );
  }

  waitStatus(name: string, status: string | readonly string[], timeoutMs = WAIT_MS): Promise<Svc> {
    const want = typeof status === 'string' ? [status] : status;
    return this.waitSvc(name, (s) => want.includes(s.status as string), `to be ${want.join('|')}`, timeoutMs);
  }

  /** The record file's non-empty lines. */
  lines(): string[] {
    return existsSync(this.rec)
      ? readFileSync(this.rec, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  }

  /** Polls until the record file has a line equal to `line` (or matching it), returns all lines. */
  waitLine(line: string | RegExp, timeoutMs = WAIT_MS): Promise<string[]> {
    return this.waitLineAfter(0, line, timeoutMs);
  }

  /**
   * Polls until a line after the first `mark` lines equals (or matches) `line`, returns all lines.
   * For a line an earlier run already wrote: waiting on the whole file would return at once.
   */
  waitLineAfter(mark: number, line: string | RegExp, timeoutMs = WAIT_MS): Promise<string[]> {
    const hit = (l: string) => (typeof line === 'string' ? l === line : line.test(l));
    return waitFor(
      () => (this.lines().slice(mark).some(hit) ? this.lines() : null),
      `record line ${line} after line ${mark}`,
      { timeoutMs, intervalMs: 50 },
    );
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  write(file: string, content = ''): void {
    writeFileSync(this.path(file), content);
  }
}

/** A free TCP port on 127.0.0.1 (listen on 0, close, reuse). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A CLI run kept in the background: its output so far, signals, and its exit. */
export class CliProcess {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.proc = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (b) => {
      this.stdout += b;
    });
    this.proc.stderr?.on('data', (b) => {
      this.stderr += b;
    });
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  /** Waits for the process to exit, killing it if it outlives the deadline (then throws). */
  async wait(timeoutMs = WAIT_MS): Promise<number | null> {
    let timer: NodeJS.Timeout | null = null;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), timeoutMs);
    });
    const first = await Promise.race([this.exited, late]);
    if (timer) clearTimeout(timer);
    if (first === 'late') {
      this.proc.kill('SIGKILL');
      throw new Error(
        `CLI still running after ${timeoutMs} ms\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
      );
    }
    return first.code;
  }
}

/** Starts `kepler -f <config> ARGS` in the background for a scenario. */
export function spawnCli(s: Scenario, args: readonly string[]): CliProcess {
  return new CliProcess(['-f', s.config, ...args], { cwd: s.dir, env: s.d.env });
}

/** Lines `name <event>` of the record in order, as `[name, event]` words (first two fields). */
export function events(lines: readonly string[]): string[] {
  return lines.map((l) => l.split(' ').slice(0, 2).join(' '));
}
